package dev.lfm2vl.runtime.structured;

import dev.lfm2vl.loader.json.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Generates schemas for the property tests: nested objects (required and optional members, additionalProperties in
 * all forms), arrays with item counts, enums and consts, local and recursive $refs, numeric ranges (inclusive and
 * exclusive), strings with lengths, patterns from the documented subset and formats, anyOf / oneOf with disjoint
 * branches, allOf, type arrays.
 */
final class RandomSchemas {
    private static final String[] PATTERNS = {"^[a-z]{2,5}$", "^[A-Z][a-z]*$", "^\\d{3}-\\d{4}$", "ab+c", "^(cat|dog|bird)s?$",
            "^[^\"\\\\]{1,8}$", "^x(?:yz)*$", "^[0-9a-f]+$", "^.{0,6}$"};
    private static final String[] FORMATS = {"date", "time", "date-time", "uuid", "email"};
    private final SplittableRandom random;
    private int names;

    RandomSchemas(long seed) {
        this.random = new SplittableRandom(seed);
    }

    /** A whole schema document; sometimes with $defs (one of them recursive) referenced from inside. */
    String document() {
        names = 0;
        boolean defs = random.nextInt(3) == 0;
        String body = schema(0, defs);
        if (!defs) {
            return body;
        }
        String node = "{\"type\":\"object\",\"properties\":{\"label\":" + string() + ",\"children\":{\"type\":\"array\",\"maxItems\":2,"
                + "\"items\":{\"$ref\":\"#/$defs/node\"}}},\"required\":[\"label\"],\"additionalProperties\":false}";
        String leaf = schema(2, false);
        String defsText = "\"$defs\":{\"node\":" + node + ",\"leaf\":" + leaf + "}";
        return "{\"type\":\"object\",\"properties\":{\"main\":" + body + ",\"tree\":{\"$ref\":\"#/$defs/node\"},\"other\":{\"$ref\":\"#/$defs/leaf\"}},"
                + "\"required\":[\"tree\"]," + defsText + "}";
    }

    private String schema(int depth, boolean defs) {
        int kind = random.nextInt(depth >= 3 ? 6 : 10);
        return switch (kind) {
            case 0 -> string();
            case 1 -> number();
            case 2 -> pick("{\"type\":\"boolean\"}", "{\"type\":\"null\"}", "{\"type\":[\"integer\",\"null\"],\"minimum\":-5,\"maximum\":5}");
            case 3 -> "{\"enum\":[\"red\",\"green\",\"blue\",3,true,null,{\"k\":[1,2]}]}";
            case 4 -> pick("{\"const\":\"fixed\"}", "{\"const\":42}", "{\"type\":\"string\",\"enum\":[\"a\",\"b\",1]}");
            case 5 -> "{\"type\":\"string\",\"format\":\"" + FORMATS[random.nextInt(FORMATS.length)] + "\"}";
            case 6, 7 -> object(depth, defs);
            case 8 -> "{\"type\":\"array\",\"items\":" + schema(depth + 1, defs) + ",\"minItems\":" + random.nextInt(2)
                    + ",\"maxItems\":" + (2 + random.nextInt(2)) + "}";
            default -> pick("{\"anyOf\":[" + string() + "," + number() + "]}",
                    "{\"oneOf\":[{\"type\":\"boolean\"},{\"type\":\"object\",\"properties\":{\"x\":" + number() + "},\"required\":[\"x\"],\"additionalProperties\":false}]}",
                    "{\"allOf\":[{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"},\"b\":" + string() + "},\"required\":[\"a\"],"
                            + "\"additionalProperties\":false},{\"properties\":{\"a\":{\"minimum\":10,\"maximum\":20},\"c\":{}}}]}");
        };
    }

    private String object(int depth, boolean defs) {
        int n = 1 + random.nextInt(4);
        List<String> props = new ArrayList<>();
        List<String> required = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            String name = "p" + (names++) + (random.nextInt(4) == 0 ? " x\\\"y" : "");
            props.add("\"" + name + "\":" + schema(depth + 1, defs));
            if (random.nextBoolean()) {
                required.add("\"" + name + "\"");
            }
        }
        String additional = switch (random.nextInt(4)) {
            case 0 -> "";
            case 1 -> ",\"additionalProperties\":false";
            case 2 -> ",\"additionalProperties\":true";
            default -> ",\"additionalProperties\":" + number();
        };
        return "{\"type\":\"object\",\"properties\":{" + String.join(",", props) + "},\"required\":[" + String.join(",", required) + "]"
                + additional + "}";
    }

    private String string() {
        return switch (random.nextInt(4)) {
            case 0 -> "{\"type\":\"string\"}";
            case 1 -> {
                int min = random.nextInt(4);
                yield "{\"type\":\"string\",\"minLength\":" + min + ",\"maxLength\":" + (min + random.nextInt(6)) + "}";
            }
            case 2 -> "{\"type\":\"string\",\"pattern\":" + quote(PATTERNS[random.nextInt(PATTERNS.length)]) + "}";
            default -> "{\"type\":\"string\",\"maxLength\":3}";
        };
    }

    private String number() {
        return switch (random.nextInt(5)) {
            case 0 -> "{\"type\":\"integer\"}";
            case 1 -> "{\"type\":\"number\"}";
            case 2 -> "{\"type\":\"integer\",\"minimum\":" + (random.nextInt(200) - 100) + ",\"maximum\":" + (100 + random.nextInt(1000)) + "}";
            case 3 -> "{\"type\":\"number\",\"exclusiveMinimum\":0.5,\"exclusiveMaximum\":2.25}";
            default -> "{\"type\":\"integer\",\"exclusiveMinimum\":-3,\"maximum\":" + random.nextInt(40) + "}";
        };
    }

    private String pick(String... options) {
        return options[random.nextInt(options.length)];
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder();
        Json.quote(s, b);
        return b.toString();
    }
}
