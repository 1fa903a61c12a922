package dev.lfm2vl.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lfm2vl.loader.Fixtures;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code lfm2vl-spark caption} on local[2] with the tiny fixture pair: same answers as the CLI, error rows, resume, Parquet. */
class SparkCaptionTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Path copyImage(String fixture, Path to) throws IOException {
        Files.createDirectories(to.getParent());
        return Files.copy(Fixtures.dir().resolve("images").resolve(fixture), to, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Every row of a JSON output folder, by file name of the image. */
    private static List<JsonNode> jsonRows(Path out) throws IOException {
        List<JsonNode> rows = new ArrayList<>();
        try (Stream<Path> files = Files.list(out)) {
            for (Path f : files.filter(p -> p.getFileName().toString().matches("part-.*\\.json")).sorted().toList()) {
                for (String line : Files.readAllLines(f)) {
                    rows.add(JSON.readTree(line));
                }
            }
        }
        return rows;
    }

    private static String name(JsonNode row) {
        String path = row.get("path").asText();
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /** {@code lfm2vl caption --temp 0 -n 8 --json} (the real CLI, in-process): caption per image file name. */
    private static Map<String, String> cliCaptions(Path... images) throws IOException {
        List<String> args = new ArrayList<>(List.of("caption", "-m", Fixtures.textModel("Q4_0").toString(), "--mmproj",
                Fixtures.mmproj("F16").toString(), "-t", "2", "--temp", "0", "-n", "8", "--json", "--quiet"));
        args.addAll(Arrays.stream(images).map(Path::toString).toList());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = dev.lfm2vl.cli.Main.run(args.toArray(String[]::new), new PrintWriter(out), new PrintWriter(err));
        assertEquals(0, code, err.toString());
        Map<String, String> captions = new HashMap<>();
        for (String line : out.toString().strip().split("\n")) {
            JsonNode o = JSON.readTree(line);
            captions.put(name(o), o.get("caption").asText());
        }
        return captions;
    }

    @Test
    void greedyCaptionsEqualTheClisAndACorruptFileIsAnErrorRow(@TempDir Path dir) throws IOException {
        Path images = dir.resolve("images");
        Path a = copyImage("img_64x48.png", images.resolve("a.png"));
        Path b = copyImage("img_256x384.png", images.resolve("sub/B.PNG"));
        byte[] good = Files.readAllBytes(a);
        Files.write(images.resolve("corrupt.png"), Arrays.copyOf(good, good.length / 2));
        Files.writeString(images.resolve("notes.txt"), "not an image");
        Path out = dir.resolve("out");

        SparkRun run = SparkRun.caption("--input", images.toString(), "--output", out.toString());
        assertEquals(2, run.exitCode(), run.err()); // one image failed
        assertTrue(run.err().contains("partition ") && run.err().contains("images/min"), run.err());
        assertTrue(run.err().contains("3 image(s) captioned") && run.err().contains("1 failed"), run.err());

        Map<String, String> cli = cliCaptions(a, b);
        List<JsonNode> rows = jsonRows(out);
        assertEquals(3, rows.size(), rows.toString());
        for (JsonNode row : rows) {
            assertEquals(List.of("path", "caption", "image_tokens", "prompt_tokens", "generated_tokens", "encode_ms", "total_ms",
                    "model", "error"), iterable(row.fieldNames()), "every key on every line, in order");
            assertTrue(row.get("model").asText().matches("lfm2-tiny-Q4_0\\.gguf@[0-9a-f]{12}"), row.toString());
            if (name(row).equals("corrupt.png")) {
                assertTrue(row.get("error").asText().contains("corrupt"), row.toString());
                assertTrue(row.get("caption").isNull() && row.get("image_tokens").isNull(), row.toString());
            } else {
                assertTrue(row.get("error").isNull(), row.toString());
                assertEquals(cli.get(name(row)), row.get("caption").asText(), name(row));
                assertEquals(8, row.get("generated_tokens").asInt(), row.toString());
                assertTrue(row.get("image_tokens").asInt() > 0 && row.get("prompt_tokens").asInt() > row.get("image_tokens").asInt(), row.toString());
                assertTrue(row.get("total_ms").asDouble() >= row.get("encode_ms").asDouble(), row.toString());
            }
        }
        assertFalse(cli.get("a.png").isEmpty());
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> l = new ArrayList<>();
        it.forEachRemaining(l::add);
        return l;
    }

    /** The captioned rows (error null) per image file name. */
    private static Map<String, Integer> captionedCounts(List<JsonNode> rows) {
        Map<String, Integer> counts = new HashMap<>();
        for (JsonNode r : rows) {
            if (r.get("error").isNull()) {
                counts.merge(name(r), 1, Integer::sum);
            }
        }
        return counts;
    }

    @Test
    void resumeOverAGrownFolderCaptionsOnlyTheNewImageAndLeavesOldFilesAlone(@TempDir Path dir) throws IOException {
        Path images = dir.resolve("images");
        copyImage("img_64x48.png", images.resolve("first.png"));
        Path out = dir.resolve("out");
        SparkRun first = SparkRun.caption("--input", images.toString(), "--output", out.toString());
        assertEquals(0, first.exitCode(), first.err());
        Map<Path, FileTime> before = new HashMap<>();
        Map<Path, byte[]> content = new HashMap<>();
        try (Stream<Path> files = Files.list(out)) {
            for (Path f : files.toList()) {
                before.put(f, Files.getLastModifiedTime(f));
                content.put(f, Files.readAllBytes(f));
            }
        }

        SparkRun again = SparkRun.caption("--input", images.toString(), "--output", out.toString());
        assertEquals(2, again.exitCode(), again.err());
        assertTrue(again.err().contains("--resume"), again.err());

        copyImage("img_700x300.png", images.resolve("second.jpg.png"));
        SparkRun resumed = SparkRun.caption("--input", images.toString(), "--output", out.toString(), "--resume");
        assertEquals(0, resumed.exitCode(), resumed.err());
        assertTrue(resumed.err().contains("1 image(s) captioned"), resumed.err());
        assertEquals(Map.of("first.png", 1, "second.jpg.png", 1), captionedCounts(jsonRows(out)));
        for (Map.Entry<Path, FileTime> f : before.entrySet()) {
            if (f.getKey().getFileName().toString().startsWith("part-")) {
                assertEquals(f.getValue(), Files.getLastModifiedTime(f.getKey()), "old file untouched: " + f.getKey());
                assertTrue(Arrays.equals(content.get(f.getKey()), Files.readAllBytes(f.getKey())), "old file's bytes: " + f.getKey());
            }
        }

        SparkRun nothing = SparkRun.caption("--input", images.toString(), "--output", out.toString(), "--resume");
        assertEquals(0, nothing.exitCode(), nothing.err());
        assertTrue(nothing.err().contains("already has a caption"), nothing.err());
        assertEquals(2, jsonRows(out).size());
    }

    @Test
    void aKilledRunIsFinishedByResumeWithEveryImageCaptionedExactlyOnce(@TempDir Path dir) throws IOException {
        Path images = dir.resolve("images");
        Path a = copyImage("img_64x48.png", images.resolve("a.png"));
        Path b = copyImage("img_256x384.png", images.resolve("b.png"));
        Path c = copyImage("img_700x300.png", images.resolve("c.png"));
        Path out = dir.resolve("out");
        // What a killed job leaves: a committed file (a captioned, b failed) and, under _temporary, a task's file that
        // was never committed (c captioned): that one is not output, so c is captioned again and the stale row dropped.
        String model = "lfm2-tiny-Q4_0.gguf@000000000000";
        Files.createDirectories(out);
        Files.writeString(out.resolve("part-00000-killed-c000.json"),
                row("file:" + a, "old caption of a", null, model) + "\n" + row("file:" + b, null, "was failing", model) + "\n");
        Path stale = Files.createDirectories(out.resolve("_temporary/0/task_202612060000_0001_m_000000"));
        Files.writeString(stale.resolve("part-00001-killed-c000.json"), row("file:" + c, "stale caption of c", null, model) + "\n");

        SparkRun resumed = SparkRun.caption("--input", images.toString(), "--output", out.toString(), "--resume");
        assertEquals(0, resumed.exitCode(), resumed.err());
        assertTrue(resumed.err().contains("2 image(s) captioned"), resumed.err());
        List<JsonNode> rows = jsonRows(out);
        assertEquals(Map.of("a.png", 1, "b.png", 1, "c.png", 1), captionedCounts(rows));
        assertEquals(4, rows.size(), "the old error row stays beside b's caption: " + rows);
        assertTrue(rows.stream().noneMatch(r -> r.get("caption").asText("").startsWith("stale")), rows.toString());
        assertFalse(Files.exists(out.resolve("_temporary")));
    }

    private static String row(String path, String caption, String error, String model) {
        return JSON.createObjectNode().put("path", path).put("caption", caption).putNull("image_tokens").putNull("prompt_tokens")
                .putNull("generated_tokens").putNull("encode_ms").putNull("total_ms").put("model", model).put("error", error).toString();
    }

    @Test
    void parquetOutputWithAJsonSchemaIsReadBackBySparkWithTheParsedObject(@TempDir Path dir) throws IOException {
        Path images = dir.resolve("images");
        copyImage("img_64x48.png", images.resolve("a.png"));
        copyImage("img_256x384.png", images.resolve("b.png"));
        // the input as a table of paths and bytes, as a Spark job upstream would leave it
        Path table = dir.resolve("input.parquet");
        SparkRun.session().read().format("binaryFile").load(images.toString()).select("path", "content")
                .write().parquet(table.toString());
        Path out = dir.resolve("out");
        String schema = "{\"type\":\"object\",\"properties\":{\"subject\":{\"type\":\"string\",\"maxLength\":12},"
                + "\"people\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":9},\"tags\":{\"type\":\"array\",\"items\":{\"enum\":[\"red\",\"blue\"]},\"maxItems\":2}},"
                + "\"required\":[\"subject\",\"people\",\"tags\"],\"additionalProperties\":false}";
        SparkRun run = SparkRun.caption("--input", table.toString(), "--output", out.toString(), "--format", "parquet",
                "--json-schema", schema, "-n", "48", "--partitions", "2");
        assertEquals(0, run.exitCode(), run.err());

        Dataset<Row> back = SparkRun.session().read().parquet(out.toString());
        StructType caption = (StructType) back.schema().apply("caption").dataType();
        assertEquals(List.of("subject", "people", "tags"), Arrays.asList(caption.fieldNames()));
        assertEquals(DataTypes.LongType, caption.apply("people").dataType());
        List<Row> rows = back.select("path", "caption.subject", "caption.people", "caption.tags", "error", "image_tokens").collectAsList();
        assertEquals(2, rows.size());
        for (Row r : rows) {
            assertNull(r.get(4), r.toString());
            assertNotNull(r.get(1), r.toString());
            long people = r.getLong(2);
            assertTrue(people >= 0 && people <= 9, r.toString());
            assertTrue(r.getList(3).stream().allMatch(t -> t.equals("red") || t.equals("blue")), r.toString());
            assertTrue(r.getInt(5) > 0, r.toString());
        }
    }
}
