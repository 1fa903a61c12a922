package dev.lfm2vl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.loader.Fixtures;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged runnable jar, {@code cli/target/lfm2vl.jar}, started the way a user would start it: a plain
 * {@code java -jar} with no JVM flags (so without the Vector API module, which the Launcher then adds).
 */
class PlainJavaJarIT {

    @Test
    void plainJavaDashJarTokenizesWithTheTinyModel(@TempDir Path dir) throws Exception {
        Path jar = Path.of(System.getProperty("lfm2vl.cli.jar"));
        assertTrue(Files.isRegularFile(jar), jar + " is packaged");
        Path out = dir.resolve("out.txt");
        Path err = dir.resolve("err.txt");
        Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), "-jar", jar.toString(),
                "tokenize", "-m", Fixtures.textModel("Q4_0").toString(), "Hello world")
                .directory(dir.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "finished");
        String printed = Files.readString(out, StandardCharsets.UTF_8).strip();
        String errors = Files.readString(err, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), errors);
        assertTrue(printed.matches("[0-9]+(,[0-9]+)+"), "comma-separated token ids: " + printed);
        assertFalse(errors.contains("Exception") || errors.contains("Error"), errors);
    }
}
