package dev.lfm2vl.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.kernels.Resize;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** HF-mode decisions and both modes' differences, with values derived from docs/MODEL.md §6. */
class ImagePreprocessorTest {
    private static final float[] HALF = {0.5f, 0.5f, 0.5f};

    private static ImagePreprocessor hf() {
        return new ImagePreprocessor(ImagePreprocessor.Options.defaults(PreprocessMode.HF, HALF, HALF));
    }

    private static ImagePreprocessor llama() {
        return new ImagePreprocessor(ImagePreprocessor.Options.defaults(PreprocessMode.LLAMA_CPP, HALF, HALF));
    }

    private static ImagePreprocessor with(PreprocessMode mode, int minTokens, int maxTokens) {
        return new ImagePreprocessor(ImagePreprocessor.Options.defaults(mode, HALF, HALF).withImageTokens(minTokens, maxTokens));
    }

    private static List<String> layout(ImagePlan p) {
        return p.layout().stream().map(Object::toString).toList();
    }

    private static RgbImage randomImage(int w, int h, long seed) {
        byte[] b = new byte[3 * w * h];
        new Random(seed).nextBytes(b);
        return new RgbImage(w, h, b);
    }

    private static RgbImage solid(int w, int h, int v) {
        byte[] b = new byte[3 * w * h];
        java.util.Arrays.fill(b, (byte) v);
        return new RgbImage(w, h, b);
    }

    @Test
    void hfKeeps256x384AsOneImageOf96Tokens() {
        ImagePlan p = hf().plan(256, 384);
        assertFalse(p.tiled());
        assertEquals(256, p.resizedWidth());
        assertEquals(384, p.resizedHeight());
        assertEquals(96, p.totalImageTokens());
        assertEquals(List.of("<|image_start|>", "IMG#0", "<|image_end|>"), layout(p));
        assertEquals(98, p.totalPositions());
    }

