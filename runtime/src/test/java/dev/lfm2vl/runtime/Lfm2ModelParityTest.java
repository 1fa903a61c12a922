package dev.lfm2vl.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.loader.Fixtures;
import dev.lfm2vl.loader.Json;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The text tower against the reference outputs (fixtures MANIFEST.md §3). Tolerances:
 * <ul>
 * <li>exact-dequant files (float64 math on each type's dequantized weights): 1e-3 max abs, MANIFEST's suggestion
 *     (our float32 summation differs from float64 by ~1e-5 at this logit scale, std 4.1);</li>
 * <li>llama.cpp's own quantized logits: 1.5 x the max abs MANIFEST measured between llama.cpp and exact math
 *     for that type (llama.cpp quantizes activations, we do not), plus a top-1 agreement floor of 85%;</li>
 * <li>F32 vs llama.cpp: 1e-3 (llama.cpp F32 matches float64 to 1.4e-5).</li>
 * </ul>
 */
class Lfm2ModelParityTest {
    /** MANIFEST.md §3, "llama.cpp on type T vs exact float64 math on T's dequantized weights", max abs. */
    private static final Map<String, Double> LLAMA_VS_EXACT = Map.ofEntries(Map.entry("F32", 1.42e-5),
            Map.entry("F16", 0.029), Map.entry("BF16", 0.198), Map.entry("Q8_0", 0.79), Map.entry("Q4_0", 0.8),
            Map.entry("Q4_1", 0.833), Map.entry("Q5_0", 0.708), Map.entry("Q5_1", 0.747), Map.entry("Q4_K", 1.17),
            Map.entry("Q5_K", 1.32), Map.entry("Q6_K", 1.21));

    private static Parallel pool;

    @BeforeAll
    static void startPool() {
        pool = Parallel.create(2);
    }

    @AfterAll
    static void stopPool() {
        pool.close();
    }

    private static int[] ids(String seq) {
        return Json.ints(Json.object(Json.parse(Fixtures.readString("text/logits_F32_" + seq + ".json"))).get("token_ids"));
    }

    private static float[] batchLogits(Lfm2Model m, int[] ids) {
        float[] logits = new float[ids.length * m.config().vocabSize()];
        m.forward(m.newState(4096), ids, 0, ids.length, logits);
        return logits;
    }

    private static double maxAbs(float[] a, float[] b) {
        assertEquals(b.length, a.length);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    private static double top1Agreement(float[] a, float[] b, int vocab) {
        int rows = a.length / vocab;
        int same = 0;
        for (int r = 0; r < rows; r++) {
            same += Sampler.argmax(a, r * vocab, vocab) == Sampler.argmax(b, r * vocab, vocab) ? 1 : 0;
        }
        return same / (double) rows;
    }

    @ParameterizedTest
    @ValueSource(strings = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void batchLogitsMatchExactMathAndLlamaCppForEveryWeightType(String type) throws IOException {
        try (Lfm2Model m = Lfm2Model.load(Fixtures.textModel(type), pool)) {
            int agreeing = 0;
            int positions = 0;
            for (String seq : new String[] {"chat", "random16", "text40"}) {
                float[] ours = batchLogits(m, ids(seq));
                float[] llama = Fixtures.readF32("text/logits_" + type + "_" + seq + ".f32");
                if (!seq.equals("text40") && !type.equals("F32")) {
                    float[] exact = Fixtures.readF32("text/logits_exactdeq_" + type + "_" + seq + ".f32");
                    double d = maxAbs(ours, exact);
                    assertTrue(d <= 1e-3, type + " " + seq + ": max |ours - exact math| = " + d);
                }
                double bound = type.equals("F32") ? 1e-3 : 1.5 * LLAMA_VS_EXACT.get(type);
                double d = maxAbs(ours, llama);
                assertTrue(d <= bound, type + " " + seq + ": max |ours - llama.cpp| = " + d + " > " + bound);
                int rows = ours.length / m.config().vocabSize();
                agreeing += (int) Math.round(top1Agreement(ours, llama, m.config().vocabSize()) * rows);
                positions += rows;
            }
            // Pooled over all 86 positions, as MANIFEST.md measures it (one 16-token sequence is too few for a floor).
            double agree = agreeing / (double) positions;
            assertTrue(agree >= 0.85, type + ": top-1 agreement with llama.cpp " + agree);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"F32", "F16"})
    void greedyContinuationEqualsTheReferenceAndDecodeEqualsBatch(String type) throws IOException {
        Map<String, Object> ref = Json.object(Json.parse(Fixtures.readString("text/greedy_" + type + "_chat.json")));
        int[] prompt = Json.ints(ref.get("prompt_ids"));
        int[] expected = Json.ints(ref.get("generated_ids"));
        float[] refLogits = Fixtures.readF32("text/greedy_" + type + "_chat.f32");
        try (Lfm2Model m = Lfm2Model.load(Fixtures.textModel(type), pool)) {
            int vocab = m.config().vocabSize();
            // Greedy: prompt in one batch, then one token per forward call (the decode path), no stop on EOG.
            Lfm2State s = m.newState(4096);
            float[] logits = new float[vocab];
            m.forward(s, prompt, 0, prompt.length, logits);
            int[] got = new int[expected.length];
            float[] stepLogits = new float[expected.length * vocab];
            for (int i = 0; i < expected.length; i++) {
                System.arraycopy(logits, 0, stepLogits, i * vocab, vocab);
                got[i] = Sampler.argmax(logits, 0, vocab);
                m.forward(s, new int[] {got[i]}, 0, 1, logits);
            }
            assertArrayEquals(expected, got, type + " greedy continuation");
            if (type.equals("F32")) {
                // F16: llama.cpp rounds activations to F16 and the gap grows with position (0.075 here); our F16 math
                // is pinned by the exact-dequant files instead. F32 has no such rounding.
                double d = maxAbs(stepLogits, refLogits);
                assertTrue(d <= 1e-3, "decode-step logits vs llama.cpp: " + d);
            }

            // The same sequence as one batch gives the same logits as token-by-token decoding.
            int[] all = new int[prompt.length + got.length];
            System.arraycopy(prompt, 0, all, 0, prompt.length);
            System.arraycopy(got, 0, all, prompt.length, got.length);
            float[] batch = batchLogits(m, all);
            Lfm2State d = m.newState(4096);
            float[] decoded = new float[all.length * vocab];
            for (int i = 0; i < all.length; i++) {
                m.forward(d, all, i, 1, logits);
                System.arraycopy(logits, 0, decoded, i * vocab, vocab);
            }
            double diff = maxAbs(decoded, batch);
            assertTrue(diff <= 1e-4, "decode vs batch logits: " + diff);
        }
    }
}
