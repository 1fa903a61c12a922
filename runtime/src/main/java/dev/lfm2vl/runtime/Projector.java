package dev.lfm2vl.runtime;

import dev.lfm2vl.kernels.Activations;
import dev.lfm2vl.kernels.Elementwise;
import dev.lfm2vl.kernels.MatMul;
import dev.lfm2vl.kernels.Norms;
import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.kernels.PixelUnshuffle;
import dev.lfm2vl.kernels.WeightMatrix;
import dev.lfm2vl.loader.GgufFile;
import dev.lfm2vl.loader.GgufFormatException;

/**
 * The LFM2-VL multimodal projector (docs/MODEL.md §5): pixel unshuffle by the scale factor (channel order
 * {@code (dy·s + dx)·hidden + c}, docs/MODEL.md pitfall 10), an optional LayerNorm (eps 1e-5, only when {@code mm.input_norm.*}
 * exist), {@code mm.1} + bias, GELU, {@code mm.2} + bias. The GELU is the tanh form by default (llama.cpp);
 * {@link Activations.Gelu#ERF} reproduces HF ({@code projector_hidden_act = "gelu"}, docs/MODEL.md pitfall 9).
 * Buffers grow once to the largest entry seen; not thread-safe.
 */
final class Projector {
    /** llama.cpp hard-codes this eps for the projector LayerNorm (PyTorch default). */
    public static final float INPUT_NORM_EPS = 1e-5f;

    private final VisionConfig config;
    private final Parallel pool;
    private final float[] normW; // null when the file has no mm.input_norm
    private final float[] normB;
    private final WeightMatrix fc1;
    private final float[] fc1B;
    private final WeightMatrix fc2;
    private final float[] fc2B;
    private volatile Activations.Gelu gelu = Activations.Gelu.TANH;
    private volatile VisionNumerics numerics = VisionNumerics.EXACT;

    private float[] merged = new float[0];
    private float[] hidden = new float[0];

    Projector(GgufFile gguf, VisionConfig config, Parallel pool) throws GgufFormatException {
        this.config = config;
        this.pool = pool;
        int in = config.mergedDim();
        if (gguf.hasTensor("mm.input_norm.weight")) {
            normW = GgufWeights.vector(gguf, "mm.input_norm.weight", in);
            normB = GgufWeights.vector(gguf, "mm.input_norm.bias", in);
        } else {
            normW = null;
            normB = null;
        }
        long p = gguf.tensor("mm.1.weight").rows();
        if (p <= 0 || p > Integer.MAX_VALUE) {
            throw new GgufFormatException(gguf.source() + ": tensor 'mm.1.weight' has a bad shape");
        }
        fc1 = GgufWeights.matrix(gguf, "mm.1.weight", in, (int) p);
        fc1B = GgufWeights.vector(gguf, "mm.1.bias", (int) p);
        fc2 = GgufWeights.matrix(gguf, "mm.2.weight", (int) p, config.projectionDim());
        fc2B = GgufWeights.vector(gguf, "mm.2.bias", config.projectionDim());
    }

    public Activations.Gelu gelu() {
        return gelu;
    }

    /** TANH (llama.cpp, default) or ERF (HF). */
    public void setGelu(Activations.Gelu kind) {
        this.gelu = java.util.Objects.requireNonNull(kind, "kind");
    }

    /** The numerics of the products' inputs and of the tanh GELU ({@link VisionNumerics}; parity tests swap them). */
    void setNumerics(VisionNumerics numerics) {
        this.numerics = java.util.Objects.requireNonNull(numerics, "numerics");
    }

    /** Output tokens for a {@code gh x gw} feature grid. */
    public int outputTokens(int gh, int gw) {
        return PixelUnshuffle.outputTokens(gh, gw, config.scaleFactor());
    }

    /**
     * Projects post-LN features {@code [gh][gw][hidden]} into {@code out}
     * ({@code outputTokens(gh, gw)·projectionDim} floats from {@code outOff}).
     */
    public void project(float[] features, int gh, int gw, float[] out, int outOff) {
        int s = config.scaleFactor();
        int tokens = outputTokens(gh, gw);
        int in = config.mergedDim();
        if (merged.length < tokens * in) {
            merged = new float[tokens * in];
        }
        if (hidden.length < tokens * fc1.rows()) {
            hidden = new float[tokens * fc1.rows()];
        }
        PixelUnshuffle.unshuffle(features, 0, gh, gw, config.hidden(), s, merged, 0);
        if (normW != null) {
            Norms.layerNormRows(merged, 0, normW, normB, merged, 0, tokens, in, INPUT_NORM_EPS);
        }
        int p = fc1.rows();
        numerics.beforeProduct(fc1, merged, tokens * in);
        MatMul.matMul(fc1, merged, tokens, hidden, pool);
        Elementwise.addRows(hidden, 0, p, tokens, fc1B, p);
        if (gelu == Activations.Gelu.TANH) {
            numerics.geluTanh(hidden, 0, tokens * p);
        } else {
            Activations.gelu(gelu, hidden, 0, hidden, 0, tokens * p);
        }
        int dim = config.projectionDim();
        numerics.beforeProduct(fc2, hidden, tokens * p);
        if (outOff == 0) {
            MatMul.matMul(fc2, hidden, tokens, out, pool);
        } else {
            float[] y = new float[tokens * dim];
            MatMul.matMul(fc2, hidden, tokens, y, pool);
            System.arraycopy(y, 0, out, outOff, tokens * dim);
        }
        Elementwise.addRows(out, outOff, dim, tokens, fc2B, dim);
    }
}
