package dev.lfm2vl.kernels;

import static dev.lfm2vl.kernels.KernelAsserts.*;
import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class SoftmaxTest {

    // Vector vs scalar: same max, exps from lanewise(EXP) vs Math.exp rounded (≤ 1-2 ulp apart), sum
    // in float lanes vs double: relative differences ~1e-6 at most.
    @Test
    void softmaxVectorMatchesScalarTwinAtTailSizes() {
        for (int n : SIZES) {
            float[] x = random(n, n + 4, -20f, 20f);
            float[] e = x.clone(), v = x.clone();
            ScalarSoftmax.softmax(e, 4, n);
            Softmax.softmax(v, 4, n);
            assertClose(e, v, 1e-9, 2e-6, "softmax n=" + n);
        }
    }

    @Test
    void softmaxSumsToOneAndIsShiftInvariant() {
        for (int n : SIZES) {
            float[] x = random(7 * n, n, -8f, 8f);
            float[] shifted = x.clone();
            for (int i = 0; i < n; i++) shifted[i] += 50f;
            Softmax.softmax(x, 0, n);
            Softmax.softmax(shifted, 0, n);
            double sum = 0;
            for (float p : x) { assertTrue(p >= 0 && p <= 1); sum += p; }
            assertEquals(1.0, sum, 1e-5, "sum n=" + n);
            // shifting by 50 rounds the inputs (ulp(58) ≈ 4e-6) so allow that much relative change
            assertClose(x, shifted, 1e-9, 2e-5, "shift n=" + n);
        }
    }

    @Test
    void softmaxOfKnownValuesAndLargeInputsDoesNotOverflow() {
        float[] x = {0f, (float) Math.log(3)};
        Softmax.softmax(x, 0, 2);
        assertEquals(0.25f, x[0], 1e-7f);
        assertEquals(0.75f, x[1], 1e-7f);
        float[] big = {1000f, 1000f, Float.NEGATIVE_INFINITY, 999f, 1000f, 1000f, 1000f, 1000f, 1000f};
        Softmax.softmax(big, 0, big.length);
        assertEquals(0f, big[2], 0f, "-inf (masked) gets probability 0");
        assertFalse(Float.isNaN(big[0]));
        double expected = 1 / (7 + Math.exp(-1));
        assertEquals(expected, big[0], 1e-6);
        assertEquals(expected * Math.exp(-1), big[3], 1e-6);
    }
}
