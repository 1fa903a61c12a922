package dev.lfm2vl.kernels;

/**
 * The scalar twins of {@link CausalConv}: the same math written plainly, one element at a time, as the tests' oracle
 * (test sources only: production runs the vector kernels).
 */
final class ScalarCausalConv {
    private ScalarCausalConv() {}

    /**
     * Scalar twin of {@link CausalConv#forward(float[], int, int, int, float[], float[], int, int)} — the test
     * oracle. Takes the GGUF-layout weight ({@code w[c·taps + k]}) directly and literally follows
     * llama.cpp's formulation: concatenate {@code state ++ g_0..g_{T−1}} along time, take an L-wide
     * window per output, keep the last L−1 columns as the new state.
     */
    static void forward(float[] z, int zOff, int zStride, int T, float[] w, int d, int taps,
                                     float[] state, float[] out, int outOff, int outStride) {
        CausalConv.checkArgs(z, zOff, zStride, T, state, d, taps, 0, d);
        int K = taps - 1;
        for (int c = 0; c < d; c++) {
            // concatenated time series for channel c: K state values then T gated values
            float[] series = new float[K + T]; // oracle: clarity over allocation
            for (int r = 0; r < K; r++) {
                series[r] = state[r * d + c];
            }
            for (int t = 0; t < T; t++) {
                int zr = zOff + t * zStride;
                series[K + t] = z[zr + c] * z[zr + 2 * d + c];
            }
            for (int t = 0; t < T; t++) {
                float acc = 0f;
                for (int k = 0; k < taps; k++) {
                    acc += w[c * taps + k] * series[t + k];
                }
                out[outOff + t * outStride + c] = z[zOff + t * zStride + d + c] * acc;
            }
            for (int r = 0; r < K; r++) {
                state[r * d + c] = series[T + r];
            }
        }
    }
}
