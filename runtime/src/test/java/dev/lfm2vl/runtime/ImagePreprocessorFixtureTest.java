package dev.lfm2vl.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.loader.Fixtures;
import dev.lfm2vl.loader.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Mode L (llama.cpp) pre-processing against the vision fixtures produced by llama.cpp 81ff7abe5. */
class ImagePreprocessorFixtureTest {
    private static final float[] HALF = {0.5f, 0.5f, 0.5f};
    private static final Map<String, RgbImage> IMAGES = new HashMap<>();

    static RgbImage image(String name) throws IOException {
        // the JPEG is compared through stb_image's own decode of it, so decoder differences do not count
        String file = name.equals("test-1.jpeg") ? "test-1.stb-decoded.png" : name;
        synchronized (IMAGES) {
            RgbImage img = IMAGES.get(file);
            if (img == null) {
                img = ImageLoader.load(Fixtures.file("images/" + file));
                IMAGES.put(file, img);
            }
            return img;
        }
    }

    private static boolean isImageMarker(String piece) {
        return piece.equals(ImageLayoutItem.IMAGE_START) || piece.equals(ImageLayoutItem.IMAGE_END)
                || piece.equals(ImageLayoutItem.THUMBNAIL) || piece.matches("<\\|img_row_\\d+_col_\\d+\\|>");
    }

    private static ImagePreprocessor llamaCpp(Map<String, Object> json) {
        int min = ((Number) json.get("image_min_tokens")).intValue();
        int max = ((Number) json.get("image_max_tokens")).intValue();
        return new ImagePreprocessor(ImagePreprocessor.Options.defaults(PreprocessMode.LLAMA_CPP, HALF, HALF).withImageTokens(min, max));
    }

    @TestFactory
    Stream<DynamicTest> llamaCppModeReproducesTheChunkLayoutOfEveryVisionFixture() throws IOException {
        List<Path> jsons;
        try (Stream<Path> s = Files.list(Fixtures.dir().resolve("vision"))) {
            jsons = s.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
        }
        assertTrue(jsons.size() >= 10, "expected the vision fixtures, found " + jsons.size());
        return jsons.stream().map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> {
            Map<String, Object> json = Json.object(Json.parse(Files.readString(p)));
            RgbImage img = image((String) json.get("image"));
            int[] decoded = Json.ints(json.get("image_size_decoded"));
            assertEquals(decoded[0], img.width());
            assertEquals(decoded[1], img.height());

            List<String> expectedLayout = new ArrayList<>();
            List<int[]> expectedChunks = new ArrayList<>(); // {tile_w, tile_h, n_tokens}
            for (Object o : Json.list(json.get("chunks"))) {
                Map<String, Object> chunk = Json.object(o);
                if ("image".equals(chunk.get("type"))) {
                    expectedLayout.add("IMG#" + expectedChunks.size());
                    expectedChunks.add(new int[] {
                        ((Number) chunk.get("tile_w")).intValue(),
                        ((Number) chunk.get("tile_h")).intValue(),
                        ((Number) chunk.get("n_tokens")).intValue()});
                } else {
                    for (Object piece : Json.list(chunk.get("pieces"))) {
                        if (isImageMarker((String) piece)) {
                            expectedLayout.add((String) piece);
                        }
                    }
                }
            }

            ImagePlan plan = llamaCpp(json).plan(img.width(), img.height());
            assertEquals(expectedChunks.size(), plan.entryCount(), "image chunks");
            for (int k = 0; k < expectedChunks.size(); k++) {
                int[] e = expectedChunks.get(k);
                assertEquals(e[0], plan.entries().get(k).width(), "tile_w of chunk " + k);
                assertEquals(e[1], plan.entries().get(k).height(), "tile_h of chunk " + k);
                assertEquals(e[2], plan.entries().get(k).imageTokens(), "n_tokens of chunk " + k);
            }
            assertEquals(expectedLayout, plan.layout().stream().map(Object::toString).toList(), "marker layout");
            assertEquals(((Number) json.get("n_image_tokens_total")).intValue(), plan.totalImageTokens());
        }));
    }

    private static double maxPixelDiff(String tag) throws IOException {
        Map<String, Object> json = Json.object(Json.parse(Fixtures.readString("vision/" + tag + ".json")));
        float[] expected = Fixtures.readF32("vision/" + json.get("pixels_file"));
        PreprocessedImage pre = llamaCpp(json).preprocess(image((String) json.get("image")));
        int offset = 0;
        double max = 0;
        for (ImageEntry e : pre.entries()) {
            float[] px = e.pixels();
            for (int i = 0; i < px.length; i++) {
                max = Math.max(max, Math.abs(px[i] - expected[offset + i]));
            }
            offset += px.length;
        }
        assertEquals(expected.length, offset, "float count");
        return max;
    }

    @Test
    void llamaCppModeUpscales64x48To320x224LikeTheReferencePixels() throws IOException {
        // measured bit-exact (max |diff| 0.0); the brief's tolerance is 1e-4
        assertEquals(0.0, maxPixelDiff("img_64x48_default_mmprojF32_textF32"), "max |diff|");
    }

    @Test
    void llamaCppModeKeeps256x384AndNormalisesLikeTheReferencePixels() throws IOException {
        assertEquals(0.0, maxPixelDiff("img_256x384_default_mmprojF32_textF32"), "max |diff|");
    }
}
