package dev.lfm2vl.cli;

import dev.lfm2vl.runtime.Lfm2Vl;

import dev.lfm2vl.kernels.Activations;
import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.runtime.ImageLoadException;
import dev.lfm2vl.runtime.ImageLoader;
import dev.lfm2vl.runtime.ImagePreprocessor;
import dev.lfm2vl.runtime.Lfm2Model;
import dev.lfm2vl.runtime.PreprocessMode;
import dev.lfm2vl.runtime.PreprocessedImage;
import dev.lfm2vl.runtime.RgbImage;
import dev.lfm2vl.runtime.VisionModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

/** Options of the commands that take images: the vision projector and the image pre-processing. */
final class VisionOptions {
    @Option(names = "--mmproj", paramLabel = "MMPROJ.gguf", description = "Vision projector GGUF (architecture clip, projector lfm2).")
    Path mmproj;

    @Option(names = "--preprocess", paramLabel = "MODE", defaultValue = "hf", converter = ModeConverter.class,
            description = "Image pre-processing to reproduce: hf (Hugging Face, how the model was trained) or llama.cpp "
                    + "(default: ${DEFAULT-VALUE}).")
    PreprocessMode preprocess;

    @Option(names = "--min-image-tokens", paramLabel = "N", defaultValue = "64",
            description = "Fewest image tokens for an unsplit image or the thumbnail of a split one (default: ${DEFAULT-VALUE}).")
    int minImageTokens;

    // Honest about its reach: it is the smart-resize budget of one picture (and, in hf mode, the size over which images
    // are split), not a cap on the image's tokens: tiles come on top, and each side is at least 32 px.
    @Option(names = "--max-image-tokens", paramLabel = "N", defaultValue = "256",
            description = "Image-token budget of an unsplit image or of the thumbnail of a split one (default: "
                    + "${DEFAULT-VALUE}); it does not limit the tiles (512 px, 256 tokens each, up to 10: see "
                    + "--no-image-split), and very long thin images exceed it (each side is at least 32 px). "
                    + "'lfm2vl plan' shows the tokens an image takes.")
    int maxImageTokens;

    @Option(names = "--no-image-split", description = "Never split large images into 512-px tiles (llama.cpp itself always splits).")
    boolean noImageSplit;

    @Option(names = "--projector-gelu", paramLabel = "KIND", defaultValue = "tanh", converter = GeluConverter.class,
            description = "GELU of the projector MLP: tanh (llama.cpp) or erf (Hugging Face) (default: ${DEFAULT-VALUE}).")
    Activations.Gelu projectorGelu;

    @Option(names = "--max-image-pixels", paramLabel = "N", defaultValue = "100000000",
            description = "Refuse images with more pixels than this, before decoding them (default: ${DEFAULT-VALUE}).")
    long maxImagePixels;

    @Option(names = "--verbose", description = "Print each image's resize, tile grid and image-token count on stderr.")
    boolean verbose;

    /** Converts {@code hf} / {@code llama.cpp}. */
    static final class ModeConverter implements ITypeConverter<PreprocessMode> {
        @Override
        public PreprocessMode convert(String value) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "hf" -> PreprocessMode.HF;
                case "llama.cpp", "llamacpp", "llama_cpp" -> PreprocessMode.LLAMA_CPP;
                default -> throw new picocli.CommandLine.TypeConversionException("expected hf or llama.cpp, got '" + value + "'");
            };
        }
    }

    /** Converts {@code tanh} / {@code erf}. */
    static final class GeluConverter implements ITypeConverter<Activations.Gelu> {
        @Override
        public Activations.Gelu convert(String value) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "tanh" -> Activations.Gelu.TANH;
                case "erf" -> Activations.Gelu.ERF;
                default -> throw new picocli.CommandLine.TypeConversionException("expected tanh or erf, got '" + value + "'");
            };
        }
    }

    /** Where the text model came from: with --hf and no --mmproj, the repository's mmproj is used. */
    private ModelOptions modelSource;

    VisionOptions pairedWith(ModelOptions models) {
        this.modelSource = models;
        return this;
    }

    /** The projector path (--mmproj, else the one downloaded with the model), or a usage error naming the command. */
    Path requireMmproj(String why) {
        if (mmproj == null && modelSource != null && modelSource.hubMmproj() != null) {
            return modelSource.hubMmproj();
        }
        if (mmproj == null) {
            throw new UserError("--mmproj MMPROJ.gguf is required " + why);
        }
        return mmproj;
    }

    /** Loads the projector and checks it fits the text model. */
    VisionModel load(Parallel pool, Lfm2Model text) throws IOException {
        VisionModel v = VisionModel.load(requireMmproj("for images"), pool);
        try {
            if (text != null) {
                v.checkCompatible(text);
            }
            return v.withProjectorGelu(projectorGelu);
        } catch (IOException | RuntimeException e) {
            v.close();
            throw e;
        }
    }

    /** The runtime API's options for these image options (sampling and answer length are given per request). */
    Lfm2Vl.Options apiOptions(int contextSize) {
        if (minImageTokens < 1 || maxImageTokens < minImageTokens) {
            throw new UserError("need 1 <= --min-image-tokens <= --max-image-tokens, got " + minImageTokens + " and " + maxImageTokens);
        }
        if (maxImagePixels < 1) {
            throw new UserError("--max-image-pixels must be at least 1, got " + maxImagePixels);
        }
        return Lfm2Vl.Options.defaults().withContextSize(contextSize).withPreprocess(preprocess)
                .withImageTokens(minImageTokens, maxImageTokens).withImageSplitting(!noImageSplit).withMaxImagePixels(maxImagePixels);
    }

    /** A pre-processor configured from the projector's mean/std and these options. */
    ImagePreprocessor preprocessor(VisionModel vision) {
        return new ImagePreprocessor(preprocessOptions(vision));
    }

    /** The pre-processing options: the projector's mean/std and patch shapes, and these options. */
    ImagePreprocessor.Options preprocessOptions(VisionModel vision) {
        if (minImageTokens < 1 || maxImageTokens < minImageTokens) {
            throw new UserError("need 1 <= --min-image-tokens <= --max-image-tokens, got " + minImageTokens + " and " + maxImageTokens);
        }
        ImagePreprocessor.Options o = vision.preprocessOptions(preprocess).withImageTokens(minImageTokens, maxImageTokens);
        return noImageSplit ? o.withImageSplitting(false) : o;
    }

    /**
     * Loads and pre-processes one image; with {@code --verbose} prints its plan to {@code err} first. An unreadable
     * image is a usage error (exit 2).
     */
    PreprocessedImage preprocess(ImagePreprocessor pre, Path image, PrintWriter err) {
        RgbImage rgb;
        try {
            rgb = ImageLoader.load(image, maxImagePixels);
        } catch (ImageLoadException e) {
            throw new UserError(Main.describe(e));
        }
        if (verbose) {
            err.println("image " + image + ": " + pre.plan(rgb.width(), rgb.height()).describe());
            err.flush();
        }
        try {
            return pre.preprocess(rgb);
        } catch (OutOfMemoryError e) {
            throw new UserError(Main.describe(ImageLoader.outOfMemory(image, "pre-process a " + rgb.width() + "x" + rgb.height() + " image", 0)));
        }
    }
}
