package dev.lfm2vl.kernels;

import static dev.lfm2vl.kernels.KernelAsserts.*;
import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class ActivationsTest {

    /** Exact erf in double: Taylor series for |x| < 3, continued fraction for erfc beyond (~1e-14). */
    static double erfRef(double x) {
        double ax = Math.abs(x);
        double r;
        if (ax < 3) {
            double term = ax, sum = ax, x2 = ax * ax;
            for (int k = 1; k < 200; k++) {
                term *= -x2 / k;
                double add = term / (2 * k + 1);
                sum += add;
                if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + 2/(x + ...)))))
            double f = ax;
            for (int k = 60; k >= 1; k--) {
                f = ax + (k / 2.0) / f;
            }
            r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
        }
        return x < 0 ? -r : r;
    }

    /** Exact erfc for x ≥ 0 without cancellation in the tail (continued fraction beyond 3). */
    static double erfcRef(double x) {
        if (x < 3) {
            return 1 - erfRef(x); // erfc ≥ 2e-5 here, so the subtraction keeps ~1e-11 relative
        }
        double f = x;
        for (int k = 60; k >= 1; k--) {
            f = x + (k / 2.0) / f;
        }
        return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
    }

    static double geluErfRef(double x) {
        double z = Math.abs(x) / Math.sqrt(2);
        return x < 0 ? 0.5 * x * erfcRef(z) : 0.5 * x * (2 - erfcRef(z));
    }

    static double geluTanhRef(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    /** Dense grid over [-12, 12] plus tail-size padding. */
    static float[] grid() {
        int n = 24001 + 3; // not a multiple of any lane count
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = -12f + i * 0.001f;
        return x;
    }

    @Test
    void erfReferenceItselfIsRight() {
        assertEquals(0.8427007929497149, erfRef(1), 1e-13);
        assertEquals(0.9953222650189527, erfRef(2), 1e-13);
        assertEquals(0.9999779095030014, erfRef(3), 1e-13);
        assertEquals(-0.5204998778130465, erfRef(-0.5), 1e-13);
        assertEquals(1 - 1.5374597944280349e-12, erfRef(5), 1e-15);
    }

    @Test
    void erfApproximationIsWithin2e7OfExact() {
        for (float x = -6f; x <= 6f; x += 0.0007f) {
            assertEquals(erfRef(x), Activations.erf(x), 2e-7, "x=" + x);
        }
        assertEquals(0f, Activations.erf(0f), 1.2e-7f);
    }

    // GELU-erf vs exact double: approximation 1.2e-7 relative on erfc, times 0.5|x|·2 for x>0, plus
    // float evaluation (a few ulp) -> 1e-6·max(1,|x|) absolute is the documented bound.
    @Test
    void geluErfVectorAndScalarMatchExactDoubleReference() {
        float[] x = grid();
        float[] v = new float[x.length], s = new float[x.length];
        Activations.geluErf(x, 0, v, 0, x.length);
        ScalarActivations.geluErf(x, 0, s, 0, x.length);
        for (int i = 0; i < x.length; i++) {
            double ref = geluErfRef(x[i]);
            double tol = 1e-6 * Math.max(1, Math.abs(x[i]));
            assertEquals(ref, v[i], tol, "vector x=" + x[i]);
            assertEquals(ref, s[i], tol, "scalar x=" + x[i]);
        }
        // negative tail keeps relative accuracy (computed via erfc, no 1+erf cancellation)
        float[] t = {-5f, -6f, -7f, -8f, -5f, -6f, -7f, -8f, -5f, -6f, -7f, -8f, -5f, -6f, -7f, -8f, -5f};
        float[] o = new float[t.length];
        Activations.geluErf(t, 0, o, 0, t.length);
        for (int i = 0; i < t.length; i++) {
            assertEquals(geluErfRef(t[i]), o[i], 1e-5 * Math.abs(geluErfRef(t[i])), "tail x=" + t[i]);
        }
    }

    // GELU-tanh: vector TANH/EXP intrinsics vs Math.tanh: a few ulp of the result.
    @Test
    void geluTanhVectorAndScalarMatchDoubleFormula() {
        float[] x = grid();
        float[] v = new float[x.length], s = new float[x.length];
        Activations.geluTanh(x, 0, v, 0, x.length);
        ScalarActivations.geluTanh(x, 0, s, 0, x.length);
        for (int i = 0; i < x.length; i++) {
            double ref = geluTanhRef(x[i]);
            double tol = 1e-6 * Math.max(1, Math.abs(x[i]));
            assertEquals(ref, v[i], tol, "vector x=" + x[i]);
            assertEquals(ref, s[i], tol, "scalar x=" + x[i]);
        }
    }

    @Test
    void geluTanhAndErfDifferByLessThan1e3ButAreDistinguishable() {
        float[] x = grid();
        float[] t = new float[x.length], e = new float[x.length];
        Activations.gelu(Activations.Gelu.TANH, x, 0, t, 0, x.length);
        Activations.gelu(Activations.Gelu.ERF, x, 0, e, 0, x.length);
        double maxDiff = 0;
        for (int i = 0; i < x.length; i++) maxDiff = Math.max(maxDiff, Math.abs(t[i] - e[i]));
        assertTrue(maxDiff < 1e-3, "max diff " + maxDiff);
        assertTrue(maxDiff > 1e-4, "forms must be distinguishable, max diff " + maxDiff);
        // at x = -2 the known values differ: tanh form -0.045402, erf form -0.045500
        float[] two = {-2f};
        float[] o = new float[1];
        ScalarActivations.gelu(Activations.Gelu.TANH, two, 0, o, 0, 1);
        assertEquals(-0.04540230, o[0], 1e-7);
        ScalarActivations.gelu(Activations.Gelu.ERF, two, 0, o, 0, 1);
        assertEquals(-0.04550026, o[0], 1e-7);
    }

    // SiLU vector (EXP intrinsic + div) vs scalar Math.exp: ≤ 2 ulp.
    @Test
    void siluVectorMatchesScalarTwinAndDoubleReference() {
        float[] x = grid();
        float[] v = new float[x.length], s = new float[x.length];
        Activations.silu(x, 0, v, 0, x.length);
        ScalarActivations.silu(x, 0, s, 0, x.length);
        assertClose(s, v, 1e-7, 3e-7, "silu vector vs scalar");
        for (int i = 0; i < x.length; i++) {
            assertEquals(x[i] / (1 + Math.exp(-x[i])), s[i], 1e-7 + 3e-7 * Math.abs(x[i]), "x=" + x[i]);
        }
        float[] ext = {-100f, 100f, -89f, 89f, 0f, -100f, 100f, -89f, 89f};
        Activations.silu(ext, 0, ext, 0, ext.length);
        assertEquals(0f, ext[0], 1e-30f);
        assertEquals(100f, ext[1], 0f);
        assertEquals(89f, ext[3], 0f);
        assertEquals(0f, ext[4], 0f);
    }

    @Test
    void swigluAppliesSiluToGateAndMultipliesByUp() {
        float[] gate = {2f}, up = {3f}, out = new float[1];
        Activations.swiglu(gate, up, out, 1);
        assertEquals(3 * 2 / (1 + Math.exp(-2)), out[0], 1e-6); // 5.2838; swapped would be 5.7154
        for (int n : SIZES) {
            float[] g = random(n, n, -8f, 8f), u = random(n + 9, n + 1, -2f, 2f);
            float[] e = new float[n], v = new float[n];
            ScalarActivations.swiglu(g, 0, u, 1, e, 0, n);
            Activations.swiglu(g, 0, u, 1, v, 0, n);
            assertClose(e, v, 1e-7, 3e-7, "swiglu n=" + n);
        }
    }
}
