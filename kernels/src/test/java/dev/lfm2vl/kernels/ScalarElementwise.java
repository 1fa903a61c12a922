package dev.lfm2vl.kernels;

/**
 * The scalar twins of {@link Elementwise}: the same math written plainly, one element at a time, as the tests' oracle
 * (test sources only: production runs the vector kernels).
 */
final class ScalarElementwise {
    private ScalarElementwise() {}

    /** Scalar twin of {@link Elementwise#add(float[], int, float[], int, int)} — the test oracle. */
    static void add(float[] a, int aOff, float[] b, int bOff, int n) {
        for (int i = 0; i < n; i++) {
            a[aOff + i] += b[bOff + i];
        }
    }

    /** Scalar twin of {@link Elementwise#add(float[], int, float[], int, float[], int, int)} — the test oracle. */
    static void add(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = a[aOff + i] + b[bOff + i];
        }
    }

    /** Scalar twin of {@link Elementwise#mul(float[], int, float[], int, int)} — the test oracle. */
    static void mul(float[] a, int aOff, float[] b, int bOff, int n) {
        for (int i = 0; i < n; i++) {
            a[aOff + i] *= b[bOff + i];
        }
    }

    /** Scalar twin of {@link Elementwise#mul(float[], int, float[], int, float[], int, int)} — the test oracle. */
    static void mul(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = a[aOff + i] * b[bOff + i];
        }
    }

    /** Scalar twin of {@link Elementwise#scale} — the test oracle. */
    static void scale(float[] a, int aOff, int n, float s) {
        for (int i = 0; i < n; i++) {
            a[aOff + i] *= s;
        }
    }

    /** Scalar twin of {@link Elementwise#axpy} — the test oracle (separate multiply and add). */
    static void axpy(float[] a, int aOff, float s, float[] b, int bOff, int n) {
        for (int i = 0; i < n; i++) {
            a[aOff + i] += s * b[bOff + i];
        }
    }

    /** Scalar twin of {@link Elementwise#dot(float[], int, float[], int, int)} — the test oracle (sequential, double). */
    static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += (double) a[aOff + i] * b[bOff + i];
        }
        return (float) sum;
    }
}
