package dev.lfm2vl.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ResizeTest {
    private static byte[] randomRgb(int w, int h, long seed) {
        byte[] b = new byte[3 * w * h];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] rgbRow(int... grey) {
        byte[] b = new byte[3 * grey.length];
        for (int i = 0; i < grey.length; i++) {
            b[3 * i] = b[3 * i + 1] = b[3 * i + 2] = (byte) grey[i];
        }
        return b;
    }

    private static int[] greys(byte[] rgb) {
        int[] g = new int[rgb.length / 3];
        for (int i = 0; i < g.length; i++) {
            g[i] = rgb[3 * i] & 0xFF;
            assertEquals(g[i], rgb[3 * i + 1] & 0xFF);
            assertEquals(g[i], rgb[3 * i + 2] & 0xFF);
        }
        return g;
    }

    @Test
    void alignCornersBilinearIsIdentityForEqualSizes() {
        byte[] src = randomRgb(37, 23, 1);
        assertArrayEquals(src, Resize.bilinearAlignCorners(src, 37, 23, 37, 23));
    }

    @Test
    void antialiasBilinearIsIdentityForEqualSizes() {
        byte[] src = randomRgb(37, 23, 2);
        assertArrayEquals(src, Resize.bilinearAntialias(src, 37, 23, 37, 23));
    }

    @Test
    void alignCornersBilinearMapsCornersToCornersAndTruncates() {
        // 2 -> 3 columns: ratio (2-1)/(3-1) = 0.5; middle = (10+21)/2 = 15.5 truncated to 15
        assertArrayEquals(new int[] {10, 15, 21}, greys(Resize.bilinearAlignCorners(rgbRow(10, 21), 2, 1, 3, 1)));
        // 4 -> 2 columns: ratio 3, samples source 0 and 3 only (no antialias)
        assertArrayEquals(new int[] {0, 250}, greys(Resize.bilinearAlignCorners(rgbRow(0, 100, 200, 250), 4, 1, 2, 1)));
        // single output column samples source 0
        assertArrayEquals(new int[] {7}, greys(Resize.bilinearAlignCorners(rgbRow(7, 100, 200), 3, 1, 1, 1)));
    }

    @Test
    void alignCornersBilinearInterpolatesRowsThenColumns() {
        // 2x2 -> 3x3; centre = mean of the four corners = (0+100+50+255)/4 = 101.25 -> 101
        byte[] src = new byte[12];
        int[] v = {0, 100, 50, 255};
        for (int i = 0; i < 4; i++) {
            src[3 * i] = src[3 * i + 1] = src[3 * i + 2] = (byte) v[i];
        }
        int[] g = greys(Resize.bilinearAlignCorners(src, 2, 2, 3, 3));
        assertArrayEquals(new int[] {0, 50, 100, 25, 101, 177, 50, 152, 255}, g);
    }

    @Test
    void antialiasBilinearWidensTheFilterWhenShrinkingAndRoundsHalfUp() {
        // 4 -> 2: weights {3,3,1}/7 and {1,3,3}/7 -> 50/7 = 7.14 -> 7, 160/7 = 22.86 -> 23
        assertArrayEquals(new int[] {7, 23}, greys(Resize.bilinearAntialias(rgbRow(0, 10, 20, 30), 4, 1, 2, 1)));
        // 2 -> 1: weights 1/2, 1/2 -> 10.5 rounds up to 11
        assertArrayEquals(new int[] {11}, greys(Resize.bilinearAntialias(rgbRow(10, 11), 2, 1, 1, 1)));
    }

    @Test
    void antialiasBilinearRunsBothAxes() {
        // 2x2 -> 1x1: horizontal pass rounds each row, vertical pass averages: rows (0,101)->51, (50,255)->153; (51+153)/2 = 102
        byte[] src = new byte[12];
        int[] v = {0, 101, 50, 255};
        for (int i = 0; i < 4; i++) {
            src[3 * i] = src[3 * i + 1] = src[3 * i + 2] = (byte) v[i];
        }
        assertArrayEquals(new int[] {102}, greys(Resize.bilinearAntialias(src, 2, 2, 1, 1)));
    }

    private static float[] randomGrid(int h, int w, int c, long seed) {
        Random r = new Random(seed);
        float[] g = new float[h * w * c];
        for (int i = 0; i < g.length; i++) {
            g[i] = (float) r.nextGaussian();
        }
        return g;
    }

    @Test
    void gridResizeIsIdentityFor16x16() {
        float[] g = randomGrid(16, 16, 5, 3);
        assertArrayEquals(g, Resize.bilinearAntialias(g, 5, 16, 16, 16, 16));
    }

    /** Hand-computed antialias weights for 16 -> 3 (scale 16/3, support 16/3): see the rule of docs/MODEL.md §4.3. */
    private static final int[][] W16TO3_START_AND_NUMERATORS = {
        {0, 19, 25, 31, 27, 21, 15, 9, 3},
        {3, 5, 11, 17, 23, 29, 29, 23, 17, 11, 5},
        {8, 3, 9, 15, 21, 27, 31, 25, 19},
    };

    private static double[][] hand16to3() {
        double[][] dense = new double[3][16];
        for (int i = 0; i < 3; i++) {
            int[] row = W16TO3_START_AND_NUMERATORS[i];
            double sum = 0;
            for (int k = 1; k < row.length; k++) {
                sum += row[k];
            }
            for (int k = 1; k < row.length; k++) {
                dense[i][row[0] + k - 1] = row[k] / sum;
            }
        }
        return dense;
    }

    @Test
    void antialiasWeightsFor16To3MatchHandComputedValues() {
        Resize.AxisWeights w = Resize.antialiasWeights(16, 3);
        double[][] hand = hand16to3();
        for (int i = 0; i < 3; i++) {
            double[] got = new double[16];
            for (int k = 0; k < w.count()[i]; k++) {
                got[w.start()[i] + k] = w.weights()[i][k];
            }
            assertArrayEquals(hand[i], got, 1e-6, "output " + i);
        }
    }

    @Test
    void gridResize16To3x3UsesAntialiasedWeightsOnBothAxes() {
        int c = 4;
        float[] g = randomGrid(16, 16, c, 4);
        double[][] w = hand16to3();
        float[] got = Resize.bilinearAntialias(g, c, 16, 16, 3, 3);
        for (int iy = 0; iy < 3; iy++) {
            for (int ix = 0; ix < 3; ix++) {
                for (int ch = 0; ch < c; ch++) {
                    double e = 0;
                    for (int y = 0; y < 16; y++) {
                        for (int x = 0; x < 16; x++) {
                            e += w[iy][y] * w[ix][x] * g[(y * 16 + x) * c + ch];
                        }
                    }
                    assertEquals(e, got[(iy * 3 + ix) * c + ch], 1e-5);
                }
            }
        }
    }

    @Test
    void gridResize16To24IsPlainHalfPixelBilinearWithEdgeClamp() {
        int c = 3;
        float[] g = randomGrid(16, 16, c, 5);
        // 16 rows -> 24 rows, 16 cols -> 3 cols (mixed up/down) and 16x16 -> 24x24
        float[] got = Resize.bilinearAntialias(g, c, 16, 16, 24, 24);
        for (int iy = 0; iy < 24; iy++) {
            double sy = Math.max(0, (iy + 0.5) * 16.0 / 24 - 0.5);
            int y0 = (int) sy;
            int y1 = Math.min(y0 + 1, 15);
            double fy = sy - y0;
            for (int ix = 0; ix < 24; ix++) {
                double sx = Math.max(0, (ix + 0.5) * 16.0 / 24 - 0.5);
                int x0 = (int) sx;
                int x1 = Math.min(x0 + 1, 15);
                double fx = sx - x0;
                for (int ch = 0; ch < c; ch++) {
                    double top = g[(y0 * 16 + x0) * c + ch] * (1 - fx) + g[(y0 * 16 + x1) * c + ch] * fx;
                    double bot = g[(y1 * 16 + x0) * c + ch] * (1 - fx) + g[(y1 * 16 + x1) * c + ch] * fx;
                    assertEquals(top * (1 - fy) + bot * fy, got[(iy * 24 + ix) * c + ch], 1e-5, iy + "," + ix);
                }
            }
        }
    }

    @Test
    void gridResizeKeepsRowMajorLayoutForNonSquareTargets() {
        // a grid constant along x and varying along y keeps that structure at 24 rows x 16 cols
        float[] g = new float[16 * 16];
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                g[y * 16 + x] = y;
            }
        }
        float[] got = Resize.bilinearAntialias(g, 1, 16, 16, 24, 16);
        assertEquals(24 * 16, got.length);
        for (int y = 0; y < 24; y++) {
            double e = Math.min(15, Math.max(0, (y + 0.5) * 16.0 / 24 - 0.5));
            for (int x = 0; x < 16; x++) {
                assertEquals(e, got[y * 16 + x], 1e-5);
            }
        }
    }
}
