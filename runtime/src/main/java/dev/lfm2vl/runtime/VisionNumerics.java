package dev.lfm2vl.runtime;

import dev.lfm2vl.kernels.Activations;
import dev.lfm2vl.kernels.WeightMatrix;

/**
 * The two places where the vision tower's float numerics can be swapped: the activations before a product with a
 * weight matrix, and the tanh GELU. Production uses {@link #EXACT} (the exact float formulas); the parity tests
 * plug in llama.cpp's own numerics (its F16 GELU table and F16-rounded inputs) to compare embeddings closely.
 * Called once per layer, never per element.
 */
interface VisionNumerics {
    /** Prepares {@code x[0..n)}, the input of a product with {@code w}, in place. */
    void beforeProduct(WeightMatrix w, float[] x, int n);

    /** The tanh-form GELU of {@code x[off..off+n)} in place. */
    void geluTanh(float[] x, int off, int n);

    /** The exact float numerics: inputs as they are, the GELU formula. */
    VisionNumerics EXACT = new VisionNumerics() {
        @Override
        public void beforeProduct(WeightMatrix w, float[] x, int n) {}

        @Override
        public void geluTanh(float[] x, int off, int n) {
            Activations.gelu(Activations.Gelu.TANH, x, off, x, off, n);
        }
    };
}
