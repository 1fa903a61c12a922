package dev.lfm2vl.runtime;

import dev.lfm2vl.kernels.Activations;
import dev.lfm2vl.kernels.WeightMatrix;
import dev.lfm2vl.loader.GgmlType;

/**
 * llama.cpp's CPU GELU (tanh form) as it really runs: the input is rounded to F16 and looked up in a 65536-entry
 * table of F16 results ({@code ggml/src/ggml-cpu/vec.h}, {@code GGML_GELU_FP16}); {@code x <= -10 -> 0},
 * {@code x >= 10 -> x}; plus the F16 rounding of activations multiplied with F16 weights. Test sources only: it
 * reproduces llama.cpp's image embeddings closely ({@link VisionModel#withNumerics}); production runs the exact float
 * formula ({@link VisionNumerics#EXACT}).
 */
final class LlamaCppNumerics implements VisionNumerics {

    private static final float[] TABLE = new float[1 << 16];

    static {
        for (int i = 0; i < TABLE.length; i++) {
            float x = Float.float16ToFloat((short) i);
            TABLE[i] = Float.float16ToFloat(Float.floatToFloat16(Activations.geluTanh(x)));
        }
    }

    @Override
    public void geluTanh(float[] x, int off, int n) {
        for (int i = off; i < off + n; i++) {
            float v = x[i];
            if (v <= -10f) {
                x[i] = 0f;
            } else if (v < 10f) {
                x[i] = TABLE[Float.floatToFloat16(v) & 0xFFFF];
            }
        }
    }

    /**
     * llama.cpp multiplies F16 weights with activations converted to F16 ({@code vec_dot_type} of F16): rounds
     * {@code x[0..n)} in place when {@code w} is F16, else leaves it.
     */
    @Override
    public void beforeProduct(WeightMatrix w, float[] x, int n) {
        if (w.type() != GgmlType.F16) {
            return;
        }
        for (int i = 0; i < n; i++) {
            x[i] = Float.float16ToFloat(Float.floatToFloat16(x[i]));
        }
    }
}
