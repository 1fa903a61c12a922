package dev.lfm2vl.kernels;

import static dev.lfm2vl.kernels.KernelAsserts.*;
import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class ElementwiseTest {

    // add / mul / scale perform the identical single float operation per element: bit-exact twins.
    @Test
    void addMulScaleAreBitExactTwinsAtTailSizesAndOffsets() {
        for (int n : SIZES) {
            float[] a = random(n, n + 2, -5f, 5f);
            float[] b = random(n + 1, n + 3, -5f, 5f);
            float[] e = a.clone(), v = a.clone();
            ScalarElementwise.add(e, 2, b, 3, n);
            Elementwise.add(v, 2, b, 3, n);
            assertArrayEquals(e, v, "add n=" + n);
            ScalarElementwise.mul(e, 1, b, 0, n);
            Elementwise.mul(v, 1, b, 0, n);
            assertArrayEquals(e, v, "mul n=" + n);
            ScalarElementwise.scale(e, 0, n, 0.37f);
            Elementwise.scale(v, 0, n, 0.37f);
            assertArrayEquals(e, v, "scale n=" + n);
            float[] o1 = new float[n], o2 = new float[n];
            ScalarElementwise.add(a, 0, b, 1, o1, 0, n);
            Elementwise.add(a, 0, b, 1, o2, 0, n);
            assertArrayEquals(o1, o2, "add out n=" + n);
            ScalarElementwise.mul(a, 0, b, 1, o1, 0, n);
            Elementwise.mul(a, 0, b, 1, o2, 0, n);
            assertArrayEquals(o1, o2, "mul out n=" + n);
        }
    }

    @Test
    void addComputesSumsAndAddRowsAddsBiasToEveryRow() {
        float[] a = {1, 2, 3};
        Elementwise.add(a, 0, new float[] {10, 20, 30}, 0, 3);
        assertArrayEquals(new float[] {11, 22, 33}, a);
        float[] m = {0, 0, 9, 1, 1, 9};
        Elementwise.addRows(m, 0, 3, 2, new float[] {1, 2}, 2);
        assertArrayEquals(new float[] {1, 2, 9, 2, 3, 9}, m, "stride 3, n 2: column 2 untouched");
    }

    // axpy: the vector form fuses multiply-add (one rounding) — differs by ≤ 1 ulp of the result.
    @Test
    void axpyMatchesScalarTwinWithinOneRounding() {
        for (int n : SIZES) {
            float[] a = random(3 * n, n, -1f, 1f);
            float[] b = random(3 * n + 1, n, -1f, 1f);
            float[] e = a.clone(), v = a.clone();
            ScalarElementwise.axpy(e, 0, -0.75f, b, 0, n);
            Elementwise.axpy(v, 0, -0.75f, b, 0, n);
            assertClose(e, v, 2e-7, 2e-7, "axpy n=" + n);
        }
    }

    // dot: four float accumulators vs one double sum. For n ≤ 1152 terms in [-1,1] the float summation
    // error is ≤ ~n/(4·lanes)·2^-24·Σ|a·b| ≲ 1e-5·Σ|ab|; we bound by 1e-6·Σ|a·b| + 1e-6 (observed ~1e-7).
    @Test
    void dotMatchesDoublePrecisionScalarTwinAtTailSizes() {
        for (int n : SIZES) {
            float[] a = random(5 * n, n + 1, -1f, 1f);
            float[] b = random(5 * n + 1, n + 2, -1f, 1f);
            double absSum = 0;
            for (int i = 0; i < n; i++) absSum += Math.abs((double) a[1 + i] * b[2 + i]);
            float e = ScalarElementwise.dot(a, 1, b, 2, n);
            float v = Elementwise.dot(a, 1, b, 2, n);
            assertEquals(e, v, 1e-6 * absSum + 1e-6, "dot n=" + n);
        }
    }

    @Test
    void dotOfKnownVectors() {
        float[] a = new float[37];
        float[] b = new float[37];
        for (int i = 0; i < 37; i++) { a[i] = i; b[i] = 2; }
        assertEquals(2 * 666, Elementwise.dot(a, b), 0f); // Σ i for i<37 = 666, exact in float
        assertThrows(IllegalArgumentException.class, () -> Elementwise.dot(new float[2], new float[3]));
    }
}
