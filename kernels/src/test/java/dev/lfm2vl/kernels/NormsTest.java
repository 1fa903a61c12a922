package dev.lfm2vl.kernels;

import static dev.lfm2vl.kernels.KernelAsserts.*;
import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class NormsTest {
    private static final float EPS = 1e-5f;

    // Vector vs scalar twin: the only difference is the summation order of the squares (float lane
    // partial sums vs one double sum): relative error of the sum ≤ ~n/(4·lanes)·2^-24 ≈ 1e-6 at n=1152,
    // halved by the square root, plus ≤ 2 ulp from the two float multiplies. 2e-6 relative is ample
    // and still 10x tighter than any real bug (e.g. a dropped tail element changes the scale by ≥ 1e-4).
    @Test
    void rmsNormVectorMatchesScalarTwinAtTailSizesAndOffsets() {
        for (int n : SIZES) {
            float[] x = random(n, n + 3, -3f, 3f);
            float[] w = random(n + 100, n, -2f, 2f);
            float[] exp = new float[n + 5];
            float[] act = new float[n + 5];
            ScalarNorms.rmsNorm(x, 3, w, exp, 5, n, EPS);
            Norms.rmsNorm(x, 3, w, act, 5, n, EPS);
            assertClose(exp, act, 1e-7, 2e-6, "rmsNorm n=" + n);
        }
    }

    @Test
    void rmsNormUsesPlainWeightNotOnePlusWeight() {
        float[] x = {1, 2, 3, 4};
        float[] w = {0.5f, 1f, 2f, 0f};
        float[] out = new float[4];
        double r = 1.0 / Math.sqrt(30.0 / 4 + 1e-5); // mean(x²) = 7.5
        for (boolean vector : new boolean[] {false, true}) {
            if (vector) Norms.rmsNorm(x, 0, w, out, 0, 4, EPS); else ScalarNorms.rmsNorm(x, 0, w, out, 0, 4, EPS);
            assertEquals(1 * r * 0.5, out[0], 1e-6);
            assertEquals(2 * r * 1.0, out[1], 1e-6);
            assertEquals(3 * r * 2.0, out[2], 1e-6);
            assertEquals(0.0, out[3], 0.0, "weight 0 must zero the output (a 1+w norm would not)");
        }
    }

    @Test
    void rmsNormEpsIsAddedInsideTheSquareRoot() {
        float[] x = {1e-3f, -1e-3f};
        float[] w = {1f, 1f};
        float[] out = new float[2];
        Norms.rmsNorm(x, 0, w, out, 0, 2, EPS);
        assertEquals(1e-3 / Math.sqrt(1e-6 + 1e-5), out[0], 1e-6);
        assertEquals(-1e-3 / Math.sqrt(1e-6 + 1e-5), out[1], 1e-6);
    }

    @Test
    void rmsNormWorksInPlace() {
        float[] x = random(7, 255, -1f, 1f);
        float[] w = random(8, 255, -1f, 1f);
        float[] exp = new float[255];
        ScalarNorms.rmsNorm(x, 0, w, exp, 0, 255, EPS);
        Norms.rmsNorm(x, 0, w, x, 0, 255, EPS);
        assertClose(exp, x, 1e-7, 2e-6, "in place");
    }

    @Test
    void rmsNormHeadsNormalisesEachHeadSeparatelyWithSharedWeights() {
        int heads = 3, hd = 64;
        float[] x = random(11, heads * hd, -1f, 1f);
        for (int i = 0; i < hd; i++) {
            x[hd + i] = 10f * x[i]; // head 1 = 10 × head 0: per-head norm makes them (almost) equal
        }
        float[] w = random(12, hd, 0.5f, 1.5f);
        float[] out = new float[heads * hd];
        Norms.rmsNormHeads(x, 0, w, out, 0, heads, hd, EPS);
        assertClose(out, 0, out, hd, hd, 1e-4, 1e-4, "head 1 vs head 0");
        float[] single = new float[hd];
        ScalarNorms.rmsNorm(x, 2 * hd, w, single, 0, hd, EPS);
        assertClose(single, 0, out, 2 * hd, hd, 1e-7, 2e-6, "head 2 uses weights from index 0");
        float[] scal = new float[heads * hd];
        ScalarNorms.rmsNormHeads(x, 0, w, scal, 0, heads, hd, EPS);
        assertClose(scal, out, 1e-7, 2e-6, "heads vector vs scalar");
    }

    @Test
    void rmsNormRowsMatchesRowByRowScalar() {
        int rows = 5, n = 37;
        float[] x = random(21, rows * n, -2f, 2f);
        float[] w = random(22, n, -1f, 1f);
        float[] exp = new float[rows * n];
        float[] act = new float[rows * n];
        ScalarNorms.rmsNormRows(x, 0, w, exp, 0, rows, n, EPS);
        Norms.rmsNormRows(x, 0, w, act, 0, rows, n, EPS);
        assertClose(exp, act, 1e-7, 2e-6, "rows");
    }

    // LayerNorm: vector and scalar differ in the order of the mean and deviation sums (both reduced in
    // double at the end); same tolerance reasoning as RMSNorm, plus one FMA vs mul+add in the affine step.
    @Test
    void layerNormVectorMatchesScalarTwinAtTailSizes() {
        for (int n : SIZES) {
            float[] x = random(31 + n, n + 1, -3f, 5f);
            float[] w = random(32 + n, n, -2f, 2f);
            float[] b = random(33 + n, n, -1f, 1f);
            float[] exp = new float[n];
            float[] act = new float[n];
            ScalarNorms.layerNorm(x, 1, w, b, exp, 0, n, 1e-6f);
            Norms.layerNorm(x, 1, w, b, act, 0, n, 1e-6f);
            assertClose(exp, act, 2e-6, 4e-6, "layerNorm n=" + n);
            ScalarNorms.layerNorm(x, 1, w, null, exp, 0, n, 1e-6f);
            Norms.layerNorm(x, 1, w, null, act, 0, n, 1e-6f);
            assertClose(exp, act, 2e-6, 4e-6, "layerNorm no bias n=" + n);
        }
    }

    @Test
    void layerNormUsesPopulationVarianceAndAffineWeightAndBias() {
        float[] x = {1, 2, 3, 4}; // mean 2.5, population variance 1.25 (sample variance would be 1.667)
        float[] w = {1f, 2f, 1f, 0.5f};
        float[] b = {0f, 0.5f, -1f, 0f};
        double s = 1.0 / Math.sqrt(1.25 + 1e-5);
        double[] expected = {-1.5 * s, -0.5 * s * 2 + 0.5, 0.5 * s - 1, 1.5 * s * 0.5};
        float[] out = new float[4];
        ScalarNorms.layerNorm(x, 0, w, b, out, 0, 4, 1e-5f);
        assertClose(expected, out, 1e-6, 0, "scalar");
        Norms.layerNorm(x, 0, w, b, out, 0, 4, 1e-5f);
        assertClose(expected, out, 1e-6, 0, "vector");
    }

    @Test
    void layerNormIsAccurateForLargeMeanSmallSpread() {
        // two-pass variance: a one-pass E[x²]−E[x]² in float would lose everything here
        int n = 1152;
        float[] x = random(41, n, -0.01f, 0.01f);
        for (int i = 0; i < n; i++) x[i] += 100f;
        float[] w = new float[n];
        java.util.Arrays.fill(w, 1f);
        float[] out = new float[n];
        Norms.layerNorm(x, 0, w, null, out, 0, n, 1e-12f);
        double sum = 0, sq = 0;
        for (float v : out) { sum += v; sq += (double) v * v; }
        // inputs near 100 carry float quantisation of ulp(100)/σ ≈ 1e-3 relative, and the float mean
        // shifts by ≤ ulp(100)/2σ ≈ 7e-4 — hence 3e-3; a one-pass E[x²]−E[x]² variance would be off by
        // ≥ 30x (ulp(1e4) ≈ 1e-3 vs σ² ≈ 3e-5)
        assertEquals(0.0, sum / n, 3e-3);
        assertEquals(1.0, sq / n, 1e-2);
    }
}
