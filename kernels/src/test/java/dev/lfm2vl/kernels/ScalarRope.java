package dev.lfm2vl.kernels;

/**
 * The scalar twins of {@link Rope}: the same math written plainly, one element at a time, as the tests' oracle
 * (test sources only: production runs the vector kernels).
 */
final class ScalarRope {
    private ScalarRope() {}

    /**
     * Scalar twin of {@link Rope#apply} — the test oracle: computes θ, cos and sin in double per call
     * (no tables) and rounds each output once to float.
     */
    static void apply(float[] v, int off, int heads, int headDim, int pos, double base) {
        int half = headDim / 2;
        for (int h = 0; h < heads; h++) {
            int a0 = off + h * headDim;
            for (int i = 0; i < half; i++) {
                double theta = pos * Math.pow(base, -2.0 * i / headDim);
                double c = Math.cos(theta);
                double s = Math.sin(theta);
                double a = v[a0 + i];
                double b = v[a0 + half + i];
                v[a0 + i] = (float) (a * c - b * s);
                v[a0 + half + i] = (float) (a * s + b * c);
            }
        }
    }
}
