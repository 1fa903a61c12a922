package dev.lfm2vl.spark;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The output: one row per input image. {@code caption} is the answer's text (with {@code --json-schema} the job
 * turns it into the parsed object, {@link SchemaTypes}); the counts and times are null on an error row, whose
 * {@code error} says what went wrong (null on a captioned row).
 */
final class CaptionRows {
    static final StructType SCHEMA = new StructType()
            .add("path", DataTypes.StringType, false)
            .add("caption", DataTypes.StringType, true)
            .add("image_tokens", DataTypes.IntegerType, true)
            .add("prompt_tokens", DataTypes.IntegerType, true)
            .add("generated_tokens", DataTypes.IntegerType, true)
            .add("encode_ms", DataTypes.DoubleType, true)
            .add("total_ms", DataTypes.DoubleType, true)
            .add("model", DataTypes.StringType, true)
            .add("error", DataTypes.StringType, true);

    private CaptionRows() {}

    static Row captioned(String path, String caption, int imageTokens, int promptTokens, int generatedTokens, long encodeNanos,
            long totalNanos, String model) {
        return RowFactory.create(path, caption, imageTokens, promptTokens, generatedTokens, ms(encodeNanos), ms(totalNanos), model, null);
    }

    static Row failed(String path, String model, String error) {
        return RowFactory.create(path, null, null, null, null, null, null, model, error);
    }

    /** Milliseconds to one decimal, as {@code lfm2vl caption --jsonl} writes them. */
    private static double ms(long nanos) {
        return Math.round(nanos / 1e5) / 10.0;
    }
}
