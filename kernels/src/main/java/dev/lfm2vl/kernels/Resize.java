package dev.lfm2vl.kernels;

/**
 * Image and grid resampling used by the vision pre-processing and the position-embedding resize.
 *
 * <p>Three filters (see docs/MODEL.md §4.3 and §6.5):
 * <ul>
 *   <li>{@link #bilinearAlignCorners} — llama.cpp's {@code img_tool::resize_bilinear} on 8-bit RGB: align-corners
 *       mapping, 2x2 taps, no antialias, float arithmetic, truncation to u8 (Mode L).</li>
 *   <li>{@link #bilinearAntialias(byte[], int, int, int, int)} — torchvision/PIL antialiased bilinear on 8-bit RGB:
 *       separable (horizontal pass, then vertical), half-pixel centres, triangle support widened by the downscale
 *       factor, normalised weights, rounding half up to u8 after each pass (Mode H).</li>
 *   <li>{@link #bilinearAntialias(float[], int, int, int, int, int)} — the same antialiased triangle filter on a float
 *       grid with C interleaved channels (PyTorch {@code F.interpolate(bilinear, align_corners=False,
 *       antialias=True)}, ggml's antialias upscale), used for the 16x16 position-embedding table.</li>
 * </ul>
 * RGB images are interleaved {@code [h][w][3]} byte arrays (unsigned values). Plain loops: images are small.
 */
public final class Resize {
    private Resize() {}

    /**
     * Per-output-index taps of a 1-D antialiased triangle filter: output {@code i} reads source indices
     * {@code start[i] .. start[i]+count[i]-1} with weights {@code weights[i][0..count[i]-1]} (summing to 1).
     */
    public record AxisWeights(int in, int out, int[] start, int[] count, float[][] weights) {}

    /**
     * The antialiased bilinear (triangle) weights for one axis, docs/MODEL.md §4.3: {@code scale = in/out},
     * {@code support = max(1, scale)}, centre {@code (i+0.5)·scale}, taps {@code [trunc(centre-support+0.5),
     * trunc(centre+support+0.5))} clipped to the source, weight {@code max(0, 1-|(j-centre+0.5)/support|)},
     * normalised. When upsampling this is ordinary half-pixel bilinear with edge clamping. Computed in float
     * (as ggml does); torchvision/PIL compute the same weights in double — the difference is far below u8 steps.
     */
    public static AxisWeights antialiasWeights(int in, int out) {
        if (in <= 0 || out <= 0) {
            throw new IllegalArgumentException("sizes must be positive: " + in + " -> " + out);
        }
        float scale = (float) in / out;
        float support = Math.max(1.0f, scale);
        float inv = 1.0f / support;
        int[] start = new int[out];
        int[] count = new int[out];
        float[][] w = new float[out][];
        for (int i = 0; i < out; i++) {
            float center = (i + 0.5f) * scale;
            int lo = Math.max((int) (center - support + 0.5f), 0);
            int hi = Math.min((int) (center + support + 0.5f), in);
            int n = Math.max(hi - lo, 0);
            float[] wi = new float[n];
            float sum = 0;
            for (int k = 0; k < n; k++) {
                float t = Math.max(0.0f, 1.0f - Math.abs((lo + k - center + 0.5f) * inv));
                wi[k] = t;
                sum += t;
            }
            if (sum != 0) {
                for (int k = 0; k < n; k++) {
                    wi[k] /= sum;
                }
            }
            start[i] = lo;
            count[i] = n;
            w[i] = wi;
        }
        return new AxisWeights(in, out, start, count, w);
    }