    @Test
    void hfSingleImageWithoutResizeIsOnlyNormalised() {
        RgbImage img = randomImage(256, 384, 1);
        PreprocessedImage pre = hf().preprocess(img);
        assertEquals(1, pre.entries().size());
        ImageEntry e = pre.entries().get(0);
        assertEquals(256, e.width());
        assertEquals(384, e.height());
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 384; y += 7) {
                for (int x = 0; x < 256; x += 5) {
                    float expected = (img.get(x, y, c) / 255.0f - 0.5f) / 0.5f;
                    assertEquals(expected, e.pixels()[c * 256 * 384 + y * 256 + x], 0.0f);
                }
            }
        }
    }

    @Test
    void llamaCppSingleImageAlsoEmitsTheThumbnailMarker() {
        ImagePlan p = llama().plan(256, 384);
        assertEquals(List.of("<|image_start|>", "<|img_thumbnail|>", "IMG#0", "<|image_end|>"), layout(p));
        assertEquals(99, p.totalPositions());
    }

    @Test
    void tall1000x3000TilesAs1Column3RowsPlus288x864ThumbnailFor1011TokensInBothModes() {
        for (ImagePreprocessor pp : List.of(hf(), llama())) {
            ImagePlan p = pp.plan(1000, 3000);
            assertTrue(p.tiled());
            assertEquals(1, p.gridCols());
            assertEquals(3, p.gridRows());
            assertEquals(512, p.canvasWidth());
            assertEquals(1536, p.canvasHeight());
            assertEquals(288, p.resizedWidth());
            assertEquals(864, p.resizedHeight());
            assertEquals(List.of(256, 256, 256, 243), p.entries().stream().map(ImagePlan.EntryPlan::imageTokens).toList());
            assertEquals(1011, p.totalImageTokens());
            assertEquals(List.of("<|image_start|>", "<|img_row_1_col_1|>", "IMG#0", "<|img_row_2_col_1|>", "IMG#1",
                    "<|img_row_3_col_1|>", "IMG#2", "<|img_thumbnail|>", "IMG#3", "<|image_end|>"), layout(p));
            assertEquals(1017, p.totalPositions());
        }
    }

    @Test
    void square800x800TilesInHfButNotInLlamaCpp() {
        ImagePlan h = hf().plan(800, 800);
        assertTrue(h.tiled());
        assertEquals(2, h.gridCols());
        assertEquals(2, h.gridRows());
        assertEquals(4 * 256 + 256, h.totalImageTokens());
        assertEquals(List.of("<|image_start|>", "<|img_row_1_col_1|>", "IMG#0", "<|img_row_1_col_2|>", "IMG#1",
                "<|img_row_2_col_1|>", "IMG#2", "<|img_row_2_col_2|>", "IMG#3", "<|img_thumbnail|>", "IMG#4",
                "<|image_end|>"), layout(h));
        ImagePlan l = llama().plan(800, 800);
        assertFalse(l.tiled());
        assertEquals(512, l.resizedWidth());
        assertEquals(512, l.resizedHeight());
    }

    @Test
    void wide1025x200TilesInLlamaCppButNotInHf() {
        ImagePlan l = llama().plan(1025, 200);
        assertTrue(l.tiled());
        assertEquals(5, l.gridCols());
        assertEquals(1, l.gridRows());
        assertFalse(hf().plan(1025, 200).tiled());
    }

    @Test
    void smartResizeOf400x600RoundsHalfToEvenInHfAndHalfAwayInLlamaCpp() {
        ImagePlan h = hf().plan(400, 600);
        assertEquals(384, h.resizedWidth());
        assertEquals(608, h.resizedHeight());
        ImagePlan l = llama().plan(400, 600);
        assertEquals(416, l.resizedWidth());
        assertEquals(608, l.resizedHeight());
    }

    @Test
    void gridFor720x1600Is2x4InDoubleAnd2x5InFloat() {
        ImagePlan h = hf().plan(720, 1600);
        assertTrue(h.tiled());
        assertEquals(2, h.gridCols());
        assertEquals(4, h.gridRows());
        ImagePlan l = llama().plan(720, 1600);
        assertTrue(l.tiled());
        assertEquals(2, l.gridCols());
        assertEquals(5, l.gridRows());
    }

    @Test
    void disablingImageSplittingKeepsALargeImageSingleInHf() {
        ImagePreprocessor pp = new ImagePreprocessor(
                ImagePreprocessor.Options.defaults(PreprocessMode.HF, HALF, HALF).withImageSplitting(false));
        ImagePlan p = pp.plan(1000, 3000);
        assertFalse(p.tiled());
        assertEquals(288, p.resizedWidth());
        assertEquals(864, p.resizedHeight());
        assertEquals(243, p.totalImageTokens());
        assertEquals(List.of("<|image_start|>", "IMG#0", "<|image_end|>"), layout(p));
    }

    @Test
    void imageTokenLimitsChangeTheSizeAsInTheFixtureRuns() {
        // {w, h, min, max, expected w, expected h} from fixtures/vision/*_min32_max128 / *_min256_max1024
        int[][] cases = {
            {64, 48, 32, 128, 224, 160}, {64, 48, 256, 1024, 608, 448},
            {256, 384, 32, 128, 256, 384}, {256, 384, 256, 1024, 448, 640},
            {700, 300, 32, 128, 544, 224}, {700, 300, 256, 1024, 800, 352},
            {1000, 3000, 32, 128, 192, 608}, {1000, 3000, 256, 1024, 576, 1760},
            {64, 48, 64, 256, 320, 224}, {640, 488, 64, 256, 576, 416},
        };
        for (PreprocessMode mode : PreprocessMode.values()) {
            for (int[] c : cases) {
                ImagePlan p = with(mode, c[2], c[3]).plan(c[0], c[1]);
                String what = mode + " " + c[0] + "x" + c[1] + " tokens " + c[2] + ".." + c[3];
                assertEquals(c[4], p.resizedWidth(), what);
                assertEquals(c[5], p.resizedHeight(), what);
            }
        }
    }

    @Test
    void hfTilesAreCropsOfTheStretchedCanvasFollowedByTheThumbnail() {
        RgbImage img = randomImage(500, 1500, 2);
        PreprocessedImage pre = hf().preprocess(img);
        ImagePlan p = pre.plan();
        assertTrue(p.tiled());
        assertEquals(1, p.gridCols());
        assertEquals(3, p.gridRows());
        byte[] canvas = Resize.bilinearAntialias(img.rgb(), 500, 1500, 512, 1536);
        for (int r = 0; r < 3; r++) {
            ImageEntry tile = pre.entries().get(r);
            assertEquals(r + 1, tile.plan().row());
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < 512; y += 31) {
                    for (int x = 0; x < 512; x += 17) {
                        float expected = ((canvas[3 * ((r * 512 + y) * 512 + x) + c] & 0xFF) / 255.0f - 0.5f) / 0.5f;
                        assertEquals(expected, tile.pixels()[c * 512 * 512 + y * 512 + x], 0.0f);
                    }
                }
            }
        }
        ImageEntry thumb = pre.entries().get(3);
        assertTrue(thumb.plan().thumbnail());
        assertEquals(p.resizedWidth(), thumb.width());
        assertEquals(p.resizedHeight(), thumb.height());
    }

    @Test
    void llamaCppLetterboxesTilesOnBlackWhileHfStretches() {
        // 1100x300 -> grid 4x1 (canvas 2048x512); llama.cpp fits 1878x512 centred at x = 85, black elsewhere
        RgbImage white = solid(1100, 300, 255);
        PreprocessedImage l = llama().preprocess(white);
        assertEquals(4, l.plan().gridCols());
        assertEquals(1, l.plan().gridRows());
        float[] t0 = l.entries().get(0).pixels();
        float[] t3 = l.entries().get(3).pixels();
        for (int c = 0; c < 3; c++) {
            int plane = c * 512 * 512;
            assertEquals(-1.0f, t0[plane + 100 * 512 + 84], 0.0f);
            assertEquals(1.0f, t0[plane + 100 * 512 + 85], 0.0f);
            assertEquals(1.0f, t3[plane + 100 * 512 + 511 - 85], 0.0f);
            assertEquals(-1.0f, t3[plane + 100 * 512 + 511 - 84], 0.0f);
        }
        PreprocessedImage h = hf().preprocess(white);
        for (ImageEntry e : h.entries()) {
            for (float v : e.pixels()) {
                assertEquals(1.0f, v, 0.0f);
            }
        }
    }

    @Test
    void normalisationUsesTheCallersMeanAndStdPerChannel() {
        float[] mean = {0.1f, 0.2f, 0.3f};
        float[] std = {0.5f, 0.25f, 2.0f};
        ImagePreprocessor pp = new ImagePreprocessor(ImagePreprocessor.Options.defaults(PreprocessMode.HF, mean, std));
        PreprocessedImage pre = pp.preprocess(solid(64, 64, 51)); // 51/255 = 0.2
        float[] px = pre.entries().get(0).pixels();
        assertEquals(256, pre.entries().get(0).width()); // upscaled to the 64-token minimum
        int plane = 256 * 256;
        for (int c = 0; c < 3; c++) {
            assertEquals((51 / 255.0f - mean[c]) / std[c], px[c * plane + 1000], 0.0f);
        }
    }

    @Test
    void invalidOptionsAreRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> ImagePreprocessor.Options.defaults(PreprocessMode.HF, HALF, new float[] {0.5f, 0f, 0.5f}));
        assertThrows(IllegalArgumentException.class,
                () -> ImagePreprocessor.Options.defaults(PreprocessMode.HF, HALF, HALF).withImageTokens(300, 200));
    }
}
