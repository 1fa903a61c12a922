package dev.lfm2vl.kernels;

import static dev.lfm2vl.kernels.KernelAsserts.*;
import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class PixelUnshuffleTest {

    @Test
    void unshuffleChannelOrderIsTopLeftTopRightBottomLeftBottomRight() {
        // 2x2 grid, C = 2: patch (y,x) has channels [10·(y·2+x)+1, 10·(y·2+x)+2]
        float[] in = {1, 2, 11, 12, 21, 22, 31, 32}; // TL, TR, BL, BR
        float[] out = new float[8], ref = new float[8];
        PixelUnshuffle.unshuffle(in, 0, 2, 2, 2, 2, out, 0);
        ScalarPixelUnshuffle.unshuffle(in, 0, 2, 2, 2, 2, ref, 0);
        assertArrayEquals(new float[] {1, 2, 11, 12, 21, 22, 31, 32}, out);
        assertArrayEquals(out, ref);
    }

    @Test
    void unshuffleTokensAreRowMajorOverTheHalfResolutionGrid() {
        // gh = 2, gw = 4, C = 1: value = 10·y + x
        float[] in = {0, 1, 2, 3, 10, 11, 12, 13};
        float[] out = new float[8];
        PixelUnshuffle.unshuffle(in, 0, 2, 4, 1, 2, out, 0);
        // token 0 = (Y0, X0): TL 0, TR 1, BL 10, BR 11; token 1 = (Y0, X1): 2, 3, 12, 13
        assertArrayEquals(new float[] {0, 1, 10, 11, 2, 3, 12, 13}, out);
        // a 4 × 2 grid (rows ≠ cols): tokens go down the rows
        float[] in2 = {0, 1, 10, 11, 20, 21, 30, 31};
        PixelUnshuffle.unshuffle(in2, 0, 4, 2, 1, 2, out, 0);
        assertArrayEquals(new float[] {0, 1, 10, 11, 20, 21, 30, 31}, out);
        assertEquals(2, PixelUnshuffle.outputTokens(4, 2, 2));
    }

    @Test
    void unshuffleMatchesScalarTwinForFactorsAndOffsets() {
        int[][] cases = {{4, 6, 5, 2}, {6, 9, 3, 3}, {8, 8, 37, 2}, {2, 2, 1152, 2}, {3, 5, 4, 1}};
        for (int[] cs : cases) {
            int gh = cs[0], gw = cs[1], c = cs[2], s = cs[3];
            float[] in = random(gh * 100L + gw, 3 + gh * gw * c, -1f, 1f);
            float[] out = new float[2 + gh * gw * c], ref = new float[2 + gh * gw * c];
            PixelUnshuffle.unshuffle(in, 3, gh, gw, c, s, out, 2);
            ScalarPixelUnshuffle.unshuffle(in, 3, gh, gw, c, s, ref, 2);
            assertArrayEquals(ref, out, java.util.Arrays.toString(cs));
        }
    }

    @Test
    void unshuffleRejectsSizesNotDivisibleByTheFactor() {
        float[] buf = new float[64];
        assertThrows(IllegalArgumentException.class, () -> PixelUnshuffle.unshuffle(buf, 0, 3, 4, 1, 2, buf, 0));
        assertThrows(IllegalArgumentException.class, () -> PixelUnshuffle.unshuffle(buf, 0, 4, 5, 1, 2, buf, 0));
        assertThrows(IllegalArgumentException.class, () -> ScalarPixelUnshuffle.unshuffle(buf, 0, 4, 3, 1, 2, buf, 0));
        assertThrows(IllegalArgumentException.class, () -> PixelUnshuffle.outputTokens(5, 4, 2));
    }
}
