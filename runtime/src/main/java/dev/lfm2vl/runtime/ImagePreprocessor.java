package dev.lfm2vl.runtime;

import dev.lfm2vl.kernels.Resize;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * LFM2-VL image pre-processing (docs/MODEL.md §6, layout §8.3) in two flavours ({@link PreprocessMode}): smart
 * resize to a multiple of {@code patchSize·downsampleFactor} (32 px) within the min/max image-token budget, the
 * tiling decision, the tile grid, the entries (tiles then thumbnail, or one image) as normalised planar floats, and
 * the marker layout of the image span.
 */
public final class ImagePreprocessor {

    /**
     * Pre-processing options. {@code mean}/{@code std} come from the mmproj ({@code clip.vision.image_mean/std}).
     * {@code imageSplitting = false} disables tiling (HF {@code do_image_splitting}); llama.cpp has no such switch,
     * so leave it on to reproduce it. {@code maxPixelsTolerance} is used by both modes (llama.cpp hard-codes 2.0).
     */
    public record Options(
            PreprocessMode mode,
            int minImageTokens,
            int maxImageTokens,
            boolean imageSplitting,
            int tileSize,
            int minTiles,
            int maxTiles,
            double maxPixelsTolerance,
            float[] mean,
            float[] std,
            int patchSize,
            int downsampleFactor) {

        public Options {
            Objects.requireNonNull(mode, "mode");
            if (mean == null || std == null || mean.length != 3 || std.length != 3) {
                throw new IllegalArgumentException("mean and std need 3 values each");
            }
            for (float s : std) {
                if (!(s != 0 && Float.isFinite(s))) {
                    throw new IllegalArgumentException("std must be finite and non-zero");
                }
            }
            mean = mean.clone();
            std = std.clone();
            if (minImageTokens <= 0 || maxImageTokens < minImageTokens) {
                throw new IllegalArgumentException("need 0 < min image tokens <= max image tokens, got " + minImageTokens + ".." + maxImageTokens);
            }
            if (patchSize <= 0 || downsampleFactor <= 0 || tileSize <= 0 || tileSize % (patchSize * downsampleFactor) != 0) {
                throw new IllegalArgumentException("tile size must be a positive multiple of patch size x downsample factor");
            }
            if (minTiles < 1 || maxTiles < minTiles) {
                throw new IllegalArgumentException("need 1 <= min tiles <= max tiles, got " + minTiles + ".." + maxTiles);
            }
            if (!(maxPixelsTolerance > 0)) {
                throw new IllegalArgumentException("max pixels tolerance must be positive");
            }
        }

        /** Defaults of docs/MODEL.md §6.1: 64..256 image tokens, splitting on, 512-px tiles, 2..10 tiles, tolerance 2.0, patch 16, factor 2. */
        public static Options defaults(PreprocessMode mode, float[] mean, float[] std) {
            return new Options(mode, 64, 256, true, 512, 2, 10, 2.0, mean, std, 16, 2);
        }

        public Options withMode(PreprocessMode m) {
            return new Options(m, minImageTokens, maxImageTokens, imageSplitting, tileSize, minTiles, maxTiles, maxPixelsTolerance, mean, std, patchSize, downsampleFactor);
        }

        public Options withImageTokens(int min, int max) {
            return new Options(mode, min, max, imageSplitting, tileSize, minTiles, maxTiles, maxPixelsTolerance, mean, std, patchSize, downsampleFactor);
        }

        public Options withImageSplitting(boolean on) {
            return new Options(mode, minImageTokens, maxImageTokens, on, tileSize, minTiles, maxTiles, maxPixelsTolerance, mean, std, patchSize, downsampleFactor);
        }

        public Options withTiles(int min, int max) {
            return new Options(mode, minImageTokens, maxImageTokens, imageSplitting, tileSize, min, max, maxPixelsTolerance, mean, std, patchSize, downsampleFactor);
        }

        public Options withMaxPixelsTolerance(double tolerance) {
            return new Options(mode, minImageTokens, maxImageTokens, imageSplitting, tileSize, minTiles, maxTiles, tolerance, mean, std, patchSize, downsampleFactor);
        }

        /** Per-channel mean (a copy). */
        @Override
        public float[] mean() {
            return mean.clone();
        }

        /** Per-channel std (a copy). */
        @Override
        public float[] std() {
            return std.clone();
        }

        /** Alignment unit: {@code patchSize·downsampleFactor} (32). */
        public int unit() {
            return patchSize * downsampleFactor;
        }

        long minPixels() {
            return (long) minImageTokens * unit() * unit();
        }

        long maxPixels() {
            return (long) maxImageTokens * unit() * unit();
        }
    }

