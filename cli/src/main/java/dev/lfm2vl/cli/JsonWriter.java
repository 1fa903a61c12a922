package dev.lfm2vl.cli;

import dev.lfm2vl.loader.json.Json;
import java.util.List;
import java.util.Map;

/** Writes maps, lists, strings, numbers, booleans and null as compact or indented JSON. */
final class JsonWriter {
    private JsonWriter() {}

    /** Text that is already one valid JSON value (a constrained answer), written as is. */
    record Raw(String json) {}

    static String write(Object value, boolean pretty) {
        StringBuilder b = new StringBuilder();
        write(b, value, pretty ? 0 : -1);
        return b.toString();
    }

    private static void write(StringBuilder b, Object v, int indent) {
        switch (v) {
            case null -> b.append("null");
            case String s -> string(b, s);
            case Raw r -> b.append(r.json());
            case Boolean x -> b.append(x);
            case Float f -> number(b, f.doubleValue(), true);
            case Double d -> number(b, d, false);
            case Number n -> b.append(n.longValue());
            case Map<?, ?> m -> {
                b.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) {
                        b.append(',');
                    }
                    first = false;
                    newline(b, indent < 0 ? -1 : indent + 1);
                    string(b, String.valueOf(e.getKey()));
                    b.append(indent >= 0 ? ": " : ":");
                    write(b, e.getValue(), indent < 0 ? -1 : indent + 1);
                }
                if (!m.isEmpty()) {
                    newline(b, indent);
                }
                b.append('}');
            }
            case List<?> l -> {
                b.append('[');
                for (int i = 0; i < l.size(); i++) {
                    if (i > 0) {
                        b.append(indent >= 0 ? ", " : ",");
                    }
                    write(b, l.get(i), indent);
                }
                b.append(']');
            }
            case int[] a -> {
                b.append('[');
                for (int i = 0; i < a.length; i++) {
                    b.append(i > 0 ? (indent >= 0 ? ", " : ",") : "").append(a[i]);
                }
                b.append(']');
            }
            case long[] a -> {
                b.append('[');
                for (int i = 0; i < a.length; i++) {
                    b.append(i > 0 ? (indent >= 0 ? ", " : ",") : "").append(a[i]);
                }
                b.append(']');
            }
            default -> string(b, v.toString());
        }
    }

    private static void number(StringBuilder b, double d, boolean single) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            b.append("null");
        } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            b.append((long) d);
        } else {
            b.append(single ? Float.toString((float) d) : Double.toString(d));
        }
    }

    private static void newline(StringBuilder b, int indent) {
        if (indent >= 0) {
            b.append('\n').append("  ".repeat(indent));
        }
    }

    private static void string(StringBuilder b, String s) {
        b.append(Json.quote(s));
    }
}
