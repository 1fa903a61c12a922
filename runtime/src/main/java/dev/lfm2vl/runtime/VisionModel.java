package dev.lfm2vl.runtime;

import dev.lfm2vl.kernels.Activations;
import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.kernels.VectorModule;
import dev.lfm2vl.loader.GgufFile;
import dev.lfm2vl.loader.GgufFormatException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;

/**
 * An LFM2-VL vision projector GGUF ("mmproj"): {@link VisionConfig}, the {@link SiglipEncoder} and the
 * {@link Projector}. {@link #embed(ImageEntry)} turns one pre-processed entry into its image vectors
 * ({@code [tokens][projectionDim]}, row-major), ready to be fed as input embeddings of the text model.
 * Not thread-safe (the encoder reuses its buffers); the matrix work is spread over the pool.
 */
public final class VisionModel implements AutoCloseable {
    private final GgufFile gguf;
    private final VisionConfig config;
    private final SiglipEncoder encoder;
    private final Projector projector;
    private float[] features = new float[0];

    private VisionModel(GgufFile gguf, Parallel pool) throws GgufFormatException {
        this.gguf = gguf;
        this.config = VisionConfig.from(gguf);
        this.encoder = new SiglipEncoder(gguf, config, pool);
        this.projector = new Projector(gguf, config, pool);
    }

    /** Maps an mmproj GGUF and checks its metadata and tensors. */
    public static VisionModel load(Path path, Parallel pool) throws IOException {
        VectorModule.require();
        GgufFile gguf = GgufFile.open(path);
        try {
            return new VisionModel(gguf, pool);
        } catch (IOException | RuntimeException e) {
            gguf.close();
            throw e;
        }
    }

    public VisionConfig config() {
        return config;
    }

    public GgufFile gguf() {
        return gguf;
    }

    SiglipEncoder encoder() {
        return encoder;
    }

    Projector projector() {
        return projector;
    }

    /** Selects the projector's GELU: TANH (llama.cpp, default) or ERF (HF). */
    public VisionModel withProjectorGelu(Activations.Gelu kind) {
        projector.setGelu(kind);
        return this;
    }

    /**
     * Swaps the tower's numerics ({@link VisionNumerics#EXACT} by default). The parity tests plug in llama.cpp's
     * (its F16 GELU table, F16-rounded inputs of products with F16 weights), which about halves the distance to
     * llama.cpp's embeddings on the fixtures (~7e-4 to ~3e-4 max abs).
     */
    VisionModel withNumerics(VisionNumerics numerics) {
        encoder.setNumerics(numerics);
        projector.setNumerics(numerics);
        return this;
    }

    /**
     * Checks that the image vectors fit the text model ({@code projection_dim == text hidden size}).
     *
     * @throws GgufFormatException naming both files and sizes otherwise
     */
    public void checkCompatible(Lfm2Model text) throws GgufFormatException {
        if (config.projectionDim() != text.config().dim()) {
            throw new GgufFormatException("the vision projector " + gguf.source() + " makes " + config.projectionDim()
                    + "-wide image vectors but the text model " + text.gguf().source() + " is " + text.config().dim()
                    + " wide: they do not belong together");
        }
    }

    /** Pre-processing options from the mmproj's mean/std and patch size, docs/MODEL.md §6.1 defaults otherwise. */
    public ImagePreprocessor.Options preprocessOptions(PreprocessMode mode) {
        ImagePreprocessor.Options d = ImagePreprocessor.Options.defaults(mode, config.imageMean(), config.imageStd());
        return new ImagePreprocessor.Options(mode, d.minImageTokens(), d.maxImageTokens(), d.imageSplitting(), d.tileSize(),
                d.minTiles(), d.maxTiles(), d.maxPixelsTolerance(), d.mean(), d.std(), config.patchSize(), config.scaleFactor());
    }

    /** Image vectors an entry of {@code width x height} pixels yields. */
    public int tokens(int width, int height) {
        return projector.outputTokens(height / config.patchSize(), width / config.patchSize());
    }


    /** The image vectors of one entry: {@code [tokens][projectionDim]} row-major. */
    public float[] embed(ImageEntry entry) {
        return embed(entry, Stop.NEVER);
    }

    /** Writes the image vectors of one entry into {@code out} from {@code off}. */
    public void embed(ImageEntry entry, float[] out, int off) {
        embed(entry, out, off, Stop.NEVER);
    }

    /**
     * As {@link #embed(ImageEntry)}, polling {@code stop} between encoder blocks: when it answers true the encoding
     * ends with a {@link java.util.concurrent.CancellationException} (Ctrl-C during a long multi-tile encode).
     */
    public float[] embed(ImageEntry entry, BooleanSupplier stop) {
        int tokens = tokens(entry.width(), entry.height());
        float[] out = new float[tokens * config.projectionDim()];
        embed(entry, out, 0, stop);
        return out;
    }

    /** As {@link #embed(ImageEntry, float[], int)}, polling {@code stop} as {@link #embed(ImageEntry, BooleanSupplier)}. */
    public void embed(ImageEntry entry, float[] out, int off, BooleanSupplier stop) {
        int p = config.patchSize();
        int gw = entry.width() / p;
        int gh = entry.height() / p;
        long need = (long) gw * gh * config.hidden();
        if (features.length < need) {
            features = new float[Math.toIntExact(need)];
        }
        encoder.encode(entry.pixels(), entry.width(), entry.height(), features, stop);
        projector.project(features, gh, gw, out, off);
    }

    @Override
    public void close() {
        gguf.close();
    }
}