    /**
     * HF's candidate grids {@code (cols, rows)} for 2..10 tiles in the exact order CPython produces for
     * {@code sorted(set(...), key=w*h)} (docs/MODEL.md §6.4); ties are resolved by this order.
     */
    private static final int[][] HF_CANDIDATES = {
        {1, 2}, {2, 1}, {3, 1}, {1, 3}, {2, 2}, {4, 1}, {1, 4}, {5, 1}, {1, 5}, {1, 6}, {6, 1}, {3, 2}, {2, 3},
        {7, 1}, {1, 7}, {4, 2}, {2, 4}, {1, 8}, {8, 1}, {1, 9}, {3, 3}, {9, 1}, {2, 5}, {5, 2}, {10, 1}, {1, 10},
    };

    private final Options options;

    public ImagePreprocessor(Options options) {
        this.options = Objects.requireNonNull(options, "options");
    }

    public Options options() {
        return options;
    }

    // ---------------------------------------------------------------- decisions

    /** Smart resize (docs/MODEL.md §6.2) of a {@code width x height} image: returns {@code {w, h}}, multiples of 32. */
    int[] smartResize(int width, int height) {
        int f = options.unit();
        long minPixels = options.minPixels();
        long maxPixels = options.maxPixels();
        if (options.mode() == PreprocessMode.HF) {
            // Python: round() is half-to-even, arithmetic in double
            int hBar = Math.max(f, (int) Math.rint((double) height / f) * f);
            int wBar = Math.max(f, (int) Math.rint((double) width / f) * f);
            if ((long) hBar * wBar > maxPixels) {
                double beta = Math.sqrt((double) height * width / maxPixels);
                hBar = Math.max(f, (int) Math.floor(height / beta / f) * f);
                wBar = Math.max(f, (int) Math.floor(width / beta / f) * f);
            } else if ((long) hBar * wBar < minPixels) {
                double beta = Math.sqrt(minPixels / ((double) height * width));
                hBar = (int) Math.ceil(height * beta / f) * f;
                wBar = (int) Math.ceil(width * beta / f) * f;
            }
            return new int[] {wBar, hBar};
        }
        // llama.cpp: std::round (half away from zero) and float arithmetic
        float ff = f;
        int hBar = Math.max(f, Math.round((float) height / ff) * f);
        int wBar = Math.max(f, Math.round((float) width / ff) * f);
        if ((long) hBar * wBar > maxPixels) {
            float beta = (float) Math.sqrt((float) height * (float) width / (float) maxPixels);
            hBar = Math.max(f, (int) Math.floor((float) height / beta / ff) * f);
            wBar = Math.max(f, (int) Math.floor((float) width / beta / ff) * f);
        } else if ((long) hBar * wBar < minPixels) {
            float beta = (float) Math.sqrt((float) minPixels / ((float) height * (float) width));
            hBar = (int) Math.ceil((double) (height * beta) / f) * f;
            wBar = (int) Math.ceil((double) (width * beta) / f) * f;
        }
        return new int[] {wBar, hBar};
    }

    /** Whether a {@code width x height} image is tiled (docs/MODEL.md §6.3). */
    boolean shouldTile(int width, int height) {
        if (!options.imageSplitting() || options.maxTiles() < 2) {
            return false;
        }
        if (options.mode() == PreprocessMode.HF) {
            int f = options.unit();
            int hBar = Math.max(options.patchSize(), (int) Math.rint((double) height / f) * f);
            int wBar = Math.max(options.patchSize(), (int) Math.rint((double) width / f) * f);
            double limit = (double) options.maxImageTokens() * f * f * options.maxPixelsTolerance();
            return (double) hBar * wBar > limit;
        }
        double side = options.tileSize() * options.maxPixelsTolerance();
        return width > side || height > side;
    }

