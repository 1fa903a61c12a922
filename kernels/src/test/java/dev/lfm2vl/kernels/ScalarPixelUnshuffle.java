package dev.lfm2vl.kernels;

/**
 * The scalar twins of {@link PixelUnshuffle}: the same math written plainly, one element at a time, as the tests' oracle
 * (test sources only: production runs the vector kernels).
 */
final class ScalarPixelUnshuffle {
    private ScalarPixelUnshuffle() {}

    /** Scalar twin of {@link PixelUnshuffle#unshuffle} — the test oracle (one element at a time, formula of docs/MODEL.md §5). */
    static void unshuffle(float[] in, int inOff, int gh, int gw, int channels, int s, float[] out, int outOff) {
        PixelUnshuffle.validate(gh, gw, s);
        int oh = gh / s, ow = gw / s;
        for (int Y = 0; Y < oh; Y++) {
            for (int X = 0; X < ow; X++) {
                for (int dy = 0; dy < s; dy++) {
                    for (int dx = 0; dx < s; dx++) {
                        for (int c = 0; c < channels; c++) {
                            out[outOff + (Y * ow + X) * s * s * channels + (dy * s + dx) * channels + c] =
                                    in[inOff + ((s * Y + dy) * gw + (s * X + dx)) * channels + c];
                        }
                    }
                }
            }
        }
    }
}
