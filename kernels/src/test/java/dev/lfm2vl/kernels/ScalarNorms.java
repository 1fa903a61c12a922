package dev.lfm2vl.kernels;

/**
 * The scalar twins of {@link Norms}: the same math written plainly, one element at a time, as the tests' oracle
 * (test sources only: production runs the vector kernels).
 */
final class ScalarNorms {
    private ScalarNorms() {}

    /** Scalar twin of {@link Norms#rmsNorm} — the test oracle (double accumulation, plain loops). */
    static void rmsNorm(float[] x, int xOff, float[] w, float[] out, int outOff, int n, float eps) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double v = x[xOff + i];
            sum += v * v;
        }
        float scale = Norms.rmsScale(sum, n, eps);
        for (int i = 0; i < n; i++) {
            out[outOff + i] = (x[xOff + i] * scale) * w[i];
        }
    }

    /** Scalar twin of {@link Norms#rmsNormRows} — the test oracle. */
    static void rmsNormRows(float[] x, int xOff, float[] w, float[] out, int outOff, int rows, int n, float eps) {
        for (int r = 0; r < rows; r++) {
            rmsNorm(x, xOff + r * n, w, out, outOff + r * n, n, eps);
        }
    }

    /** Scalar twin of {@link Norms#rmsNormHeads} — the test oracle. */
    static void rmsNormHeads(float[] x, int xOff, float[] w, float[] out, int outOff, int heads, int headDim, float eps) {
        rmsNormRows(x, xOff, w, out, outOff, heads, headDim, eps);
    }

    /** Scalar twin of {@link Norms#layerNorm} — the test oracle (double accumulation, plain loops). */
    static void layerNorm(float[] x, int xOff, float[] w, float[] b, float[] out, int outOff, int n, float eps) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += x[xOff + i];
        }
        float mean = (float) (sum / n);
        double sq = 0;
        for (int i = 0; i < n; i++) {
            float d = x[xOff + i] - mean;
            sq += (double) d * d;
        }
        float variance = (float) (sq / n);
        float scale = (float) (1.0 / Math.sqrt(variance + eps));
        for (int i = 0; i < n; i++) {
            float y = ((x[xOff + i] - mean) * scale) * w[i];
            out[outOff + i] = b != null ? y + b[i] : y;
        }
    }
}
