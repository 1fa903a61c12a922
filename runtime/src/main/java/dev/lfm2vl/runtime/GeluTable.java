package dev.lfm2vl.runtime;

import dev.lfm2vl.kernels.Activations;

/**
 * llama.cpp's CPU GELU (tanh form) as it really runs: the input is rounded to F16 and looked up in a 65536-entry
 * table of F16 results ({@code ggml/src/ggml-cpu/vec.h}, {@code GGML_GELU_FP16}); {@code x <= -10 -> 0},
 * {@code x >= 10 -> x}; plus the F16 rounding of activations multiplied with F16 weights. Opt-in, only to reproduce llama.cpp's image embeddings bit-closely
 * ({@link VisionModel#withLlamaCppGeluTable}); the default is the exact float formula.
 */
final class GeluTable {
    private GeluTable() {}

    private static final float[] TABLE = new float[1 << 16];

    static {
        for (int i = 0; i < TABLE.length; i++) {
            float x = Float.float16ToFloat((short) i);
            TABLE[i] = Float.float16ToFloat(Float.floatToFloat16(Activations.geluTanh(x)));
        }
    }

    static void apply(float[] x, int off, int n) {
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
    static void roundInputsForF16(dev.lfm2vl.kernels.WeightMatrix w, float[] x, int n) {
        if (w.type() != dev.lfm2vl.loader.GgmlType.F16) {
            return;
        }
        for (int i = 0; i < n; i++) {
            x[i] = Float.float16ToFloat(Float.floatToFloat16(x[i]));
        }
    }
}
