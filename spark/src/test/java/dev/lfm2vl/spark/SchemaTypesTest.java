package dev.lfm2vl.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** The caption column's Spark type under a --json-schema. */
class SchemaTypesTest {

    @Test
    void objectsBecomeStructsInSchemaOrderAndPartsWithoutOneTypeStayJsonText() {
        StructType t = SchemaTypes.captionType("""
                {"type":"object","properties":{
                  "subject":{"type":"string"},"people":{"type":"integer"},"score":{"type":"number"},"ok":{"type":"boolean"},
                  "tags":{"type":"array","items":{"enum":["a","b"]}},"level":{"enum":[1,2,3]},"kind":{"const":"x"},
                  "maybe":{"type":["integer","null"]},"either":{"anyOf":[{"type":"string"},{"type":"integer"}]},
                  "mixed":{"type":["string","integer"]},"free":{"type":"object"},
                  "box":{"type":"object","properties":{"w":{"type":"integer"}}}}}""");
        StructType expected = new StructType().add("subject", DataTypes.StringType).add("people", DataTypes.LongType)
                .add("score", DataTypes.DoubleType).add("ok", DataTypes.BooleanType)
                .add("tags", DataTypes.createArrayType(DataTypes.StringType, true)).add("level", DataTypes.LongType)
                .add("kind", DataTypes.StringType).add("maybe", DataTypes.LongType).add("either", DataTypes.StringType)
                .add("mixed", DataTypes.StringType).add("free", DataTypes.StringType)
                .add("box", new StructType().add("w", DataTypes.LongType));
        assertEquals(expected, t);
    }

    @Test
    void aSchemaWhoseDocumentIsNotAnObjectLeavesTheCaptionAsJsonText() {
        assertNull(SchemaTypes.captionType("{\"type\":\"array\",\"items\":{\"type\":\"string\"}}"));
        assertNull(SchemaTypes.captionType("{\"enum\":[\"yes\",\"no\"]}"));
    }
}
