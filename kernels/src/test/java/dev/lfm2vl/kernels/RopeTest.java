package dev.lfm2vl.kernels;

import static dev.lfm2vl.kernels.KernelAsserts.*;
import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class RopeTest {
    private static final double BASE = 1e6;

    @Test
    void ropePairsElementIWithElementIPlusHalfHeadDim() {
        for (boolean vector : new boolean[] {false, true}) {
            float[] v = new float[64];
            v[0] = 1f; // unit vector at i = 0; θ_0 = pos
            if (vector) new Rope(64, BASE).apply(v, 0, 1, 1); else ScalarRope.apply(v, 0, 1, 64, 1, BASE);
            assertEquals(Math.cos(1), v[0], 1e-7);
            assertEquals(Math.sin(1), v[32], 1e-7, "partner of element 0 is element 32 (NEOX)");
            assertEquals(0f, v[1], 0f, "element 1 must not be touched by a rotation of element 0 (not GPT-J pairs)");
            for (int i = 0; i < 64; i++) {
                if (i != 0 && i != 32) assertEquals(0f, v[i], 0f, "i=" + i);
            }
            // the rotation direction: (a, b) = (0, 1) goes to (−sin, cos)
            float[] w = new float[64];
            w[32] = 1f;
            if (vector) new Rope(64, BASE).apply(w, 0, 1, 1); else ScalarRope.apply(w, 0, 1, 64, 1, BASE);
            assertEquals(-Math.sin(1), w[0], 1e-7);
            assertEquals(Math.cos(1), w[32], 1e-7);
        }
    }

    @Test
    void ropeFrequencyIsPosTimesBaseToMinus2iOverHeadDim() {
        // i = 16 of 64 with base 1e6: θ = pos · 1e6^(−1/2) = pos / 1000 → pos 1000 gives θ = 1 rad
        for (boolean vector : new boolean[] {false, true}) {
            float[] v = new float[64 * 2];
            v[64 + 16] = 2f; // second head
            if (vector) new Rope(64, BASE, 4).apply(v, 0, 2, 1000); else ScalarRope.apply(v, 0, 2, 64, 1000, BASE);
            assertEquals(2 * Math.cos(1), v[64 + 16], 1e-6);
            assertEquals(2 * Math.sin(1), v[64 + 48], 1e-6);
        }
    }

    @Test
    void ropeAtPositionZeroIsIdentity() {
        float[] x = random(1, 32 * 64, -3f, 3f);
        float[] v = x.clone(), s = x.clone();
        new Rope(64, BASE).apply(v, 0, 32, 0);
        ScalarRope.apply(s, 0, 32, 64, 0, BASE);
        assertArrayEquals(x, v);
        assertArrayEquals(x, s);
    }

    // Vector vs scalar: float table (cos/sin computed in double, rounded once) and float arithmetic vs
    // all-double arithmetic: |error| ≤ ~3 ulp of |a|+|b| ≈ 4e-7·max|v| for |v| ≤ 3, so 2e-6 absolute.
    @Test
    void ropeVectorMatchesScalarTwinForHeadDimsPositionsAndOffsets() {
        int[] headDims = {2, 6, 14, 16, 64, 72, 128};
        int[] positions = {0, 1, 17, 255, 256, 1000, 32767, 131071};
        for (int hd : headDims) {
            Rope rope = new Rope(hd, BASE, 8); // forces lazy growth
            for (int pos : positions) {
                int heads = 5;
                float[] x = random(hd * 31L + pos, 3 + heads * hd, -3f, 3f);
                float[] v = x.clone(), s = x.clone();
                rope.apply(v, 3, heads, pos);
                ScalarRope.apply(s, 3, heads, hd, pos, BASE);
                assertClose(s, v, 2e-6, 0, "headDim " + hd + " pos " + pos);
                assertEquals(x[0], v[0], 0f, "offset respected");
            }
            assertTrue(rope.capacity() > 131071);
        }
    }

    @Test
    void ropeApplyRowsEqualsApplyPerRowAtConsecutivePositions() {
        int hd = 64, heads = 8, stride = heads * hd + 5, rows = 6, pos0 = 41;
        Rope rope = new Rope(hd, 10000.0);
        float[] x = random(77, rows * stride, -1f, 1f);
        float[] batch = x.clone(), single = x.clone();
        rope.applyRows(batch, 0, stride, rows, heads, pos0);
        for (int r = 0; r < rows; r++) rope.apply(single, r * stride, heads, pos0 + r);
        assertArrayEquals(single, batch);
        float[] s = x.clone();
        for (int r = 0; r < rows; r++) ScalarRope.apply(s, r * stride, heads, hd, pos0 + r, 10000.0);
        assertClose(s, batch, 2e-6, 0, "rows vs scalar (base 1e4)");
    }

    @Test
    void ropeRejectsOddHeadDim() {
        assertThrows(IllegalArgumentException.class, () -> new Rope(63, BASE));
    }
}
