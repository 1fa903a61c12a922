package dev.lfm2vl.runtime.structured;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The schema automaton on its own, byte by byte: random walks through generated schemas, each byte drawn uniformly
 * from those that keep a completable prefix within a byte budget, must end in documents the independent validator
 * accepts; the budget is honoured exactly (the walk never gets stuck and never exceeds it).
 */
class ParseStateTest {

    /** A random document of at most {@code budget} bytes, forced to completion as the budget runs out. */
    static String walk(ParseState start, int budget, SplittableRandom random, double stopChance) {
        ParseState s = start;
        StringBuilder bytes = new StringBuilder();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int[] options = new int[256];
        ParseState[] next = new ParseState[256];
        for (int left = budget; ; left--) {
            if (s.accepting() && (!s.canStep() || random.nextDouble() < stopChance)) {
                return out.toString(StandardCharsets.UTF_8);
            }
            assertTrue(left > 0 || s.accepting(), "budget exhausted in an incomplete document: " + out.toString(StandardCharsets.UTF_8));
            if (left == 0) {
                return out.toString(StandardCharsets.UTF_8);
            }
            int n = 0;
            for (int b = 0; b < 256; b++) {
                ParseState t = s.step(b);
                if (t != null && t.minBytes() <= left - 1) {
                    options[n] = b;
                    next[n++] = t;
                }
            }
            if (n == 0) {
                assertTrue(s.accepting(), "stuck at " + out.toString(StandardCharsets.UTF_8));
                return out.toString(StandardCharsets.UTF_8);
            }
            // favour printable ASCII so walks look like text, but keep every allowed byte possible
            int k = random.nextInt(n);
            for (int tries = 0; tries < 3 && options[k] >= 0x80; tries++) {
                k = random.nextInt(n);
            }
            out.write(options[k]);
            s = next[k];
        }
    }

    @Test
    void randomWalksThroughGeneratedSchemasValidate() {
        int documents = 0;
        for (long seed = 1; seed <= 150; seed++) {
            String schema = new RandomSchemas(seed).document();
            JsonSchema compiled = JsonSchema.compile(schema);
            ParseState start = ParseState.start(SchemaCompiler.compile(schema));
            SplittableRandom random = new SplittableRandom(seed * 31);
            for (int run = 0; run < 4; run++) {
                int min = start.minBytes();
                int budget = run == 0 ? min : min + random.nextInt(200);
                String doc = walk(start, budget, random, 0.05);
                assertTrue(doc.getBytes(StandardCharsets.UTF_8).length <= budget);
                assertTrue(compiled.accepts(doc), doc);
                var errors = SchemaValidator.errors(schema, doc);
                assertTrue(errors.isEmpty(), "seed " + seed + " schema " + schema + "\ndocument " + doc + "\nerrors " + errors);
                documents++;
            }
        }
        assertEquals(600, documents);
    }

    @Test
    void shortestDocumentLengthIsExact() {
        assertEquals(2, JsonSchema.compile("{\"type\":\"object\"}").minDocumentBytes()); // {}
        assertEquals(1, JsonSchema.compile("{}").minDocumentBytes()); // 0
        assertEquals(4, JsonSchema.compile("{\"type\":\"string\",\"minLength\":2}").minDocumentBytes());
        assertEquals(3, JsonSchema.compile("{\"type\":\"integer\",\"minimum\":100}").minDocumentBytes());
        assertEquals(3, JsonSchema.compile("{\"type\":\"number\",\"exclusiveMinimum\":0,\"maximum\":0.5}").minDocumentBytes()); // 0.1
        assertEquals(12, JsonSchema.compile("{\"type\":\"string\",\"format\":\"date\"}").minDocumentBytes());
        assertEquals("{\"a\":[]}".length(), JsonSchema.compile(
                "{\"properties\":{\"a\":{\"type\":\"array\"},\"b\":{}},\"required\":[\"a\"]}").minDocumentBytes());
    }

    @Test
    void numbersStayInRange() {
        ParseState s = ParseState.start(SchemaCompiler.compile("{\"type\":\"integer\",\"minimum\":10,\"maximum\":20}"));
        assertNull(s.step('3'), "3, 30..39, 300.. never reach [10, 20]");
        assertNotNull(s.step('1'));
        assertNull(s.step('-'));
        assertTrue(s.step("15".getBytes(StandardCharsets.UTF_8)).accepting());
        assertFalse(s.step('1').accepting());
        assertNull(s.step("21".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void stringsCountCharactersNotBytes() {
        ParseState s = ParseState.start(SchemaCompiler.compile("{\"type\":\"string\",\"maxLength\":2}"));
        assertNotNull(s.step("\"éü\"".getBytes(StandardCharsets.UTF_8)));
        assertNull(s.step("\"éüa".getBytes(StandardCharsets.UTF_8)));
        assertNull(s.step(new byte[] {'"', (byte) 0xC0}), "overlong UTF-8 lead byte");
        assertNull(s.step(new byte[] {'"', (byte) 0xED, (byte) 0xA0}), "UTF-16 surrogate encoded in UTF-8");
    }

    @Test
    void additionalKeysMayNotRepeatDeclaredNames() {
        ParseState s = ParseState.start(SchemaCompiler.compile(
                "{\"properties\":{\"a\":{\"type\":\"integer\"}},\"additionalProperties\":{\"type\":\"string\"}}"));
        assertNotNull(s.step("{\"a\":1,\"ab\":\"x\"}".getBytes(StandardCharsets.UTF_8)));
        assertNull(s.step("{\"a\":1,\"a\"".getBytes(StandardCharsets.UTF_8)));
        assertNull(s.step("{\"a\"".getBytes(StandardCharsets.UTF_8)).step(':').step('"'), "declared a is an integer");
    }
}
