package dev.lfm2vl.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.loader.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input ends with one {@code error:} line and exit code 2: no stack trace, nothing written. */
class SparkUsageErrorsTest {

    private static void refused(SparkRun r, String expected) {
        assertEquals(2, r.exitCode(), r.err());
        String[] lines = r.err().strip().split("\n");
        assertEquals(1, lines.length, r.err());
        assertTrue(lines[0].startsWith("error: ") && lines[0].contains(expected), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
    }

    @Test
    void badInputsAreOneLineErrors(@TempDir Path dir) throws IOException {
        Path images = Files.createDirectories(dir.resolve("images"));
        Files.copy(Fixtures.dir().resolve("images/img_64x48.png"), images.resolve("a.png"));
        String in = images.toString();
        String out = dir.resolve("out").toString();
        refused(SparkRun.caption("--input", dir.resolve("missing").toString(), "--output", out), "missing");
        refused(SparkRun.caption("--input", Files.createDirectories(dir.resolve("empty")).toString(), "--output", out), "no images found");
        refused(SparkRun.of("caption", "-m", dir.resolve("nope.gguf").toString(), "--mmproj", Fixtures.mmproj("F16").toString(),
                "--input", in, "--output", out), "nope.gguf");
        refused(SparkRun.caption("--input", in, "--output", out, "--format", "xml"), "expected json or parquet");
        refused(SparkRun.caption("--input", in, "--output", out, "--partitions", "0"), "--partitions");
        refused(SparkRun.caption("--input", in, "--output", out, "--temp", "-1"), "temperature");
        refused(SparkRun.caption("--input", in, "--output", out, "--json-schema", "{\"type\":\"object\",\"uniqueItems\":true}"), "uniqueItems");
        refused(SparkRun.caption("--input", in, "--output", out, "--master", "local[x]"), "--master");
        refused(SparkRun.caption("--output", out), "--input");
        assertFalse(Files.exists(dir.resolve("out")), "nothing written");
        Path table = Files.writeString(dir.resolve("t.json"), "{\"file\":\"a.png\"}\n");
        refused(SparkRun.caption("--input", table.toString(), "--output", out), "'path'");
    }
}
