package dev.lfm2vl.cli;

import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.runtime.ContextFullException;
import dev.lfm2vl.runtime.Conversation;
import dev.lfm2vl.runtime.Generator;
import dev.lfm2vl.runtime.ImagePreprocessor;
import dev.lfm2vl.runtime.Lfm2Model;
import dev.lfm2vl.runtime.Listener;
import dev.lfm2vl.runtime.PreprocessedImage;
import dev.lfm2vl.runtime.Prompt;
import dev.lfm2vl.runtime.TokenConstraint;
import dev.lfm2vl.runtime.Tokenizer;
import dev.lfm2vl.runtime.VisionModel;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code lfm2vl chat}: an interactive multi-turn conversation; earlier turns stay in the KV cache. */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = {"Chat with the model, turn by turn, with images; each answer is streamed.",
                "Earlier turns stay in the KV cache, so a new message costs only its own tokens. Works with piped input",
                "too (one message per line).",
                "", "In the chat: /image PATH attaches an image to the next message (needs --mmproj, or --hf; repeat it for",
                "several images; they go where the message has <__media__>, else before its text), /system TEXT sets",
                "the system message and starts over, /reset starts over, /help lists the commands, /quit exits.",
                "Ctrl-C stops the current answer (also while its images are encoded); at the prompt it exits."},
        footer = {"", "Examples:",
                "  lfm2vl chat -m model.gguf",
                "  lfm2vl chat -m model.gguf --system 'Answer in one sentence.'",
                "  printf '/image photo.jpg\\nWhat is in this image?\\nAnd the colours?\\n' | lfm2vl chat -m model.gguf --mmproj mmproj.gguf",
                "  printf 'Hello\\nTell me more\\n' | lfm2vl chat -m model.gguf --temp 0"})
final class ChatCommand implements Callable<Integer> {
    @Mixin
    ModelOptions options;

