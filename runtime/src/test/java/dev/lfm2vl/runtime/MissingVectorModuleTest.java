package dev.lfm2vl.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.loader.Fixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A library user who starts java without {@code --add-modules jdk.incubator.vector}: {@code Lfm2Vl.load} says which
 * flag to add instead of failing later with a NoClassDefFoundError. Runs in a child JVM on this test's class path
 * with none of the test JVM's flags.
 */
class MissingVectorModuleTest {

    /** The child JVM's program: loads the tiny model pair and prints what it threw. */
    public static final class LoadWithoutFlag {
        public static void main(String[] args) throws IOException {
            try (Lfm2Vl vlm = Lfm2Vl.load(Path.of(args[0]), Path.of(args[1]))) {
                System.out.println("loaded");
            } catch (IllegalStateException e) {
                System.out.println(e.getMessage());
                System.exit(3);
            }
        }
    }

    @Test
    void loadWithoutTheModuleSaysWhichFlagToAdd(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out.txt");
        Path err = dir.resolve("err.txt");
        Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), "-cp",
                System.getProperty("java.class.path"), LoadWithoutFlag.class.getName(),
                Fixtures.textModel("Q4_0").toString(), Fixtures.mmproj("F16").toString())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "finished");
        String printed = Files.readString(out, StandardCharsets.UTF_8);
        String errors = Files.readString(err, StandardCharsets.UTF_8);
        assertEquals(3, p.exitValue(), printed + errors);
        List<String> lines = printed.strip().lines().toList();
        assertEquals(1, lines.size(), printed);
        assertTrue(lines.getFirst().startsWith("lfm2vl needs the Vector API: start java with --add-modules jdk.incubator.vector"),
                lines.getFirst());
        assertFalse(errors.contains("NoClassDefFoundError"), errors);
    }
}
