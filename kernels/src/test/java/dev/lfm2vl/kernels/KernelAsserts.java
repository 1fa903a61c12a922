package dev.lfm2vl.kernels;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;

/** Test helpers shared by the math-kernel tests: seeded random data and tolerance comparisons. */
final class KernelAsserts {
    private KernelAsserts() {}

    /** Sizes leaving vector tails at every width (4, 8, 16 lanes). */
    static final int[] SIZES = {1, 7, 37, 64, 255, 1152};

    static float[] random(long seed, int n, float lo, float hi) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (lo + (hi - lo) * r.nextDouble());
        }
        return a;
    }

    /** |e − a| ≤ abs + rel·|e| element-wise over [0, n) at the given offsets. */
    static void assertClose(float[] expected, int eOff, float[] actual, int aOff, int n, double abs, double rel, String what) {
        for (int i = 0; i < n; i++) {
            double e = expected[eOff + i];
            double a = actual[aOff + i];
            if (!(Math.abs(e - a) <= abs + rel * Math.abs(e))) {
                fail(what + ": element " + i + " expected " + e + " but was " + a + " (diff " + Math.abs(e - a)
                        + ", tol " + (abs + rel * Math.abs(e)) + ")");
            }
        }
    }

    static void assertClose(float[] expected, float[] actual, double abs, double rel, String what) {
        if (expected.length != actual.length) {
            fail(what + ": length " + expected.length + " vs " + actual.length);
        }
        assertClose(expected, 0, actual, 0, expected.length, abs, rel, what);
    }

    static void assertClose(double[] expected, float[] actual, double abs, double rel, String what) {
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double a = actual[i];
            if (!(Math.abs(e - a) <= abs + rel * Math.abs(e))) {
                fail(what + ": element " + i + " expected " + e + " but was " + a + " (diff " + Math.abs(e - a) + ")");
            }
        }
    }
}
