package dev.lfm2vl.cli;

import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.loader.GgufFormatException;
import dev.lfm2vl.runtime.ChatTemplate;
import dev.lfm2vl.runtime.Generator;
import dev.lfm2vl.runtime.Lfm2Model;
import dev.lfm2vl.runtime.Lfm2State;
import dev.lfm2vl.runtime.PromptPart;
import dev.lfm2vl.runtime.Sampler;
import dev.lfm2vl.runtime.Tokenizer;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code lfm2vl generate}: stream a model's answer to a prompt. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate text from a prompt, streamed to stdout. The prompt goes through the chat template unless --raw.",
        footer = {"", "Examples:",
                "  lfm2vl generate -m model.gguf -p 'Write a haiku about Java.'",
                "  lfm2vl generate -m model.gguf -p 'Hello' -n 32 --temp 0 --print-ids",
                "  lfm2vl generate -m model.gguf --raw -p 'Once upon a time' --seed 42"})
final class GenerateCommand implements Callable<Integer> {
    @Mixin
    ModelOptions options;

    @Mixin
    SamplingOptions sampling;

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

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (maxTokens < -1) {
            throw new UserError("-n must be -1 or more, got " + maxTokens);
        }
        Sampler.Settings settings = sampling.settings();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (Parallel pool = options.pool(); Lfm2Model model = Lfm2Model.load(options.modelPath(), pool)) {
            Tokenizer tokenizer;
            try {
                tokenizer = Tokenizer.fromGguf(model.gguf().metadata());
            } catch (IllegalArgumentException e) {
                throw new GgufFormatException(model.gguf().source() + ": " + e.getMessage());
            }
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
            Lfm2State state = model.newState(options.contextSize(model.config().contextLength()));
            Generator generator = new Generator(model, tokenizer);
            Generator.Result r = generator.generate(state, List.of(new PromptPart.Tokens(ids)), new Sampler(model.config().vocabSize(), settings),
                    maxTokens, (id, piece) -> {
                        out.print(piece);
                        out.flush();
                    });
            out.println();
            out.flush();
            if (r.stopReason() == Generator.StopReason.CONTEXT_FULL) {
                err.println("note: the context is full (" + state.capacity() + " positions); raise --ctx-size for longer answers");
            }
            if (printIds) {
                StringBuilder b = new StringBuilder();
                for (int i = 0; i < r.tokens().length; i++) {
                    b.append(i > 0 ? "," : "").append(r.tokens()[i]);
                }
                err.println(b);
            }
        }
        return Main.EXIT_OK;
    }
}
