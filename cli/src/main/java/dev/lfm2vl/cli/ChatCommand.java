package dev.lfm2vl.cli;

import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.loader.GgufFormatException;
import dev.lfm2vl.runtime.ContextFullException;
import dev.lfm2vl.runtime.Conversation;
import dev.lfm2vl.runtime.Generator;
import dev.lfm2vl.runtime.Lfm2Model;
import dev.lfm2vl.runtime.Tokenizer;
import java.io.BufferedReader;
import java.io.Console;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
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
        description = {"Chat with the model, turn by turn, streaming each answer. Earlier turns stay in the KV cache,",
                "so a new message costs only its own tokens. Works with piped input too (one message per line).",
                "", "In the chat: /image PATH attaches an image to the next message (needs an mmproj), /system TEXT sets",
                "the system message and starts over, /reset starts over, /help lists the commands, /quit exits.",
                "Ctrl-C stops the current answer; at the prompt it exits."},
        footer = {"", "Examples:",
                "  lfm2vl chat -m model.gguf",
                "  lfm2vl chat -m model.gguf --system 'Answer in one sentence.'",
                "  printf 'Hello\\nTell me more\\n' | lfm2vl chat -m model.gguf --temp 0"})
final class ChatCommand implements Callable<Integer> {
    @Mixin
    ModelOptions options;

    @Mixin
    SamplingOptions sampling;

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", defaultValue = "1024",
            description = "Tokens per answer at most (default: ${DEFAULT-VALUE}; -1 = until the end of the answer).")
    int maxTokens;

    @Option(names = "--system", paramLabel = "TEXT", description = "The system message.")
    String system;

    @Spec
    CommandSpec spec;

    private static final String HELP = """
            /image PATH   attach an image to the next message (needs --mmproj)
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
        try (Parallel pool = options.pool(); Lfm2Model model = Lfm2Model.load(options.modelPath(), pool)) {
            Tokenizer tokenizer;
            try {
                tokenizer = Tokenizer.fromGguf(model.gguf().metadata());
            } catch (IllegalArgumentException e) {
                throw new GgufFormatException(model.gguf().source() + ": " + e.getMessage());
            }
            Conversation chat = new Conversation(model, tokenizer, sampling.settings(), options.contextSize(model.config().contextLength()), system);
            if (interactive) {
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
                    if (!command(line, chat, err)) {
                        break;
                    }
                    continue;
                }
                cancel.set(false);
                generating.set(true);
                try {
                    Generator.Result r = chat.send(line, List.of(), maxTokens, new Generator.Listener() {
                        @Override
                        public void onToken(int id, String text) {
                            out.print(text);
                            out.flush();
                        }

                        @Override
                        public boolean cancelled() {
                            return cancel.get();
                        }
                    });
                    out.println();
                    out.flush();
                    if (r.stopReason() == Generator.StopReason.CANCELLED) {
                        err.println("(stopped)");
                    } else if (r.stopReason() == Generator.StopReason.CONTEXT_FULL) {
                        err.println("note: the context is full (" + chat.state().capacity() + " positions); /reset to start over or raise --ctx-size");
                    }
                } catch (ContextFullException e) {
                    err.println("error: " + e.getMessage() + "; /reset to start over");
                } finally {
                    generating.set(false);
                }
                err.flush();
            }
        }
        return Main.EXIT_OK;
    }

    /** Handles a slash command; false means quit. */
    private boolean command(String line, Conversation chat, PrintWriter err) {
        String[] parts = line.split("\\s+", 2);
        String arg = parts.length > 1 ? parts[1] : "";
        switch (parts[0]) {
            case "/quit", "/exit" -> {
                return false;
            }
            case "/reset" -> {
                chat.reset();
                err.println("(conversation reset)");
            }
            case "/system" -> {
                chat.setSystem(arg.isEmpty() ? null : arg);
                err.println(arg.isEmpty() ? "(system message cleared; conversation reset)" : "(system message set; conversation reset)");
            }
            case "/help" -> err.println(HELP);
            case "/image" -> err.println("error: /image needs a vision projector (--mmproj)");
            default -> err.println("error: unknown command " + parts[0] + " (/help lists the commands)");
        }
        err.flush();
        return true;
    }
}
