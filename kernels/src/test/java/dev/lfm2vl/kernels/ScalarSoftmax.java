package dev.lfm2vl.kernels;

/**
 * The scalar twins of {@link Softmax}: the same math written plainly, one element at a time, as the tests' oracle
 * (test sources only: production runs the vector kernels).
 */
final class ScalarSoftmax {
    private ScalarSoftmax() {}

    /** Scalar twin of {@link Softmax#softmax} — the test oracle. */
    static void softmax(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < n; i++) {
            x[off + i] *= inv;
        }
    }
}