    @Mixin
    SamplingOptions sampling;

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", defaultValue = "1024",
            description = "Tokens per answer at most (default: ${DEFAULT-VALUE}; -1 = until the end of the answer).")
    int maxTokens;

    @Mixin
    VisionOptions vision;

    @Mixin
    JsonSchemaOption jsonSchema;

    @Option(names = "--system", paramLabel = "TEXT", description = "The system message.")
    String system;

    @Option(names = {"-q", "--quiet"}, description = "No progress and no notes on stderr (errors and command replies are still printed).")
    boolean quiet;

    @Spec
    CommandSpec spec;

    /**
     * The exit code so far: a failed message or command makes piped input exit non-zero at the end (2 when every
     * failure was bad input, else 1), so that a script notices; the chat itself goes on with the next line.
     */
    private int exitCode = Main.EXIT_OK;

    private static final String HELP = """
            /image PATH   attach an image to the next message (needs --mmproj; repeat for several)
            /system TEXT  set the system message and start over
            /reset        forget the conversation
            /help         this list
            /quit         exit (also Ctrl-D)""";

    @Override
    public Integer call() throws Exception {
        if (maxTokens < -1) {
            throw new UserError("-n must be -1 or more, got " + maxTokens);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Console console = System.console();
        boolean interactive = console != null && console.isTerminal();
        AtomicBoolean generating = new AtomicBoolean();
        AtomicBoolean cancel = new AtomicBoolean();
        Interrupts.onCtrlC(() -> {
            if (generating.get()) {
                cancel.set(true);
            } else {
                err.println();
                err.flush();
                Runtime.getRuntime().halt(130);
            }
        });
        jsonSchema.checkLimit(maxTokens);
        Path modelPath = options.modelPath();
        boolean withImages = vision.pairedWith(options).mmproj != null || options.hubMmproj() != null;
        Status status = Status.on(err, quiet);
        status.show("loading model...");
        try (Parallel pool = options.pool(); Lfm2Model model = Lfm2Model.load(modelPath, pool);
             VisionModel vm = withImages ? vision.load(pool, model) : null) {
            Tokenizer tokenizer = model.tokenizer();
            Conversation chat = new Conversation(model, vm, tokenizer, sampling.settings(), options.contextSize(model.config().contextLength(), err), system);
            Images images = vm == null ? null : new Images(vm, vision.preprocessor(vm));
            status.clear();
            if (interactive && !quiet) {
                err.println("lfm2vl chat: /help lists the commands, Ctrl-C stops an answer, /quit exits.");
            }
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            while (true) {
                if (interactive) {
                    err.print("> ");
                    err.flush();
                }
                String line = in.readLine();
                if (line == null) {
                    break;
                }
                line = line.strip();
                if (line.isEmpty()) {
                    continue;
                }
                if (line.startsWith("/")) {
                    if (!command(line, chat, images, err)) {
                        break;
                    }
                    continue;
                }
                cancel.set(false);
                generating.set(true);
                Listener listener = status.showing(new Listener() {
                    @Override
                    public void onToken(int id, String text) {
                        out.print(text);
                        out.flush();
                    }

                    @Override
                    public boolean cancelled() {
                        return cancel.get();
                    }
                }, null);
                try {
                    boolean attached = images != null && !images.pending.isEmpty();
                    Prompt prompt;
                    try {
                        prompt = chat.nextPrompt(line, attached ? images.pending : List.of());
                    } catch (IllegalArgumentException e) {
                        err.println("error: " + e.getMessage() + (attached ? " (the attached images stay attached)" : ""));
                        err.flush();
                        failed(Main.EXIT_USAGE);
                        continue;
                    }
                    // Ctrl-C while the images are encoded or before the first token takes the turn back (nothing sent)
                    Generator.Result r = chat.send(prompt, maxTokens, listener, constraint(tokenizer));
                    if (attached && !r.takenBack()) {
                        images.pending.clear();
                    }
                    status.clear();
                    if (r.takenBack()) { // nothing was printed: no line to end
                        err.println(images != null && !images.pending.isEmpty()
                                ? "(stopped before the answer: the message was not sent; the attached images stay attached)"
                                : "(stopped before the answer: the message was not sent)");
                    } else {
                        out.println();
                        out.flush();
                        if (r.stopReason() == Generator.StopReason.CANCELLED) {
                            err.println("(stopped)");
                        } else if (r.stopReason() == Generator.StopReason.CONTEXT_FULL && !quiet) {
                            err.println("note: the context is full (" + chat.state().capacity() + " positions); /reset to start over or raise --ctx-size");
                        }
                    }
                } catch (ContextFullException e) {
                    status.clear();
                    // The images do not fit now and will not fit later either (the context only fills up): kept
                    // attached, they would make every following message fail too.
                    boolean hadImages = images != null && !images.pending.isEmpty();
                    dropImages(images);
                    err.println("error: " + e.getMessage() + (hadImages ? "; the attached images were dropped" : "")
                            + "; /reset to start over");
                    failed(Main.exitCodeOf(e));
                } finally {
                    status.clear();
                    generating.set(false);
                }
                err.flush();
            }
        } finally {
            status.clear();
        }
        return interactive ? Main.EXIT_OK : exitCode;
    }

    /** Records a failed line: bad input (2) unless another failure was not (1). */
    private void failed(int code) {
        exitCode = exitCode == Main.EXIT_OK || exitCode == Main.EXIT_USAGE ? code : exitCode;
    }

    /** The vision side of the chat: the projector, the pre-processor, and the images attached to the next message. */
    private static final class Images {
        final VisionModel model;
        final ImagePreprocessor preprocessor;
        final List<PreprocessedImage> pending = new ArrayList<>();

        Images(VisionModel model, ImagePreprocessor preprocessor) {
            this.model = model;
            this.preprocessor = preprocessor;
        }
    }

    /** Handles a slash command; false means quit. */
    private boolean command(String line, Conversation chat, Images images, PrintWriter err) {
        String[] parts = line.split("\\s+", 2);
        String arg = parts.length > 1 ? parts[1] : "";
        switch (parts[0]) {
            case "/quit", "/exit" -> {
                return false;
            }
            case "/reset" -> {
                chat.reset();
                dropImages(images);
                err.println("(conversation reset)");
            }
            case "/system" -> {
                chat.setSystem(arg.isEmpty() ? null : arg);
                dropImages(images);
                err.println(arg.isEmpty() ? "(system message cleared; conversation reset)" : "(system message set; conversation reset)");
            }
            case "/help" -> err.println(HELP);
            case "/image" -> attach(arg, images, err);
            default -> {
                err.println("error: unknown command " + parts[0] + " (/help lists the commands)");
                failed(Main.EXIT_USAGE);
            }
        }
        err.flush();
        return true;
    }

    /** {@code /image PATH}: loads and pre-processes the image now; on success it goes with the next message. */
    private void attach(String arg, Images images, PrintWriter err) {
        if (images == null) {
            err.println("error: /image needs a vision projector (--mmproj)");
            failed(Main.EXIT_USAGE);
            return;
        }
        if (arg.isEmpty()) {
            err.println("error: /image needs a path: /image PATH");
            failed(Main.EXIT_USAGE);
            return;
        }
        Path path = Path.of(unquote(arg.strip()));
        PreprocessedImage image;
        try {
            image = vision.preprocess(images.preprocessor, path, err);
        } catch (UserError e) {
            err.println("error: " + e.getMessage());
            failed(Main.EXIT_USAGE);
            return;
        }
        images.pending.add(image);
        err.println("(image " + images.pending.size() + " attached: " + path + ", " + image.totalImageTokens()
                + " image tokens; it goes with the next message)");
    }

    /** A path typed in quotes (e.g. pasted with spaces) without them. */
    private static String unquote(String s) {
        if (s.length() >= 2 && (s.charAt(0) == '\'' || s.charAt(0) == '"') && s.charAt(s.length() - 1) == s.charAt(0)) {
            return s.substring(1, s.length() - 1);
        }
        return s;
    }

    private static void dropImages(Images images) {
        if (images != null) {
            images.pending.clear();
        }
    }

    /** A fresh document for one answer under --json-schema, or null. */
    private TokenConstraint constraint(Tokenizer tokenizer) throws IOException {
        return jsonSchema.present() ? jsonSchema.compiled().constraint(tokenizer) : null;
    }
}
