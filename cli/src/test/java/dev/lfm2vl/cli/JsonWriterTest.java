package dev.lfm2vl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lfm2vl.loader.Json;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonWriterTest {

    @Test
    void compactOutputIsOneLineAndPrettyOutputParsesToTheSameValue() {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("ms", 1.5);
        inner.put("ids", new int[] {1, 2});
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("text", "a \"quoted\"\nline\t\u0001");
        m.put("n", 3);
        m.put("ok", true);
        m.put("none", null);
        m.put("list", List.of(1L, "x"));
        m.put("inner", inner);
        String compact = JsonWriter.write(m, false);
        assertEquals("{\"text\":\"a \\\"quoted\\\"\\nline\\t\\u0001\",\"n\":3,\"ok\":true,\"none\":null,\"list\":[1,\"x\"],"
                + "\"inner\":{\"ms\":1.5,\"ids\":[1,2]}}", compact);
        assertEquals(Json.parse(compact), Json.parse(JsonWriter.write(m, true)));
    }
}
