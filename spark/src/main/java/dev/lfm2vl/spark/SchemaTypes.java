package dev.lfm2vl.spark;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Iterator;
import java.util.Map;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The Spark type of the documents a {@code --json-schema} accepts, so that with a schema the {@code caption}
 * column holds the parsed object (every run of a job gets the same column type, whatever its answers were):
 * {@code object} with {@code properties} is a struct of those fields in schema order, {@code array} an array of its
 * {@code items}' type, {@code string}/{@code integer}/{@code number}/{@code boolean} are string/long/double/boolean,
 * an {@code enum}/{@code const} of strings (or of integers) a string (a long). Whatever has no single such type
 * ({@code anyOf}, {@code oneOf}, {@code $ref}, type unions, objects without properties) is a string holding that
 * part's JSON text, which is how Spark's JSON reader fills a string from an object or array.
 */
final class SchemaTypes {
    private SchemaTypes() {}

    /** The caption column's type under {@code schema}; null when the answer is not an object (it stays JSON text). */
    static StructType captionType(String schema) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(schema);
        } catch (JsonProcessingException e) {
            throw new UserError("--json-schema: not JSON: " + e.getOriginalMessage());
        }
        return type(root) instanceof StructType s ? s : null;
    }

    static DataType type(JsonNode s) {
        if (s == null || !s.isObject()) {
            return DataTypes.StringType;
        }
        if (s.has("anyOf") || s.has("oneOf") || s.has("allOf") || s.has("$ref")) {
            return DataTypes.StringType;
        }
        if (s.has("enum") || s.has("const")) {
            boolean integers = s.has("const") ? s.get("const").isIntegralNumber() : s.get("enum").size() > 0;
            for (JsonNode v : s.has("enum") ? s.get("enum") : s.path("const")) {
                integers &= v.isIntegralNumber();
            }
            return integers ? DataTypes.LongType : DataTypes.StringType;
        }
        String type = singleType(s.get("type"));
        if (type == null) {
            return DataTypes.StringType;
        }
        return switch (type) {
            case "object" -> struct(s.get("properties"));
            case "array" -> DataTypes.createArrayType(type(s.get("items")), true);
            case "integer" -> DataTypes.LongType;
            case "number" -> DataTypes.DoubleType;
            case "boolean" -> DataTypes.BooleanType;
            default -> DataTypes.StringType;
        };
    }

    /** {@code "t"} or {@code ["t", "null"]} give t; anything else null. */
    private static String singleType(JsonNode type) {
        if (type != null && type.isTextual()) {
            return type.asText();
        }
        if (type != null && type.isArray()) {
            String single = null;
            for (JsonNode t : type) {
                if (!t.isTextual()) {
                    return null;
                }
                if (!t.asText().equals("null")) {
                    if (single != null) {
                        return null;
                    }
                    single = t.asText();
                }
            }
            return single;
        }
        return null;
    }

    private static DataType struct(JsonNode properties) {
        if (properties == null || !properties.isObject() || properties.isEmpty()) {
            return DataTypes.StringType;
        }
        StructType struct = new StructType();
        for (Iterator<Map.Entry<String, JsonNode>> it = properties.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            struct = struct.add(p.getKey(), type(p.getValue()), true);
        }
        return struct;
    }
}
