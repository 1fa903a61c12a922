package dev.lfm2vl.cli;

import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.loader.GgufFormatException;
import dev.lfm2vl.runtime.Generator;
import dev.lfm2vl.runtime.Lfm2Model;
import dev.lfm2vl.runtime.Lfm2State;
import dev.lfm2vl.runtime.Sampler;
import dev.lfm2vl.runtime.Tokenizer;
import dev.lfm2vl.runtime.VisionModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code lfm2vl caption}: describe each image, loading the models once. */
@Command(name = "caption", mixinStandardHelpOptions = true,
        description = "Caption images: each image is asked the prompt in a fresh conversation, the answer streamed to stdout. "
                + "With several images each answer is preceded by a '==> IMAGE <==' line.",
        footer = {"", "Examples:",
                "  lfm2vl caption -m model.gguf --mmproj mmproj.gguf photo.jpg",
                "  lfm2vl caption -m model.gguf --mmproj mmproj.gguf -p 'List the objects.' --temp 0 a.png b.png"})
final class CaptionCommand implements Callable<Integer> {
    static final String DEFAULT_PROMPT = "Describe this image.";

    @Mixin
    ModelOptions options;

    @Mixin
    VisionOptions vision;

    @Mixin
    SamplingOptions sampling;

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "Images to caption (PNG, JPEG, BMP, GIF, WebP).")
    List<Path> images;

    @Option(names = {"-p", "--prompt"}, paramLabel = "PROMPT", defaultValue = DEFAULT_PROMPT,
            description = "What to ask about each image (default: ${DEFAULT-VALUE}).")
    String prompt;

    @Option(names = "--system", paramLabel = "TEXT", description = "A system message placed before the prompt.")
    String system;

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", defaultValue = "256",
            description = "Tokens to generate at most per image (default: ${DEFAULT-VALUE}; -1 = until the end of the answer).")
    int maxTokens;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (maxTokens < -1) {
            throw new UserError("-n must be -1 or more, got " + maxTokens);
        }
        vision.pairedWith(options).requireMmproj("to caption images");
        Sampler.Settings settings = sampling.settings();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (Parallel pool = options.pool(); Lfm2Model model = Lfm2Model.load(options.modelPath(), pool);
             VisionModel vm = vision.load(pool, model)) {
            Tokenizer tokenizer;
            try {
                tokenizer = Tokenizer.fromGguf(model.gguf().metadata());
            } catch (IllegalArgumentException e) {
                throw new GgufFormatException(model.gguf().source() + ": " + e.getMessage());
            }
            ImageConversation conversation = new ImageConversation(model, tokenizer, vm, vision);
            Lfm2State state = model.newState(options.contextSize(model.config().contextLength()));
            for (Path image : images) {
                if (images.size() > 1) {
                    out.println("==> " + image + " <==");
                }
                Generator.Result r = caption(conversation, state, image, settings, out, err);
                if (r.stopReason() == Generator.StopReason.CONTEXT_FULL) {
                    err.println("note: " + image + ": the context is full (" + state.capacity() + " positions); raise --ctx-size");
                }
            }
        }
        return Main.EXIT_OK;
    }

    /** Captions one image, streaming the answer to {@code out} followed by a newline. */
    Generator.Result caption(ImageConversation conversation, Lfm2State state, Path image, Sampler.Settings settings,
                             PrintWriter out, PrintWriter err) {
        Generator.Result r = conversation.answer(state, system, prompt, List.of(image), settings, maxTokens, (id, piece) -> {
            out.print(piece);
            out.flush();
        }, err);
        out.println();
        out.flush();
        return r;
    }
}
