package dev.lfm2vl.runtime.structured;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.loader.Fixtures;
import dev.lfm2vl.runtime.Generator;
import dev.lfm2vl.runtime.Lfm2Model;
import dev.lfm2vl.runtime.Lfm2State;
import dev.lfm2vl.runtime.Prompt;
import dev.lfm2vl.runtime.Sampler;
import dev.lfm2vl.runtime.TokenConstraint;
import dev.lfm2vl.runtime.Tokenizer;
import java.io.IOException;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Constrained decoding end to end on the tiny random-weight fixture model: whatever it samples at temperature 1-1.5,
 * under whatever token limit or context the schema's shortest document still fits, the answer parses and the
 * independent validator accepts it; the stop reason stays honest.
 */
class StructuredGenerationTest {
    private static Lfm2Model model;
    private static Tokenizer tokenizer;
    private static Prompt prompt;

    @BeforeAll
    static void load() throws IOException {
        model = Lfm2Model.load(Fixtures.textModel("Q4_0"), Parallel.sequential());
        tokenizer = model.tokenizer();
        prompt = Prompt.of(tokenizer.encode("<|im_start|>user\nDescribe the image as JSON.<|im_end|>\n<|im_start|>assistant\n", true, true));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static Generator.Result generate(String schema, Sampler.Settings settings, int maxTokens, int context) {
        TokenConstraint c = JsonSchema.compile(schema).constraint(tokenizer);
        Lfm2State state = model.newState(context);
        return new Generator(model, tokenizer).generate(state, prompt, new Sampler(model.config().vocabSize(), settings), maxTokens,
                dev.lfm2vl.runtime.Listener.NONE, c);
    }

    private static Sampler.Settings hot(SplittableRandom random) {
        float temperature = 1f + random.nextInt(6) / 10f;
        return new Sampler.Settings(temperature, 0f, 0, 1f, 1f, 0, random.nextLong());
    }

    private static void assertValid(String schema, Generator.Result r, int maxTokens, String what) {
        var errors = SchemaValidator.errors(schema, r.text());
        assertTrue(errors.isEmpty(), what + "\nschema " + schema + "\nanswer " + r.text() + "\n" + errors);
        boolean ended = r.stopReason() == Generator.StopReason.END_OF_GENERATION;
        if (ended) {
            assertTrue(tokenizer.isEndOfGeneration(r.tokens()[r.tokens().length - 1]));
        } else {
            assertTrue(r.stopReason() == Generator.StopReason.TOKEN_LIMIT && r.tokens().length == maxTokens
                    || r.stopReason() == Generator.StopReason.CONTEXT_FULL, r.stopReason() + " after " + r.tokens().length);
        }
    }

    @Test
    void sampledAnswersToGeneratedSchemasAlwaysValidate() {
        for (long seed = 1; seed <= 60; seed++) {
            String schema = new RandomSchemas(seed).document();
            int min = JsonSchema.compile(schema).minDocumentBytes();
            SplittableRandom random = new SplittableRandom(seed);
            int maxTokens = min + random.nextInt(60);
            Generator.Result r = generate(schema, hot(random), maxTokens, 4096);
            assertValid(schema, r, maxTokens, "seed " + seed);
        }
    }

    @Test
    void aTokenLimitAtOrJustAboveTheShortestDocumentStillEndsValid() {
        SplittableRandom random = new SplittableRandom(7);
        for (long seed = 100; seed <= 130; seed++) {
            String schema = new RandomSchemas(seed).document();
            int min = JsonSchema.compile(schema).minDocumentBytes();
            for (int extra = 0; extra <= 2; extra++) {
                Generator.Result r = generate(schema, hot(random), min + extra, 4096);
                assertValid(schema, r, min + extra, "seed " + seed + " limit " + (min + extra));
                assertTrue(r.tokens().length <= min + extra);
            }
        }
    }

    @Test
    void aNearlyFullContextStillEndsValid() {
        String schema = "{\"type\":\"object\",\"properties\":{\"caption\":{\"type\":\"string\"},\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}},"
                + "\"required\":[\"caption\",\"tags\"],\"additionalProperties\":false}";
        int positions = prompt.positions();
        int min = JsonSchema.compile(schema).minDocumentBytes();
        SplittableRandom random = new SplittableRandom(3);
        for (int room = min - 1; room < min + 20; room++) {
            Generator.Result r = generate(schema, hot(random), -1, positions + room);
            assertValid(schema, r, -1, "room " + room);
        }
    }

    @Test
    void greedyIsDeterministicAndSamplingIsSeeded() {
        String schema = "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":99},\"s\":{\"type\":\"string\",\"maxLength\":12}},\"required\":[\"n\",\"s\"]}";
        assertEquals(generate(schema, Sampler.Settings.greedy(), 40, 4096).text(), generate(schema, Sampler.Settings.greedy(), 40, 4096).text());
        Sampler.Settings s = new Sampler.Settings(1.2f, 0.05f, 40, 0.95f, 1.1f, 64, 99);
        assertEquals(generate(schema, s, 40, 4096).text(), generate(schema, s, 40, 4096).text());
    }

    @Test
    void aLimitBelowTheShortestDocumentIsRefused() {
        String schema = "{\"type\":\"string\",\"minLength\":10}";
        SchemaException e = assertThrows(SchemaException.class, () -> generate(schema, Sampler.Settings.greedy(), 5, 4096));
        assertTrue(e.getMessage().contains("too small"), e.getMessage());
    }
}
