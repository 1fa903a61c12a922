package dev.lfm2vl.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import dev.lfm2vl.runtime.ImageFormats;
import java.util.Arrays;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * What to caption, as (path, content) rows: the image files under a folder (recursively), matching a glob, or one
 * file, read by Spark's {@code binaryFile} source (the formats {@code lfm2vl caption} takes, by extension, in any
 * case); or a Parquet or JSON table with a string {@code path} column and optionally a binary {@code content},
 * {@code bytes} or {@code image} column (without one each file is read by its path in the task).
 */
final class ImageInputs {
    /** The binary columns a table's image bytes may be in, in order of preference. */
    private static final String[] BYTES_COLUMNS = {"content", "bytes", "image"};

    private ImageInputs() {}

    /** Whether {@code input} names a table rather than images. */
    static boolean isTable(String input) {
        String lower = input.toLowerCase(Locale.ROOT);
        return lower.endsWith(".parquet") || lower.endsWith(".json") || lower.endsWith(".jsonl");
    }

    static Dataset<Row> read(SparkSession spark, String input, Integer partitions) {
        if (isTable(input)) {
            return table(spark, input, partitions);
        }
        if (partitions != null) {
            // about N splits of the listing, without moving the images around (no shuffle)
            spark.conf().set("spark.sql.files.minPartitionNum", partitions.toString());
        }
        return spark.read().format("binaryFile").option("recursiveFileLookup", "true").option("pathGlobFilter", imageGlob())
                .load(input).select(col("path"), col("content"));
    }

    /** {@code *.{[pP][nN][gG],[jJ][pP][gG],...}}: Hadoop's glob filter is case-sensitive, the CLI's extensions are not. */
    static String imageGlob() {
        StringBuilder b = new StringBuilder("*.{");
        for (String ext : ImageFormats.extensions()) {
            b.append(b.length() == 3 ? "" : ",");
            for (char c : ext.toCharArray()) {
                b.append(Character.isLetter(c) ? "[" + c + Character.toUpperCase(c) + "]" : String.valueOf(c));
            }
        }
        return b.append('}').toString();
    }

    private static Dataset<Row> table(SparkSession spark, String input, Integer partitions) {
        boolean parquet = input.toLowerCase(Locale.ROOT).endsWith(".parquet");
        Dataset<Row> t = parquet ? spark.read().parquet(input) : spark.read().json(input);
        StructField path = field(t, "path");
        if (path == null || path.dataType() != DataTypes.StringType) {
            throw new UserError(input + ": a table input needs a string column 'path' (columns: " + String.join(", ", t.columns()) + ")");
        }
        String bytes = Arrays.stream(BYTES_COLUMNS).filter(c -> {
            StructField f = field(t, c);
            return f != null && f.dataType() == DataTypes.BinaryType;
        }).findFirst().orElse(null);
        Dataset<Row> rows = t.select(col("path"), bytes == null ? lit(null).cast(DataTypes.BinaryType).as("content") : col(bytes).as("content"))
                .where(col("path").isNotNull()).dropDuplicates("path");
        return partitions == null ? rows : rows.repartition(partitions);
    }

    private static StructField field(Dataset<Row> t, String name) {
        for (StructField f : t.schema().fields()) {
            if (f.name().equals(name)) {
                return f;
            }
        }
        return null;
    }
}
