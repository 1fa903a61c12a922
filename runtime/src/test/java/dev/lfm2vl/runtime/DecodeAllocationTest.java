package dev.lfm2vl.runtime;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.loader.Fixtures;
import dev.lfm2vl.runtime.structured.JsonSchema;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Decoding allocates nothing per token: the forward pass, the sampler and the KV/conv state reuse buffers made
 * once. Counted with the JVM's per-thread allocation counter (exact, not timing), on the sequential pool so all
 * work happens on the measured thread.
 *
 * <p>Before measuring, the JVM runs what {@link Lfm2ModelParityTest} runs: a batch and a few decode steps of every
 * fixture weight type on two threads. That is the order the suite used to fail in on AVX-512 machines: C2 then
 * compiled the softmax of attention before the Vector API's own profiles were mature and fell back to boxed
 * vectors (300 KB per token). The surefire execution {@code decode-without-type-profiles} runs this test with
 * {@code -XX:-UseTypeProfile}, so the decode path cannot depend on type profiles at all (docs/JIT.md).
 */
class DecodeAllocationTest {
    private static final String[] EVERY_TYPE = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K",
        "Q5_K", "Q6_K"};

    @BeforeAll
    static void runEveryWeightTypeFirst() throws IOException {
        int[] prompt = {1, 217, 361, 79, 364, 12, 385, 165, 218, 9, 139, 520, 103, 219, 518, 52}; // fixtures "random16"
        try (Parallel pool = Parallel.create(2)) {
            for (String type : EVERY_TYPE) {
                try (Lfm2Model m = Lfm2Model.load(Fixtures.textModel(type), pool)) {
                    int vocab = m.config().vocabSize();
                    Lfm2State s = m.newState(4096);
                    float[] logits = new float[prompt.length * vocab];
                    m.forward(s, prompt, 0, prompt.length, logits);
                    for (int i = 0; i < 8; i++) {
                        m.forward(s, new int[] {Sampler.argmax(logits, 0, vocab)}, 0, 1, logits);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q4_0", "Q8_0", "F16", "Q4_K", "Q6_K"})
    void decodeStepsAllocateNothing(String type) throws IOException {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long me = Thread.currentThread().threadId();
        try (Lfm2Model m = Lfm2Model.load(Fixtures.textModel(type), Parallel.sequential())) {
            Lfm2State s = m.newState(4096);
            int vocab = m.config().vocabSize();
            float[] logits = new float[vocab];
            int[] token = {1};
            Sampler sampler = new Sampler(vocab, Sampler.Settings.defaults().withSeed(3));
            m.forward(s, new int[] {1, 6, 497, 128}, 0, 4, logits);
            // Warm up (JIT, thread-locals, rope tables): at least `warm` tokens, then until a 100-token round
            // allocates nothing, i.e. C2 has finished compiling the decode path (background compiles lag on a busy
            // machine; interpreted/C1 Vector API code allocates). Bounded so the context never runs out.
            int warmed = 0;
            for (int round = 0; warmed < 3000; round++) {
                long b0 = threads.getThreadAllocatedBytes(me);
                for (int i = 0; i < 100; i++) {
                    token[0] = sampler.sample(logits, 0);
                    sampler.accept(token[0]);
                    m.forward(s, token, 0, 1, logits);
                }
                warmed += 100;
                if (warmed >= Integer.getInteger("warm", 200) && threads.getThreadAllocatedBytes(me) - b0 < 16 * 100) {
                    break;
                }
            }
            int steps = 300;
            long before = threads.getThreadAllocatedBytes(me);
            for (int i = 0; i < steps; i++) {
                token[0] = sampler.sample(logits, 0);
                sampler.accept(token[0]);
                m.forward(s, token, 0, 1, logits);
            }
            long perToken = (threads.getThreadAllocatedBytes(me) - before) / steps;
            assertTrue(perToken < 16, type + ": " + perToken + " bytes allocated per decoded token");
        }
    }

    /** The batched step of four sequences at different positions (Lfm2Model.decode, issue 18): nothing per step either. */
    @ParameterizedTest
    @ValueSource(strings = {"Q4_0", "Q8_0", "F16", "Q4_K", "Q6_K"})
    void batchedDecodeStepsAllocateNothing(String type) throws IOException {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long me = Thread.currentThread().threadId();
        try (Lfm2Model m = Lfm2Model.load(Fixtures.textModel(type), Parallel.sequential())) {
            int n = 4;
            int vocab = m.config().vocabSize();
            Lfm2State[] states = new Lfm2State[n];
            Sampler[] samplers = new Sampler[n];
            float[][] logits = new float[n][vocab];
            int[] tokens = new int[n];
            for (int i = 0; i < n; i++) {
                states[i] = m.newState(4096);
                samplers[i] = new Sampler(vocab, Sampler.Settings.defaults().withSeed(3 + i));
                int[] prompt = {1, 6, 497, 128, 77, 300, 12, 9};
                m.forward(states[i], prompt, 0, 2 + i, logits[i]); // each sequence at its own position
            }
            // Warm up as decodeStepsAllocateNothing does, bounded so the contexts never run out.
            int warmed = 0;
            for (int round = 0; warmed < 3000; round++) {
                long b0 = threads.getThreadAllocatedBytes(me);
                for (int s = 0; s < 100; s++) {
                    step(m, states, samplers, tokens, logits);
                }
                warmed += 100;
                if (warmed >= Integer.getInteger("warm", 200) && threads.getThreadAllocatedBytes(me) - b0 < 16 * 100) {
                    break;
                }
            }
            int steps = 300;
            long before = threads.getThreadAllocatedBytes(me);
            for (int s = 0; s < steps; s++) {
                step(m, states, samplers, tokens, logits);
            }
            long perStep = (threads.getThreadAllocatedBytes(me) - before) / steps;
            assertTrue(perStep < 16, type + ": " + perStep + " bytes allocated per batched step of " + n + " sequences");
        }
    }

    /**
     * Structured output (issue 19): with a JSON Schema constraint active, the allowed-token mask and the parse step
     * allocate nothing per token either, once the document's parse states have been met: each state's mask and
     * its transitions are kept by the compiled schema. The same seeded document is generated again and again (a
     * fresh sampler and constraint per document, made outside the measured steps), so every state it reaches is
     * one the warm-up met; 120 tokens per document, so its end is forced by the budget (the tight masks too).
     */
    @Test
    void constrainedDecodeStepsAllocateNothing() throws IOException {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        String schema = """
                {"type":"object","properties":{"caption":{"type":"string"},"short":{"type":"string","maxLength":12},
                "count":{"type":"integer","minimum":0,"maximum":100},"score":{"type":"number"},"box":{"type":"array",
                "items":{"type":"number","minimum":0,"maximum":1},"maxItems":4},"colour":{"enum":["red","green"]},
                "time":{"type":"string","format":"time"},"tags":{"type":"array","items":{"type":"string",
                "pattern":"^[a-z]+$"}},"extra":{"type":"object","additionalProperties":{"type":"boolean"}}},
                "required":["caption","count","box"]}""";
        try (Lfm2Model m = Lfm2Model.load(Fixtures.textModel("Q4_0"), Parallel.sequential())) {
            JsonSchema json = JsonSchema.compile(schema);
            Lfm2State s = m.newState(4096);
            float[] logits = new float[m.config().vocabSize()];
            long[] measured = new long[2]; // bytes, tokens
            long last = Long.MAX_VALUE;
            for (int doc = 0; doc < 40 && (doc < 3 || last >= 16 * 120); doc++) { // warm-up, bounded
                last = constrainedDocument(m, json, s, logits, threads, new long[2]);
            }
            while (measured[1] < 300) {
                constrainedDocument(m, json, s, logits, threads, measured);
            }
            long perToken = measured[0] / measured[1];
            assertTrue(perToken < 16, perToken + " bytes allocated per constrained token (" + measured[1] + " tokens)");
        }
    }

    /** One document of at most 120 tokens; adds the bytes allocated by its token steps and their count to {@code sum}. */
    private static long constrainedDocument(Lfm2Model m, JsonSchema json, Lfm2State s, float[] logits,
            com.sun.management.ThreadMXBean threads, long[] sum) throws IOException {
        Tokenizer tok = m.tokenizer();
        TokenConstraint c = json.constraint(tok);
        Sampler sampler = new Sampler(logits.length, Sampler.Settings.defaults().withSeed(11));
        int[] token = {1};
        s.reset();
        m.forward(s, new int[] {1, 6, 497, 128}, 0, 4, logits);
        long bytes = 0;
        for (int left = 120; left > 0; left--) {
            long b0 = threads.getCurrentThreadAllocatedBytes();
            token[0] = sampler.sample(logits, 0, c, left);
            sampler.accept(token[0]);
            m.forward(s, token, 0, 1, logits);
            bytes += threads.getCurrentThreadAllocatedBytes() - b0;
            sum[1]++;
            if (tok.isEndOfGeneration(token[0])) {
                break;
            }
        }
        sum[0] += bytes;
        return bytes;
    }

    private static void step(Lfm2Model m, Lfm2State[] states, Sampler[] samplers, int[] tokens, float[][] logits) {
        for (int i = 0; i < states.length; i++) {
            tokens[i] = samplers[i].sample(logits[i], 0);
            samplers[i].accept(tokens[i]);
        }
        m.decode(states, tokens, states.length, logits);
    }
}
