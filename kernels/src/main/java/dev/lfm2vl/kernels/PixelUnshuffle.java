package dev.lfm2vl.kernels;

/**
 * Pixel unshuffle (space-to-depth) of the projector (docs/MODEL.md §5 step 1, pitfall 10).
 *
 * <p>Input: features {@code [gh][gw][C]} row-major (patch {@code (y, x)} at {@code in[inOff + (y·gw + x)·C]}).
 * Output: {@code [(gh/s)·(gw/s)][s·s·C]}, tokens row-major over the reduced grid, token {@code (Y, X)}
 * at index {@code Y·(gw/s) + X}, channel {@code (dy·s + dx)·C + c} = {@code in[s·Y+dy][s·X+dx][c]} —
 * for s = 2 the order of the four C-blocks is top-left, top-right, bottom-left, bottom-right.
 * Grid sizes not divisible by s are rejected (never happens for LFM2; llama.cpp would zero-pad).
 *
 * <p>The fast version moves whole C-runs with {@link System#arraycopy} (an intrinsic vectorized copy);
 * {@code out} must not overlap {@code in}. No allocation.
 */
public final class PixelUnshuffle {
    private PixelUnshuffle() {}

    /** Output token count {@code (gh/s)·(gw/s)}, after validating the sizes. */
    public static int outputTokens(int gh, int gw, int s) {
        validate(gh, gw, s);
        return (gh / s) * (gw / s);
    }

    /** Unshuffles {@code in} into {@code out}; see the class comment for layouts. */
    public static void unshuffle(float[] in, int inOff, int gh, int gw, int channels, int s, float[] out, int outOff) {
        validate(gh, gw, s);
        if (channels <= 0) {
            throw new IllegalArgumentException("channels must be positive: " + channels);
        }
        int oh = gh / s, ow = gw / s;
        int outC = s * s * channels;
        for (int Y = 0; Y < oh; Y++) {
            for (int X = 0; X < ow; X++) {
                int o = outOff + (Y * ow + X) * outC;
                for (int dy = 0; dy < s; dy++) {
                    int src = inOff + ((s * Y + dy) * gw + s * X) * channels;
                    // the s horizontally adjacent patches are contiguous in the input: one copy per dy
                    System.arraycopy(in, src, out, o + dy * s * channels, s * channels);
                }
            }
        }
    }

    static void validate(int gh, int gw, int s) {
        if (s <= 0) {
            throw new IllegalArgumentException("factor must be positive: " + s);
        }
        if (gh <= 0 || gw <= 0 || gh % s != 0 || gw % s != 0) {
            throw new IllegalArgumentException("grid " + gh + "x" + gw + " is not a positive multiple of " + s);
        }
    }
}
