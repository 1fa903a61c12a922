package dev.lfm2vl.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.loader.Fixtures;
import java.io.IOException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Batch invariance (issue 18): {@link Lfm2Model#decode} of N sequences gives each one exactly the logits (raw float
 * bits) that the single-sequence step {@code forward(state, token, 0, 1, logits)} gives it alone, for every fixture
 * weight type, N = 1, 2, 3, 4 and 8, sequences at different positions (prompts of different lengths and tokens),
 * over several steps. Runs at 512, 256 and 128 bits and on AVX2 (runtime pom), where each kernel has its own body.
 */
class BatchedDecodeIsBitwiseSingleDecodeTest {
    private static final int STEPS = 4;
    private static Parallel pool;

    @BeforeAll
    static void startPool() {
        pool = Parallel.create(2);
    }

    @AfterAll
    static void stopPool() {
        pool.close();
    }

    /** Prompt of sequence i: 2 + 3i tokens (so every sequence is at its own position), ids spread over the vocabulary. */
    private static int[] prompt(int i, int vocab) {
        int[] p = new int[2 + 3 * i];
        p[0] = 1;
        for (int t = 1; t < p.length; t++) {
            p[t] = (37 * t + 101 * i + 7) % vocab;
        }
        return p;
    }

    @ParameterizedTest
    @ValueSource(strings = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void eachSequenceGetsTheBitsOfItsOwnDecodeStep(String type) throws IOException {
        try (Lfm2Model m = Lfm2Model.load(Fixtures.textModel(type), pool)) {
            int vocab = m.config().vocabSize();
            for (int n : new int[] {1, 2, 3, 4, 8}) {
                Lfm2State[] alone = new Lfm2State[n], batched = new Lfm2State[n];
                float[][] want = new float[n][vocab], got = new float[n][vocab];
                int[] next = new int[n];
                for (int i = 0; i < n; i++) {
                    int[] p = prompt(i, vocab);
                    alone[i] = m.newState(64);
                    batched[i] = m.newState(64);
                    m.forward(alone[i], p, 0, p.length, want[i]);
                    m.forward(batched[i], p, 0, p.length, got[i]);
                    next[i] = Sampler.argmax(want[i], 0, vocab);
                }
                for (int step = 0; step < STEPS; step++) {
                    for (int i = 0; i < n; i++) {
                        m.forward(alone[i], next, i, 1, want[i]);
                    }
                    m.decode(batched, next, n, got);
                    for (int i = 0; i < n; i++) {
                        assertEquals(alone[i].position(), batched[i].position());
                        for (int v = 0; v < vocab; v++) {
                            if (Float.floatToRawIntBits(want[i][v]) != Float.floatToRawIntBits(got[i][v])) {
                                throw new AssertionError(type + ", " + n + " sequences, step " + step + ": sequence " + i
                                        + " at position " + (alone[i].position() - 1) + " logit " + v + " is " + got[i][v]
                                        + " batched, " + want[i][v] + " alone");
                            }
                        }
                        next[i] = Sampler.argmax(want[i], 0, vocab);
                    }
                }
            }
        }
    }

    @Test
    void aSequenceKeepsItsBitsAsTheBatchAroundItChanges() throws IOException {
        try (Lfm2Model m = Lfm2Model.load(Fixtures.textModel("Q4_0"), pool)) {
            int vocab = m.config().vocabSize();
            Lfm2State alone = m.newState(64);
            Lfm2State[] batch = new Lfm2State[8];
            for (int i = 0; i < batch.length; i++) {
                batch[i] = m.newState(64);
                int[] p = prompt(i, vocab);
                m.forward(batch[i], p, 0, p.length, new float[vocab]);
            }
            int[] p = prompt(0, vocab);
            m.forward(alone, p, 0, p.length, new float[vocab]);
            float[] want = new float[vocab];
            float[][] got = new float[8][vocab];
            int[] tokens = new int[8];
            for (int count : new int[] {3, 1, 8, 2, 5}) { // sequence 0 in batches of changing size and company
                tokens[0] = 42 + count;
                m.forward(alone, tokens, 0, 1, want);
                m.decode(batch, tokens, count, got);
                for (int v = 0; v < vocab; v++) {
                    assertEquals(Float.floatToRawIntBits(want[v]), Float.floatToRawIntBits(got[0][v]), "in a batch of " + count);
                }
            }
        }
    }

    @Test
    void badBatchesAreRefusedBeforeAnyStateMoves() throws IOException {
        try (Lfm2Model m = Lfm2Model.load(Fixtures.textModel("Q8_0"), pool)) {
            int vocab = m.config().vocabSize();
            Lfm2State a = m.newState(8), b = m.newState(8), full = m.newState(1);
            m.forward(full, new int[] {1}, 0, 1, new float[vocab]);
            float[][] logits = new float[2][vocab];
            assertThrows(IllegalArgumentException.class, () -> m.decode(new Lfm2State[] {a, a}, new int[] {1, 2}, 2, logits));
            assertThrows(IllegalArgumentException.class, () -> m.decode(new Lfm2State[] {a, b}, new int[] {1, vocab}, 2, logits));
            assertThrows(IllegalArgumentException.class, () -> m.decode(new Lfm2State[] {a, b}, new int[] {1, 2}, 3, logits));
            assertThrows(IllegalArgumentException.class, () -> m.decode(new Lfm2State[] {a, b}, new int[] {1, 2}, 2,
                    new float[][] {new float[vocab], new float[vocab - 1]}));
            assertThrows(ContextFullException.class, () -> m.decode(new Lfm2State[] {a, full}, new int[] {1, 2}, 2, logits));
            assertEquals(0, a.position());
            assertEquals(0, b.position());
            assertEquals(1, full.position());
        }
    }
}
