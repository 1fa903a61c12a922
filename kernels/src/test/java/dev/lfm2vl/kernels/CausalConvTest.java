package dev.lfm2vl.kernels;

import static dev.lfm2vl.kernels.KernelAsserts.*;
import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class CausalConvTest {

    /** z rows [B | C | x] with stride 3d + pad. */
    private static float[] z(long seed, int T, int d, int pad) {
        return random(seed, T * (3 * d + pad), -1.5f, 1.5f);
    }

    // Vector vs scalar: L ≤ 4 products per output, FMA vs separate mul/add: ≤ ~L ulp of Σ|w·g| ≈ 1e-6
    // for magnitudes here; 2e-6 absolute + 1e-6 relative.
    @Test
    void convVectorMatchesScalarTwinForTapsChannelsAndBatchSizes() {
        for (int d : new int[] {1, 7, 37, 64, 255}) {
            for (int taps = 1; taps <= 4; taps++) {
                for (int T : new int[] {1, 2, 3, 5}) {
                    int pad = 2, stride = 3 * d + pad;
                    float[] w = random(d * 10L + taps, d * taps, -1f, 1f);
                    float[] zz = z(d + 100L * taps + T, T, d, pad);
                    float[] st0 = random(d + taps + T, (taps - 1) * d, -1f, 1f);
                    float[] sv = st0.clone(), ss = st0.clone();
                    float[] ov = new float[1 + T * d], os = new float[1 + T * d];
                    CausalConv conv = new CausalConv(w, d, taps);
                    assertEquals((taps - 1) * d, conv.stateSize());
                    conv.forward(zz, 0, stride, T, sv, ov, 1, d);
                    ScalarCausalConv.forward(zz, 0, stride, T, w, d, taps, ss, os, 1, d);
                    String what = "d=" + d + " L=" + taps + " T=" + T;
                    assertClose(os, ov, 2e-6, 1e-6, "out " + what);
                    assertArrayEquals(ss, sv, "state " + what); // state = exact products, both paths
                }
            }
        }
    }

    @Test
    void convStateHoldsGatedProductBTimesXNotX() {
        int d = 1, taps = 3;
        // rows [B, C, x]: g_0 = 2·5 = 10, g_1 = 3·7 = 21
        float[] zz = {2, 1, 5, 3, 1, 7};
        float[] w = {0, 0, 1};
        for (boolean vector : new boolean[] {false, true}) {
            float[] state = new float[2];
            float[] out = new float[2];
            if (vector) new CausalConv(w, d, taps).forward(zz, 0, 3, 2, state, out, 0, 1);
            else ScalarCausalConv.forward(zz, 0, 3, 2, w, d, taps, state, out, 0, 1);
            assertArrayEquals(new float[] {10, 21}, state, "state = [g_0, g_1] oldest first");
        }
    }

    @Test
    void convTapLMinus1MultipliesTheCurrentTokenAndTap0TheOldest() {
        int d = 2, taps = 3;
        // channel c taps w[c·3 + k]; channel 0 uses only tap 2, channel 1 only tap 0
        float[] w = {0, 0, 1, 1, 0, 0};
        float[] state = {100, 200, 300, 400}; // row 0 (oldest) = [100, 200], row 1 = [300, 400]
        // one token: B = [2, 3], C = [10, 100], x = [5, 7]
        float[] zz = {2, 3, 10, 100, 5, 7};
        for (boolean vector : new boolean[] {false, true}) {
            float[] st = state.clone();
            float[] out = new float[2];
            if (vector) new CausalConv(w, d, taps).forward(zz, 0, 6, 1, st, out, 0, 2);
            else ScalarCausalConv.forward(zz, 0, 6, 1, w, d, taps, st, out, 0, 2);
            assertEquals(10f * (2 * 5), out[0], 0f, "tap 2 · current g, times C");
            assertEquals(100f * 200, out[1], 0f, "tap 0 · oldest state row, times C");
            assertArrayEquals(new float[] {300, 400, 10, 21}, st, "shifted: old row 1 then current g");
        }
    }

    @Test
    void convDecodeStepIsW0S0PlusW1S1PlusW2G() {
        int d = 1;
        float[] w = {0.5f, -2f, 3f};
        float[] st = {1.5f, 4f};
        float[] zz = {2f, 0.25f, 3f}; // g = 6, C = 0.25
        float[] out = new float[1];
        new CausalConv(w, d, 3).forward(zz, 0, 3, 1, st, out, 0, 1);
        assertEquals(0.25f * (0.5f * 1.5f - 2f * 4f + 3f * 6f), out[0], 1e-6f);
        assertArrayEquals(new float[] {4f, 6f}, st);
    }

    @Test
    void convStartsFromZerosBeforeTheSequence() {
        int d = 3, taps = 3, T = 4;
        float[] w = random(5, d * taps, -1f, 1f);
        float[] zz = z(6, T, d, 0);
        float[] st = new float[(taps - 1) * d];
        float[] out = new float[T * d];
        new CausalConv(w, d, taps).forward(zz, 0, 3 * d, T, st, out, 0, d);
        for (int c = 0; c < d; c++) { // t = 0 sees only its own g through tap 2
            float g0 = zz[c] * zz[2 * d + c];
            assertEquals(zz[d + c] * (w[c * 3 + 2] * g0), out[c], 1e-6f);
        }
    }

    @Test
    void convBatchOfTTokensEqualsTSingleTokenStepsCarryingTheState() {
        int d = 37, stride = 3 * d;
        for (int taps : new int[] {1, 2, 3, 4}) {
            for (int T : new int[] {1, 2, 5, 9}) {
                float[] w = random(taps * 3L, d * taps, -1f, 1f);
                float[] zz = z(T * 7L + taps, T, d, 0);
                float[] st0 = random(T + 13L, (taps - 1) * d, -1f, 1f);
                CausalConv conv = new CausalConv(w, d, taps);
                float[] stBatch = st0.clone(), outBatch = new float[T * d];
                conv.forward(zz, 0, stride, T, stBatch, outBatch, 0, d);
                float[] stStep = st0.clone(), outStep = new float[T * d];
                float[] stScalar = st0.clone(), outScalar = new float[T * d];
                for (int t = 0; t < T; t++) {
                    conv.forward(zz, t * stride, stride, 1, stStep, outStep, t * d, d);
                    ScalarCausalConv.forward(zz, t * stride, stride, 1, w, d, taps, stScalar, outScalar, t * d, d);
                }
                // same per-element operation order in batch and step mode → bit-exact
                assertArrayEquals(outStep, outBatch, "L=" + taps + " T=" + T);
                assertArrayEquals(stStep, stBatch, "state L=" + taps + " T=" + T);
                assertClose(outScalar, outBatch, 2e-6, 1e-6, "scalar steps L=" + taps + " T=" + T);
                assertArrayEquals(stScalar, stBatch, "scalar state L=" + taps + " T=" + T);
            }
        }
    }

    @Test
    void convOutputMayOverwriteTheCChunkInPlace() {
        int d = 64, taps = 3, T = 5, stride = 3 * d;
        float[] w = random(1, d * taps, -1f, 1f);
        float[] zz = z(2, T, d, 0);
        float[] st0 = random(3, (taps - 1) * d, -1f, 1f);
        CausalConv conv = new CausalConv(w, d, taps);
        float[] st = st0.clone(), out = new float[T * d];
        conv.forward(zz, 0, stride, T, st, out, 0, d);
        float[] zi = zz.clone(), sti = st0.clone();
        conv.forward(zi, 0, stride, T, sti, zi, d, stride);
        for (int t = 0; t < T; t++) {
            for (int c = 0; c < d; c++) assertEquals(out[t * d + c], zi[t * stride + d + c], 0f);
        }
        assertArrayEquals(st, sti);
    }

    @Test
    void convChannelRangesComposeToTheFullResult() {
        int d = 255, taps = 3, T = 3, stride = 3 * d + 1;
        float[] w = random(9, d * taps, -1f, 1f);
        float[] zz = z(10, T, d, 1);
        float[] st0 = random(11, (taps - 1) * d, -1f, 1f);
        CausalConv conv = new CausalConv(w, d, taps);
        float[] stFull = st0.clone(), outFull = new float[T * d];
        conv.forward(zz, 0, stride, T, stFull, outFull, 0, d);
        float[] stSplit = st0.clone(), outSplit = new float[T * d];
        conv.forward(zz, 0, stride, T, stSplit, outSplit, 0, d, 100, 255);
        conv.forward(zz, 0, stride, T, stSplit, outSplit, 0, d, 0, 37);
        conv.forward(zz, 0, stride, T, stSplit, outSplit, 0, d, 37, 100);
        assertArrayEquals(outFull, outSplit);
        assertArrayEquals(stFull, stSplit);
    }
}
