package dev.lfm2vl.cli;

import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.runtime.ChatTemplate;
import dev.lfm2vl.runtime.Generator;
import dev.lfm2vl.runtime.Lfm2Model;
import dev.lfm2vl.runtime.Lfm2State;
import dev.lfm2vl.runtime.Lfm2Vl;
import dev.lfm2vl.runtime.Listener;
import dev.lfm2vl.runtime.Prompt;
import dev.lfm2vl.runtime.Sampler;
import dev.lfm2vl.runtime.Tokenizer;
import dev.lfm2vl.runtime.VisionModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lfm2vl generate}: stream a model's answer to a prompt. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate text from a prompt, streamed to stdout. The prompt goes through the chat template unless --raw.",
        footer = {"", "Examples:",
                "  lfm2vl generate -m model.gguf -p 'Write a haiku about Java.'",
                "  lfm2vl generate -m model.gguf -p 'Hello' -n 32 --temp 0 --print-ids",
                "  lfm2vl generate -m model.gguf -p 'Name three colours.' --json-schema '{\"type\":\"array\",\"items\":{\"type\":\"string\"}}'",
                "  lfm2vl generate -m model.gguf --raw -p 'Once upon a time' --seed 42",
                "  lfm2vl generate -m model.gguf --mmproj mmproj.gguf --image photo.jpg -p 'What is in this image?'",
                "  lfm2vl generate -m model.gguf --mmproj mmproj.gguf --image a.png --image b.png -p 'Compare <__media__> and <__media__>.'"})
final class GenerateCommand implements Callable<Integer> {
    @Mixin
    ModelOptions options;

    @Mixin
    SamplingOptions sampling;

    @Mixin
    VisionOptions vision;

    @Mixin
    JsonSchemaOption jsonSchema;

    @Option(names = "--image", paramLabel = "IMAGE",
            description = "An image to ask about (${sys:lfm2vl.image.formats}; repeatable; needs --mmproj). Each goes where the prompt has <__media__>, "
                    + "or all before the prompt text if it has none.")
    List<Path> images = new ArrayList<>();

    @Option(names = {"-p", "--prompt"}, required = true, paramLabel = "PROMPT", description = "The user's message (or the raw text with --raw).")
    String prompt;

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", defaultValue = "256",
            description = "Tokens to generate at most (default: ${DEFAULT-VALUE}; -1 = until the end of the answer or a full context).")
    int maxTokens;

    @Option(names = "--system", paramLabel = "TEXT", description = "A system message placed before the prompt.")
    String system;

    @Option(names = "--raw", description = "Feed the prompt as is: no chat template (a BOS is still added).")
    boolean raw;

    @Option(names = "--print-ids", description = "Print the generated token ids on stderr at the end.")
    boolean printIds;

    @Option(names = {"-q", "--quiet"}, description = "No progress and no notes on stderr (errors are still printed).")
    boolean quiet;

    @Option(names = "--json", description = "Print one JSON object (text, token ids, stop reason, timings) instead of streaming.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (maxTokens < -1) {
            throw new UserError("-n must be -1 or more, got " + maxTokens);
        }
        Sampler.Settings settings = sampling.settings();
        jsonSchema.checkLimit(maxTokens);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!images.isEmpty()) {
            vision.pairedWith(options).requireMmproj("with --image");
            if (raw) {
                throw new UserError("--raw cannot be combined with --image (images need the chat template)");
            }
        }
        Path modelPath = options.modelPath();
        Status status = Status.on(err, quiet);
        status.show("loading model...");
        long t0 = System.nanoTime();
        try (Parallel pool = options.pool(); Lfm2Model model = Lfm2Model.load(modelPath, pool)) {
            long loadNanos = System.nanoTime() - t0;
            Tokenizer tokenizer = model.tokenizer();
            int contextSize = options.contextSize(model.config().contextLength(), err);
            Listener listener = Listener.onText(piece -> {
                if (!json) {
                    out.print(piece);
                    out.flush();
                }
            });
            Generator.Result r;
            long encodeNanos = 0;
            if (!images.isEmpty()) {
                try (VisionModel vm = vision.load(pool, model)) {
                    status.clear();
                    ImageConversation conversation = new ImageConversation(model, vm, vision, contextSize, jsonSchema.text());
                    Lfm2Vl.Answer a = conversation.answerTimed(system, prompt, images, settings, maxTokens, listener, err, status);
                    r = a.result();
                    encodeNanos = a.encodeNanos();
                }
            } else {
                r = generateText(model, tokenizer, model.newState(contextSize), settings, listener, status);
            }
            if (json) {
                out.println(JsonWriter.write(Timings.toJson(r, loadNanos, encodeNanos), false));
            } else {
                out.println();
            }
            out.flush();
            if (vision.verbose) {
                err.println(Timings.summary(r, loadNanos, encodeNanos));
            }
            if (r.stopReason() == Generator.StopReason.CONTEXT_FULL && !quiet) {
                err.println("note: the context is full (" + contextSize + " positions); for longer answers "
                        + ModelOptions.contextFullAdvice(contextSize, model.config().contextLength()));
            }
            if (printIds) {
                StringBuilder b = new StringBuilder();
                for (int i = 0; i < r.tokens().length; i++) {
                    b.append(i > 0 ? "," : "").append(r.tokens()[i]);
                }
                err.println(b);
            }
        } finally {
            status.clear();
        }
        return Main.EXIT_OK;
    }

    private Generator.Result generateText(Lfm2Model model, Tokenizer tokenizer, Lfm2State state, Sampler.Settings settings,
                                          Listener listener, Status status) throws java.io.IOException {
        String text;
        if (raw) {
            text = prompt;
        } else {
            List<ChatTemplate.Message> messages = new ArrayList<>();
            if (system != null) {
                messages.add(ChatTemplate.Message.system(system));
            }
            messages.add(ChatTemplate.Message.user(prompt));
            text = ChatTemplate.render(messages, true);
        }
        int[] ids = tokenizer.encode(text, true, !raw);
        Generator generator = new Generator(model, tokenizer);
        try {
            return generator.generate(state, Prompt.of(ids), new Sampler(model.config().vocabSize(), settings),
                    maxTokens, status.showing(listener, null), jsonSchema.present() ? jsonSchema.compiled().constraint(tokenizer) : null);
        } finally {
            status.clear();
        }
    }
}