    /**
     * llama.cpp's bilinear resize of 8-bit RGB (Mode L): {@code rx = (W-1)/(W'-1)} (0 when {@code W' = 1}), source
     * position {@code x·rx}, {@code x0 = min(trunc(px), W-1)}, {@code x1 = min(x0+1, W-1)}, lerp in float along x
     * (top and bottom rows) then y, result truncated to u8. Equal sizes copy the image unchanged.
     */
    public static byte[] bilinearAlignCorners(byte[] src, int srcW, int srcH, int dstW, int dstH) {
        checkRgb(src, srcW, srcH);
        if (dstW <= 0 || dstH <= 0) {
            throw new IllegalArgumentException("target size must be positive: " + dstW + "x" + dstH);
        }
        if (srcW == dstW && srcH == dstH) {
            return src.clone();
        }
        byte[] dst = new byte[3 * dstW * dstH];
        float xRatio = dstW > 1 ? (float) (srcW - 1) / (dstW - 1) : 0.0f;
        float yRatio = dstH > 1 ? (float) (srcH - 1) / (dstH - 1) : 0.0f;
        // per-column taps, computed once
        int[] x0s = new int[dstW];
        int[] x1s = new int[dstW];
        float[] xfs = new float[dstW];
        for (int x = 0; x < dstW; x++) {
            float px = x * xRatio;
            int x0 = Math.min((int) px, srcW - 1);
            x0s[x] = x0;
            x1s[x] = Math.min(x0 + 1, srcW - 1);
            xfs[x] = px - x0;
        }
        for (int y = 0; y < dstH; y++) {
            float py = y * yRatio;
            int y0 = Math.min((int) py, srcH - 1);
            int y1 = Math.min(y0 + 1, srcH - 1);
            float yf = py - y0;
            int row0 = y0 * srcW;
            int row1 = y1 * srcW;
            for (int x = 0; x < dstW; x++) {
                int i00 = 3 * (row0 + x0s[x]);
                int i10 = 3 * (row0 + x1s[x]);
                int i01 = 3 * (row1 + x0s[x]);
                int i11 = 3 * (row1 + x1s[x]);
                float xf = xfs[x];
                int o = 3 * (y * dstW + x);
                for (int c = 0; c < 3; c++) {
                    float top = lerp(src[i00 + c] & 0xFF, src[i10 + c] & 0xFF, xf);
                    float bottom = lerp(src[i01 + c] & 0xFF, src[i11 + c] & 0xFF, xf);
                    dst[o + c] = (byte) (int) lerp(top, bottom, yf);
                }
            }
        }
        return dst;
    }

    private static float lerp(float s, float e, float t) {
        return s + (e - s) * t;
    }

    /**
     * Antialiased bilinear resize of 8-bit RGB (Mode H, torchvision {@code antialias=True} / PIL {@code BILINEAR}):
     * a horizontal pass then a vertical pass with {@link #antialiasWeights} and rounding half up (clamped to
     * 0..255) after each pass. An axis whose size does not change is not resampled; equal sizes copy.
     */
    public static byte[] bilinearAntialias(byte[] src, int srcW, int srcH, int dstW, int dstH) {
        checkRgb(src, srcW, srcH);
        if (dstW <= 0 || dstH <= 0) {
            throw new IllegalArgumentException("target size must be positive: " + dstW + "x" + dstH);
        }
        byte[] cur = src;
        int curW = srcW;
        if (dstW != srcW) {
            AxisWeights wx = antialiasWeights(srcW, dstW);
            byte[] out = new byte[3 * dstW * srcH];
            for (int y = 0; y < srcH; y++) {
                int rowIn = y * srcW;
                int rowOut = y * dstW;
                for (int x = 0; x < dstW; x++) {
                    float[] w = wx.weights()[x];
                    int s0 = wx.start()[x];
                    float r = 0, g = 0, b = 0;
                    for (int k = 0; k < w.length; k++) {
                        int i = 3 * (rowIn + s0 + k);
                        r += w[k] * (cur[i] & 0xFF);
                        g += w[k] * (cur[i + 1] & 0xFF);
                        b += w[k] * (cur[i + 2] & 0xFF);
                    }
                    int o = 3 * (rowOut + x);
                    out[o] = toU8(r);
                    out[o + 1] = toU8(g);
                    out[o + 2] = toU8(b);
                }
            }
            cur = out;
            curW = dstW;
        }
        if (dstH != srcH) {
            AxisWeights wy = antialiasWeights(srcH, dstH);
            byte[] out = new byte[3 * curW * dstH];
            for (int y = 0; y < dstH; y++) {
                float[] w = wy.weights()[y];
                int s0 = wy.start()[y];
                for (int x = 0; x < curW; x++) {
                    float r = 0, g = 0, b = 0;
                    for (int k = 0; k < w.length; k++) {
                        int i = 3 * ((s0 + k) * curW + x);
                        r += w[k] * (cur[i] & 0xFF);
                        g += w[k] * (cur[i + 1] & 0xFF);
                        b += w[k] * (cur[i + 2] & 0xFF);
                    }
                    int o = 3 * (y * curW + x);
                    out[o] = toU8(r);
                    out[o + 1] = toU8(g);
                    out[o + 2] = toU8(b);
                }
            }
            cur = out;
        }
        return cur == src ? src.clone() : cur;
    }

