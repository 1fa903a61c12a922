package dev.lfm2vl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.loader.Fixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The jar's entry point run the way {@code java -jar lfm2vl.jar} runs it: without --add-modules jdk.incubator.vector. */
class LauncherTest {

    private record Run(int exitCode, String out, String err) {}

    /** A fresh JVM on the test class path, with none of the test JVM's flags (so no Vector API module). */
    private static Run launch(Path dir, List<String> jvmOptions, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Launcher.class.getName());
        command.addAll(List.of(args));
        Path out = dir.resolve("out.txt");
        Path err = dir.resolve("err.txt");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "finished");
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void plainJavaRunsTheModelWithoutAddModules(@TempDir Path dir) throws Exception {
        Run r = launch(dir, List.of(), "generate", "-m", Fixtures.textModel("Q4_0").toString(), "-p", "Hi", "-n", "2", "--temp", "0", "-t", "1");
        assertEquals(0, r.exitCode(), r.err());
        assertFalse(r.err().contains("Exception") || r.err().contains("Error"), r.err());
        assertFalse(r.out().isEmpty(), "an answer was printed");
    }

    @Test
    void plainJavaPassesOnTheExitCode(@TempDir Path dir) throws Exception {
        Run r = launch(dir, List.of(), "tokenize", "-m", dir.resolve("missing.gguf").toString(), "x");
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().lines().anyMatch(l -> l.startsWith("error: ") && l.contains("missing.gguf")), r.err());
    }

    @Test
    void withoutTheModuleAndNoWayToAddItTheErrorSaysWhichFlagToAdd(@TempDir Path dir) throws Exception {
        // A relaunched JVM that still lacks the module must not relaunch again: it says what to add.
        Run r = launch(dir, List.of("-D" + Launcher.RELAUNCHED_PROPERTY + "=true"), "--version");
        assertEquals(1, r.exitCode(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("error: ") && r.err().contains("--add-modules jdk.incubator.vector"), r.err());
    }
}
