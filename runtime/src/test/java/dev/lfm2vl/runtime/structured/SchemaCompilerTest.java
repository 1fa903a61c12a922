package dev.lfm2vl.runtime.structured;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What the compiler refuses (one line naming the keyword and its JSON pointer) and how keywords combine. */
class SchemaCompilerTest {

    private static String refusal(String schema) {
        SchemaException e = assertThrows(SchemaException.class, () -> JsonSchema.compile(schema));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    @Test
    void everyUnsupportedKeywordIsRefusedWithItsPointer() {
        List<String> unsupported = List.of("uniqueItems", "multipleOf", "patternProperties", "propertyNames", "minProperties",
                "maxProperties", "dependentRequired", "dependentSchemas", "if", "then", "else", "not", "contains", "minContains",
                "maxContains", "prefixItems", "unevaluatedProperties", "unevaluatedItems", "contentEncoding", "contentMediaType",
                "$anchor", "$dynamicRef", "dependencies", "additionalItems", "madeUpKeyword");
        for (String k : unsupported) {
            String schema = "{\"type\":\"object\",\"properties\":{\"tags\":{\"type\":\"array\",\"" + k + "\":true}}}";
            assertEquals("unsupported keyword '" + k + "' at /properties/tags/" + k, refusal(schema));
        }
        assertEquals("unsupported keyword 'not' at /anyOf/1/not", refusal("{\"anyOf\":[{\"type\":\"string\"},{\"not\":{}}]}"));
        assertEquals("unsupported keyword 'x' at /$defs/a~1b/x", refusal("{\"$defs\":{\"a/b\":{\"x\":1}}}"));
    }

    @Test
    void invalidSchemasAreRefused() {
        assertEquals("unknown type 'text' at /properties/a/type", refusal("{\"properties\":{\"a\":{\"type\":\"text\"}}}"));
        assertTrue(refusal("{\"properties\":{\"a\":{\"$ref\":\"#/$defs/missing\"}}}").startsWith("$ref '#/$defs/missing' points at nothing at /properties/a/$ref"));
        assertTrue(refusal("{\"type\":").startsWith("schema is not valid JSON"));
        assertTrue(refusal("{\"type\":\"string\",\"type\":\"integer\"}").contains("duplicate property"));
        assertTrue(refusal("{\"type\":\"string\",\"format\":\"ipv4\"}").matches("unsupported format \"ipv4\" .* at /format"));
        assertTrue(refusal("{\"type\":\"string\",\"pattern\":\"(?=a)\"}").contains("at /pattern"));
        assertTrue(refusal("{\"type\":\"string\",\"pattern\":\"a\\\\1\"}").contains("unsupported pattern escape"));
        assertTrue(refusal("{\"type\":\"string\",\"minLength\":-1}").contains("minLength"));
        assertTrue(refusal("{\"type\":\"integer\",\"minimum\":5,\"maximum\":4}").contains("no finite JSON document"));
        assertTrue(refusal("{\"$ref\":\"#\"}").contains("no finite JSON document"));
        assertTrue(refusal("{\"$ref\":\"http://example.com/s.json\"}").contains("only local $ref"));
        assertTrue(refusal("false").contains("accepts nothing"));
        assertTrue(refusal("{\"type\":\"object\",\"required\":[\"a\"],\"additionalProperties\":false}").contains("forbidden"));
        assertTrue(refusal("{\"items\":[{}]}").contains("tuple"));
    }

    @Test
    void oneOfIsRefusedUnlessNoValueCanMatchTwoBranches() {
        // generated as anyOf: an answer matching two branches would fail validation, so such a oneOf is refused
        assertTrue(refusal("{\"oneOf\":[{\"type\":\"string\"},{\"type\":\"string\",\"maxLength\":3}]}")
                .startsWith("'oneOf' branches that can match the same value are not supported"));
        assertTrue(refusal("{\"oneOf\":[{\"type\":\"number\"},{\"type\":\"integer\"}]}").endsWith("at /oneOf"));
        assertTrue(refusal("{\"properties\":{\"a\":{\"oneOf\":[{\"type\":\"object\"},{\"properties\":{\"k\":{\"const\":1}}}]}}}")
                .endsWith("at /properties/a/oneOf"));
        // branches of different types, or objects told apart by a required const/enum property: accepted
        JsonSchema byType = JsonSchema.compile("{\"oneOf\":[{\"type\":\"string\"},{\"type\":\"integer\"},{\"type\":\"null\"}]}");
        assertTrue(byType.accepts("\"x\"") && byType.accepts("7") && byType.accepts("null"));
        JsonSchema tagged = JsonSchema.compile("{\"oneOf\":["
                + "{\"type\":\"object\",\"properties\":{\"kind\":{\"const\":\"cat\"},\"lives\":{\"type\":\"integer\"}},\"required\":[\"kind\"]},"
                + "{\"type\":\"object\",\"properties\":{\"kind\":{\"enum\":[\"dog\",\"wolf\"]}},\"required\":[\"kind\"]}]}");
        assertTrue(tagged.accepts("{\"kind\":\"cat\",\"lives\":9}") && tagged.accepts("{\"kind\":\"wolf\"}"));
        assertTrue(refusal("{\"oneOf\":[{\"type\":\"object\",\"properties\":{\"kind\":{\"enum\":[\"a\",\"b\"]}},\"required\":[\"kind\"]},"
                + "{\"type\":\"object\",\"properties\":{\"kind\":{\"const\":\"b\"}},\"required\":[\"kind\"]}]}").contains("oneOf"));
    }

    @Test
    void enumAndConstTakeNoOtherNarrowingKeyword() {
        // the values are emitted as written: a sibling keyword that would exclude some of them is refused, not ignored
        assertEquals("'maxLength' beside 'enum'/'const' is not supported: list only the values it allows at /properties/c/maxLength",
                refusal("{\"properties\":{\"c\":{\"enum\":[\"red\",\"yellow\"],\"maxLength\":3}}}"));
        assertTrue(refusal("{\"const\":5,\"minimum\":6}").contains("'minimum' beside 'enum'/'const'"));
        assertTrue(JsonSchema.compile("{\"type\":\"string\",\"enum\":[\"a\",\"b\"],\"description\":\"annotations are fine\"}").accepts("\"a\""));
    }

    @Test
    void recursiveRefsCompileAndAcceptNestedDocuments() {
        JsonSchema s = JsonSchema.compile("{\"$defs\":{\"t\":{\"type\":\"object\",\"properties\":{\"v\":{\"type\":\"integer\"},"
                + "\"kids\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/t\"}}},\"required\":[\"v\"],\"additionalProperties\":false}},"
                + "\"$ref\":\"#/$defs/t\"}".replace(",\"$ref\"", ",\"allOf\":[{\"$ref\""));
        assertTrue(s.accepts("{\"v\":1,\"kids\":[{\"v\":2},{\"v\":3,\"kids\":[]}]}"));
        assertFalse(s.accepts("{\"v\":1,\"kids\":[{}]}"));
    }

    @Test
    void keywordsCombine() {
        JsonSchema nullable = JsonSchema.compile("{\"type\":\"string\",\"maxLength\":2,\"nullable\":true}");
        assertTrue(nullable.accepts("null"));
        assertTrue(nullable.accepts("\"ab\""));
        assertFalse(nullable.accepts("\"abc\""));
        JsonSchema types = JsonSchema.compile("{\"type\":[\"boolean\",\"integer\"],\"minimum\":3}");
        assertTrue(types.accepts("true"));
        assertTrue(types.accepts("7"));
        assertFalse(types.accepts("2"));
        JsonSchema all = JsonSchema.compile("{\"allOf\":[{\"type\":\"integer\",\"minimum\":0},{\"maximum\":9}]}");
        assertTrue(all.accepts("9"));
        assertFalse(all.accepts("10"));
        JsonSchema any = JsonSchema.compile("{}");
        assertTrue(any.accepts("{\"a\":[1,\"x\",null,{\"b\":false}]}"));
        JsonSchema en = JsonSchema.compile("{\"enum\":[\"a\",{\"k\":[1]}]}");
        assertTrue(en.accepts("{\"k\":[1]}"));
        assertFalse(en.accepts("\"b\""));
        JsonSchema extra = JsonSchema.compile("{\"type\":\"object\"}");
        assertTrue(extra.accepts("{}"));
        assertFalse(extra.accepts("{\"a\":1}"), "extra properties are allowed but never generated when additionalProperties is absent");
    }
}