    /** Candidate grids {@code {cols, rows}} in tie-breaking order. */
    List<int[]> candidateGrids() {
        int lo = options.minTiles();
        int hi = options.maxTiles();
        List<int[]> out = new ArrayList<>();
        if (hi <= 10) {
            if (lo <= 1) {
                out.add(new int[] {1, 1});
            }
            for (int[] c : HF_CANDIDATES) {
                int a = c[0] * c[1];
                if (a >= lo && a <= hi) {
                    out.add(c);
                }
            }
            return out;
        }
        // beyond HF's default range the CPython set order is not reproduced: insertion order, stable sort by area
        for (int n = lo; n <= hi; n++) {
            for (int w = 1; w <= n; w++) {
                for (int h = 1; h <= n; h++) {
                    int a = w * h;
                    if (a >= lo && a <= hi) {
                        boolean seen = false;
                        for (int[] c : out) {
                            seen |= c[0] == w && c[1] == h;
                        }
                        if (!seen) {
                            out.add(new int[] {w, h});
                        }
                    }
                }
            }
        }
        out.sort((p, q) -> Integer.compare(p[0] * p[1], q[0] * q[1]));
        return out;
    }

    /** The tile grid {@code {cols, rows}} closest in aspect ratio (docs/MODEL.md §6.4): double in HF mode, float in llama.cpp mode. */
    int[] gridLayout(int width, int height) {
        int tile = options.tileSize();
        int[] best = {1, 1};
        if (options.mode() == PreprocessMode.HF) {
            double aspect = (double) width / height;
            double area = (double) width * height;
            double bestDiff = Double.POSITIVE_INFINITY;
            for (int[] c : candidateGrids()) {
                double diff = Math.abs(aspect - (double) c[0] / c[1]);
                if (diff < bestDiff) {
                    bestDiff = diff;
                    best = c;
                } else if (diff == bestDiff && area > 0.5 * tile * tile * c[0] * c[1]) {
                    best = c;
                }
            }
        } else {
            float aspect = (float) width / height;
            float area = (float) ((long) width * height);
            float bestDiff = Float.MAX_VALUE;
            for (int[] c : candidateGrids()) {
                float diff = Math.abs(aspect - (float) c[0] / c[1]);
                if (diff < bestDiff) {
                    bestDiff = diff;
                    best = c;
                } else if (diff == bestDiff && area > 0.5f * (float) (tile * tile * c[0] * c[1])) {
                    best = c;
                }
            }
        }
        return best.clone();
    }

