package dev.lfm2vl.spark;

import static org.apache.spark.sql.functions.col;

import java.io.IOException;
import java.util.Locale;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The output folder: {@code part-*} files of JSON lines or Parquet that Spark writes, each run adding new files
 * (SaveMode.Append: new file names, old files never rewritten). An image's answer is its row whose {@code error}
 * is null; with {@code --resume} only images without such a row are captioned, so each image gets exactly one
 * captioned row however often a job is killed and rerun, while a failed image keeps one error row per failed try.
 */
final class CaptionOutput {
    /** Where a killed job leaves its unfinished files (Hadoop's output committer); no reader looks inside. */
    static final String TEMPORARY = "_temporary";

    private final SparkSession spark;
    private final String dir;
    private final String format;

    CaptionOutput(SparkSession spark, String dir, String format) {
        this.spark = spark;
        this.dir = dir;
        this.format = format;
    }

    /**
     * Checks the folder before any work: without {@code resume} it must not hold output yet; with it, it must hold this
     * format's files only. A killed job's {@value #TEMPORARY} folder is removed on resume: its files were never
     * committed, so their images are not counted as done and are captioned again (left in place, the committer would
     * move them in beside the new rows, doubling those images).
     *
     * @return whether the folder holds earlier output
     */
    boolean prepare(boolean resume) throws IOException {
        Path out = new Path(dir);
        FileSystem fs = out.getFileSystem(spark.sparkContext().hadoopConfiguration());
        if (!fs.exists(out)) {
            return false;
        }
        if (!fs.getFileStatus(out).isDirectory()) {
            throw new UserError(dir + " is a file; --output takes a folder");
        }
        boolean data = false;
        for (FileStatus f : fs.listStatus(out)) {
            String name = f.getPath().getName();
            if (name.startsWith("part-")) {
                String other = format.equals("json") ? "parquet" : "json";
                if (name.toLowerCase(Locale.ROOT).endsWith("." + other)) {
                    throw new UserError(dir + " holds " + other + " output; use --format " + other + " to add to it");
                }
                data = true;
            }
        }
        if (data && !resume) {
            throw new UserError(dir + " already holds captions; add --resume to caption only the images not done yet, "
                    + "or choose another --output");
        }
        Path temporary = new Path(out, TEMPORARY);
        if (resume && fs.exists(temporary)) {
            fs.delete(temporary, true);
        }
        return data;
    }

    /** The paths that have a captioned row (error null). */
    Dataset<Row> captionedPaths() {
        StructType columns = new StructType().add("path", DataTypes.StringType).add("error", DataTypes.StringType);
        Dataset<Row> rows = format.equals("json") ? spark.read().schema(columns).json(dir) : spark.read().parquet(dir).select("path", "error");
        return rows.where(col("error").isNull()).select("path").distinct();
    }

    /** Appends {@code rows} as new files (JSON lines keep null fields: every line has every key). */
    void append(Dataset<Row> rows) {
        rows.write().mode(SaveMode.Append).format(format).option("ignoreNullFields", "false").save(dir);
    }
}
