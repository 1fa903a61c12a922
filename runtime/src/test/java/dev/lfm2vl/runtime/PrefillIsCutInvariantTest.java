package dev.lfm2vl.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.loader.Fixtures;
import java.io.IOException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A prompt fed in pieces of any size of at least 2 positions leaves the model in the same state, bit for bit, as the
 * prompt fed in one call: each position's numbers do not depend on how many others share its forward call (the
 * mat-mat kernels keep one order of sums per token, narrow and wide alike, and attention runs per query). This lets
 * the server cut a long prefill into small pieces between the other streams' decode steps and still answer exactly
 * as the CLI does. A piece of one position is the exception: it takes the mat-vec path (Linear.apply), whose sums
 * are ordered otherwise, so the server never leaves a piece of one where the CLI's cut would not (Slot).
 * Checked on the logits after the prompt and after three decode steps (which read the KV cache and conv state the
 * pieces wrote), for text tokens and for input embeddings (image vectors), every fixture weight type; the runtime pom
 * runs it again at 256 and 128 bits and on AVX2.
 */
class PrefillIsCutInvariantTest {
    private static final int PROMPT = 200;
    private static Parallel pool;

    @BeforeAll
    static void startPool() {
        pool = Parallel.create(2);
    }

    @AfterAll
    static void stopPool() {
        pool.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void piecesOfTwoOrMorePositionsGiveTheBitsOfOneCall(String type) throws IOException {
        try (Lfm2Model m = Lfm2Model.load(Fixtures.textModel(type), pool)) {
            int vocab = m.config().vocabSize();
            int d = m.config().dim();
            int[] prompt = new int[PROMPT];
            float[] embeddings = new float[PROMPT * d];
            java.util.Random rnd = new java.util.Random(7);
            for (int t = 0; t < PROMPT; t++) {
                prompt[t] = t == 0 ? 1 : (37 * t + 7) % vocab;
            }
            for (int i = 0; i < embeddings.length; i++) {
                embeddings[i] = (float) rnd.nextGaussian();
            }
            for (boolean vectors : new boolean[] {false, true}) {
                float[][] whole = run(m, prompt, embeddings, vectors, new int[] {PROMPT});
                // 64 (and a last piece of 8), 16 (and 8), 7 (and 4), uneven pieces, and pieces of 2 and 3
                int[][] cuts = {{64, 64, 64, 8}, {16}, {7}, {100, 2, 37, 61}, {2, 3}};
                for (int[] cut : cuts) {
                    float[][] pieces = run(m, prompt, embeddings, vectors, cut);
                    for (int s = 0; s < whole.length; s++) {
                        for (int v = 0; v < vocab; v++) {
                            if (Float.floatToRawIntBits(whole[s][v]) != Float.floatToRawIntBits(pieces[s][v])) {
                                throw new AssertionError(type + (vectors ? " embeddings" : " tokens") + " in pieces of "
                                        + java.util.Arrays.toString(cut) + ": logit " + v + " at step " + s + " is " + pieces[s][v]
                                        + ", " + whole[s][v] + " in one call");
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * Logits after the prompt fed in pieces of the sizes in {@code cut} (repeated, the last piece cut to what is left),
     * then after three greedy decode steps.
     */
    private static float[][] run(Lfm2Model m, int[] prompt, float[] embeddings, boolean vectors, int[] cut) {
        int vocab = m.config().vocabSize();
        int d = m.config().dim();
        Lfm2State st = m.newState(PROMPT + 8);
        float[][] out = new float[4][vocab];
        int off = 0;
        for (int i = 0; off < PROMPT; i++) {
            int n = Math.min(cut[i % cut.length], PROMPT - off);
            float[] logits = off + n == PROMPT ? out[0] : null;
            if (vectors) {
                m.forwardEmbeddings(st, embeddings, off * d, n, logits);
            } else {
                m.forward(st, prompt, off, n, logits);
            }
            off += n;
        }
        assertEquals(PROMPT, st.position());
        for (int s = 1; s < out.length; s++) {
            m.forward(st, new int[] {Sampler.argmax(out[s - 1], 0, vocab)}, 0, 1, out[s]);
        }
        return out;
    }
}