    private static byte toU8(float v) {
        int i = (int) Math.floor(v + 0.5f);
        return (byte) (i < 0 ? 0 : Math.min(i, 255));
    }

    /**
     * Antialiased bilinear resize of a float grid of {@code srcH x srcW} cells with {@code channels} interleaved
     * values per cell (index {@code (y·srcW + x)·channels + c}) to {@code dstH x dstW} cells, same layout
     * (docs/MODEL.md §4.3). Returns a copy when the size is unchanged. Computed separably in float.
     */
    public static float[] bilinearAntialias(float[] src, int channels, int srcH, int srcW, int dstH, int dstW) {
        if (channels <= 0 || srcH <= 0 || srcW <= 0 || dstH <= 0 || dstW <= 0) {
            throw new IllegalArgumentException("sizes must be positive");
        }
        if (src.length != (long) srcH * srcW * channels) {
            throw new IllegalArgumentException("grid has " + src.length + " values, expected " + srcH + "x" + srcW + "x" + channels);
        }
        if (srcH == dstH && srcW == dstW) {
            return src.clone();
        }
        AxisWeights wx = antialiasWeights(srcW, dstW);
        AxisWeights wy = antialiasWeights(srcH, dstH);
        // horizontal pass: [srcH][dstW][C]
        float[] tmp = new float[srcH * dstW * channels];
        for (int y = 0; y < srcH; y++) {
            for (int x = 0; x < dstW; x++) {
                float[] w = wx.weights()[x];
                int s0 = wx.start()[x];
                int o = (y * dstW + x) * channels;
                for (int k = 0; k < w.length; k++) {
                    int i = (y * srcW + s0 + k) * channels;
                    float wk = w[k];
                    for (int c = 0; c < channels; c++) {
                        tmp[o + c] += wk * src[i + c];
                    }
                }
            }
        }
        // vertical pass: [dstH][dstW][C]
        float[] out = new float[dstH * dstW * channels];
        for (int y = 0; y < dstH; y++) {
            float[] w = wy.weights()[y];
            int s0 = wy.start()[y];
            for (int k = 0; k < w.length; k++) {
                float wk = w[k];
                int rowIn = (s0 + k) * dstW * channels;
                int rowOut = y * dstW * channels;
                for (int j = 0; j < dstW * channels; j++) {
                    out[rowOut + j] += wk * tmp[rowIn + j];
                }
            }
        }
        return out;
    }

    private static void checkRgb(byte[] src, int w, int h) {
        if (w <= 0 || h <= 0) {
            throw new IllegalArgumentException("source size must be positive: " + w + "x" + h);
        }
        if (src.length != 3L * w * h) {
            throw new IllegalArgumentException("RGB buffer has " + src.length + " bytes, expected 3x" + w + "x" + h);
        }
    }
}
