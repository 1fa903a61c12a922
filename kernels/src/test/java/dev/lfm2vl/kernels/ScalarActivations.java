package dev.lfm2vl.kernels;

/**
 * The scalar twins of {@link Activations}: the same math written plainly, one element at a time, as the tests' oracle
 * (test sources only: production runs the vector kernels).
 */
final class ScalarActivations {
    private ScalarActivations() {}

    /** Scalar twin of {@link Activations#silu(float[], int, float[], int, int)} — the test oracle. */
    static void silu(float[] x, int xOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = Activations.silu(x[xOff + i]);
        }
    }

    /** Scalar twin of {@link Activations#swiglu(float[], int, float[], int, float[], int, int)} — the test oracle. */
    static void swiglu(float[] gate, int gOff, float[] up, int uOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = Activations.silu(gate[gOff + i]) * up[uOff + i];
        }
    }

    /** Scalar twin of {@link Activations#gelu} — the test oracle. */
    static void gelu(Activations.Gelu kind, float[] x, int xOff, float[] out, int outOff, int n) {
        if (kind == Activations.Gelu.ERF) {
            geluErf(x, xOff, out, outOff, n);
        } else {
            geluTanh(x, xOff, out, outOff, n);
        }
    }

    /** Scalar twin of {@link Activations#geluTanh(float[], int, float[], int, int)} — the test oracle. */
    static void geluTanh(float[] x, int xOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = Activations.geluTanh(x[xOff + i]);
        }
    }

    /**
     * Scalar twin of {@link Activations#geluErf(float[], int, float[], int, int)} — the test oracle: the same
     * erfc approximation evaluated in double, rounded once to float.
     */
    static void geluErf(float[] x, int xOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = Activations.geluErf(x[xOff + i]);
        }
    }
}
