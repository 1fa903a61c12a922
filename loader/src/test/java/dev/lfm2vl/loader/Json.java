package dev.lfm2vl.loader;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fixtures' sidecar files and the commands' JSON output as tests read them: the strict reader's values with
 * objects as {@code Map<String,Object>} (key order kept), arrays {@code List<Object>}, numbers {@code Double}, plus
 * String, Boolean and null.
 */
public final class Json {
    private Json() {}

    /** The value of strict JSON text ({@link dev.lfm2vl.loader.json.Json}), numbers as Double, null as null. */
    public static Object parse(String text) {
        return plain(dev.lfm2vl.loader.json.Json.parse(text));
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> object(Object v) {
        return (Map<String, Object>) v;
    }

    @SuppressWarnings("unchecked")
    public static List<Object> list(Object v) {
        return (List<Object>) v;
    }

    /** A JSON array of numbers as ints. */
    public static int[] ints(Object v) {
        List<Object> l = list(v);
        int[] out = new int[l.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = ((Number) l.get(k)).intValue();
        }
        return out;
    }

    /** {@code v} as read by the strict reader, with numbers as Double and JSON null as Java null (as tests expect). */
    private static Object plain(Object v) {
        return switch (v) {
            case Map<?, ?> m -> {
                Map<String, Object> out = new LinkedHashMap<>();
                m.forEach((k, x) -> out.put((String) k, plain(x)));
                yield out;
            }
            case List<?> l -> {
                List<Object> out = new ArrayList<>(l.size());
                l.forEach(x -> out.add(plain(x)));
                yield out;
            }
            case BigDecimal d -> d.doubleValue();
            default -> v == dev.lfm2vl.loader.json.Json.NULL ? null : v;
        };
    }
}