    /** Every decision for a {@code width x height} image, without touching pixels. */
    public ImagePlan plan(int width, int height) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive: " + width + "x" + height);
        }
        int unit = options.unit();
        int[] thumb = smartResize(width, height);
        int thumbTokens = (thumb[0] / unit) * (thumb[1] / unit);
        List<ImageLayoutItem> layout = new ArrayList<>();
        layout.add(new ImageLayoutItem.Marker(ImageLayoutItem.IMAGE_START));
        boolean tiled = shouldTile(width, height);
        int[] grid = tiled ? gridLayout(width, height) : new int[] {0, 0};
        if (tiled && grid[0] * grid[1] == 1) {
            // only possible with min tiles 1; HF would emit one 512x512 tile without thumbnail, we keep the
            // smart-resized single image instead
            tiled = false;
            grid = new int[] {0, 0};
        }
        List<ImagePlan.EntryPlan> entries = new ArrayList<>();
        if (tiled) {
            int tile = options.tileSize();
            int tileTokens = (tile / unit) * (tile / unit);
            int k = 0;
            for (int r = 1; r <= grid[1]; r++) {
                for (int c = 1; c <= grid[0]; c++) {
                    layout.add(new ImageLayoutItem.Marker(ImageLayoutItem.tileMarker(r, c)));
                    layout.add(new ImageLayoutItem.Entry(k));
                    entries.add(new ImagePlan.EntryPlan(tile, tile, tileTokens, r, c, false));
                    k++;
                }
            }
            layout.add(new ImageLayoutItem.Marker(ImageLayoutItem.THUMBNAIL));
            layout.add(new ImageLayoutItem.Entry(k));
            entries.add(new ImagePlan.EntryPlan(thumb[0], thumb[1], thumbTokens, 0, 0, true));
        } else {
            if (options.mode() == PreprocessMode.LLAMA_CPP) {
                layout.add(new ImageLayoutItem.Marker(ImageLayoutItem.THUMBNAIL));
            }
            layout.add(new ImageLayoutItem.Entry(0));
            entries.add(new ImagePlan.EntryPlan(thumb[0], thumb[1], thumbTokens, 0, 0, false));
        }
        layout.add(new ImageLayoutItem.Marker(ImageLayoutItem.IMAGE_END));
        int tile = options.tileSize();
        return new ImagePlan(options.mode(), width, height, thumb[0], thumb[1], tiled, grid[0], grid[1],
                tiled ? tile * grid[0] : 0, tiled ? tile * grid[1] : 0, entries, layout);
    }

    // ---------------------------------------------------------------- pixels

    /** Pre-processes a decoded image: decisions, resampling, tiling and normalisation. */
    public PreprocessedImage preprocess(RgbImage image) {
        ImagePlan plan = plan(image.width(), image.height());
        List<ImageEntry> entries = new ArrayList<>();
        int tile = options.tileSize();
        if (plan.tiled()) {
            int cw = plan.canvasWidth();
            int ch = plan.canvasHeight();
            byte[] canvas = options.mode() == PreprocessMode.HF
                    ? Resize.bilinearAntialias(image.rgb(), image.width(), image.height(), cw, ch)
                    : letterbox(image, cw, ch);
            for (ImagePlan.EntryPlan e : plan.entries()) {
                if (!e.thumbnail()) {
                    entries.add(new ImageEntry(e, normalise(canvas, cw, (e.col() - 1) * tile, (e.row() - 1) * tile, tile, tile)));
                }
            }
        }
        ImagePlan.EntryPlan whole = plan.entries().get(plan.entryCount() - 1); // the thumbnail or the single image
        int tw = whole.width();
        int th = whole.height();
        byte[] resized = resample(image.rgb(), image.width(), image.height(), tw, th);
        entries.add(new ImageEntry(whole, normalise(resized, tw, 0, 0, tw, th)));
        return new PreprocessedImage(plan, entries);
    }

    private byte[] resample(byte[] rgb, int w, int h, int tw, int th) {
        return options.mode() == PreprocessMode.HF
                ? Resize.bilinearAntialias(rgb, w, h, tw, th)
                : Resize.bilinearAlignCorners(rgb, w, h, tw, th);
    }

    /**
     * llama.cpp's {@code PAD_CEIL} letterbox: fit the image into {@code cw x ch} preserving the aspect ratio
     * (float scale, ceil, clamp), resize with its bilinear, paste centred (integer offsets) on a black canvas.
     */
    private static byte[] letterbox(RgbImage image, int cw, int ch) {
        int w = image.width();
        int h = image.height();
        if (w == cw && h == ch) {
            return image.rgb().clone();
        }
        float scale = Math.min((float) cw / w, (float) ch / h);
        int nw = Math.min((int) Math.ceil(w * scale), cw);
        int nh = Math.min((int) Math.ceil(h * scale), ch);
        byte[] small = Resize.bilinearAlignCorners(image.rgb(), w, h, nw, nh);
        byte[] canvas = new byte[3 * cw * ch];
        int ox = (cw - nw) / 2;
        int oy = (ch - nh) / 2;
        for (int y = 0; y < nh; y++) {
            System.arraycopy(small, 3 * y * nw, canvas, 3 * ((y + oy) * cw + ox), 3 * nw);
        }
        return canvas;
    }

    /** Crops {@code w x h} at (x0, y0) of an RGB buffer of width {@code stride} into planar normalised floats. */
    private float[] normalise(byte[] rgb, int stride, int x0, int y0, int w, int h) {
        float[] out = new float[3 * w * h];
        float[] mean = options.mean();
        float[] std = options.std();
        int plane = w * h;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = 3 * ((y0 + y) * stride + x0 + x);
                int o = y * w + x;
                for (int c = 0; c < 3; c++) {
                    out[c * plane + o] = ((rgb[i + c] & 0xFF) / 255.0f - mean[c]) / std[c];
                }
            }
        }
        return out;
    }
}
