package dev.lfm2vl.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.loader.Fixtures;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Image embeddings (encoder + projector) against llama.cpp's {@code <tag>.embd.f32} (MANIFEST.md §4), llama.cpp
 * pre-processing mode. Tolerance 1.5e-3 max abs (MANIFEST suggests starting at 1e-2): measured 5.2e-4 .. 7.8e-4 for
 * the F32 mmproj and 7.9e-4 / 9.3e-4 for the F16 mmproj (embedding std ~0.35, max |e| ~1.5). The residual is
 * llama.cpp's F16-table GELU (input and output rounded to F16, relative error ~1e-3 per activation) against our exact
 * float tanh GELU, plus, for F16 weights, llama.cpp rounding the activations to F16 before each product.
 */
class VisionModelParityTest {
    /** Max abs allowed per embedding value, F32 and F16 mmproj. */
    static final double EMBD_TOLERANCE = 1.5e-3;

    private static Parallel pool;

    @BeforeAll
    static void startPool() {
        pool = Parallel.create(2);
    }

    @AfterAll
    static void stopPool() {
        pool.close();
    }

    static List<String> tags() {
        return VisionFixtures.tags();
    }

    @ParameterizedTest
    @MethodSource("tags")
    void imageEmbeddingsMatchLlamaCpp(String tag) throws IOException {
        Map<String, Object> json = VisionFixtures.json(tag);
        assumeTrue(VisionFixtures.has(json, "embd_file"), "no embeddings stored for " + tag);
        float[] want = VisionFixtures.f32(json, "embd_file");
        try (VisionModel vision = VisionModel.load(VisionFixtures.mmproj(json), pool)) {
            PreprocessedImage img = new ImagePreprocessor(VisionFixtures.options(vision, json))
                    .preprocess(ImageLoader.load(VisionFixtures.image(json)));
            int dim = vision.config().projectionDim();
            assertEquals(want.length, img.totalImageTokens() * dim, "embedding rows");
            int row = 0;
            double max = 0;
            for (ImageEntry e : img.entries()) {
                float[] got = vision.embed(e);
                max = Math.max(max, VisionFixtures.maxAbs(got, 0, want, row * dim, got.length));
                row += e.imageTokens();
            }
            System.out.printf("EMBD %s max abs %.3g%n", tag, max);
            assertTrue(max < EMBD_TOLERANCE, tag + ": max abs " + max);
        }
    }
}
