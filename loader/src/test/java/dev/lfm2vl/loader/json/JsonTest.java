package dev.lfm2vl.loader.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The one JSON reader of the hub, the runtime and the command line: strict, exact, and its writer reads back. */
class JsonTest {

    @Test
    void valuesComeBackInOrderWithExactNumbersAndADistinctNull() {
        Object v = Json.parse(" {\"b\":[1,-0.5,2e3,true,false,null],\"a\":\"x\\u00e9\\n\\\"\\/\",\"n\":null} ");
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals(List.of("b", "a", "n"), List.copyOf(m.keySet()));
        List<?> b = (List<?>) m.get("b");
        assertEquals(new BigDecimal("1"), b.get(0));
        assertEquals(new BigDecimal("-0.5"), b.get(1));
        assertEquals(0, new BigDecimal("2000").compareTo((BigDecimal) b.get(2)));
        assertEquals(List.of(Boolean.TRUE, Boolean.FALSE), b.subList(3, 5));
        assertSame(Json.NULL, b.get(5));
        assertEquals("x\u00e9\n\"/", m.get("a"));
        assertTrue(m.containsKey("n") && m.get("n") == Json.NULL, "null is present, not absent");
        assertEquals(new BigDecimal("12345678901234567890.125"), Json.parse("12345678901234567890.125"));
    }

    @Test
    void anythingButStrictJsonIsRefusedWithItsOffset() {
        Map<String, Integer> bad = Map.ofEntries(Map.entry("", 0), Map.entry("[1,]", 3), Map.entry("{\"a\":1,\"a\":2}", 7),
                Map.entry("01", 1), Map.entry("[1] x", 4), Map.entry("{a:1}", 1), Map.entry("\"\\ud800\"", 8),
                Map.entry("\"a\\x\"", 3), Map.entry("// c\n1", 0), Map.entry("1.", 2), Map.entry("[tru]", 1),
                Map.entry("\"a\u0001\"", 2), Map.entry("[".repeat(200), 129));
        bad.forEach((text, offset) -> {
            JsonException e = assertThrows(JsonException.class, () -> Json.parse(text), text);
            assertEquals(offset, e.offset(), text + ": " + e.getMessage());
            assertEquals("invalid JSON at offset " + offset + ": " + e.reason(), e.getMessage());
        });
        assertTrue(((JsonException) assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"k\":1,\"k\":1}"))).reason()
                .contains("duplicate property \"k\""));
    }

    @Test
    void writtenValuesReadBackTheSame() {
        String text = "{\"s\":\"tab\\there \\\"q\\\" \\\\ \\b\\f\\u0001 \u2028\",\"l\":[1.5,-2,1e+400,null,true],\"o\":{}}";
        Object v = Json.parse(text);
        String written = Json.write(v);
        assertEquals(v, Json.parse(written));
        assertEquals("{\"s\":\"tab\\there \\\"q\\\" \\\\ \\b\\f\\u0001 \\u2028\",\"l\":[1.5,-2,1e400,null,true],\"o\":{}}", written,
                "compact, short escapes, U+2028 escaped for JSONL readers");
        assertEquals("\"\\u2029\"", Json.quote("\u2029"));
    }
}
