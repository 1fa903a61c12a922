package dev.lfm2vl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.loader.Fixtures;
import dev.lfm2vl.loader.Json;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code -t/--threads} of every command that has it: at least 1, at most the cores. */
class ThreadsOptionTest {
    private static final int CORES = Runtime.getRuntime().availableProcessors();
    private static final String WARNING = "warning: -t 1000 is more than the " + CORES + " CPU cores here; using " + CORES;

    private static long warnings(CliRun r) {
        return r.err().lines().filter(l -> l.startsWith("warning: -t")).count();
    }

    @Test
    void moreThreadsThanCoresAreCappedAtTheCoresWithOneWarning(@TempDir Path dir) {
        CliRun bench = CliRun.of("bench", "-m", Fixtures.textModel("Q4_0").toString(), "-p", "8", "-n", "2", "-r", "1", "-t", "1000",
                "--json", "--ceiling-bytes", "8388608", "--ceiling-ms", "20", "--save-to", dir.resolve("bench.json").toString());
        assertEquals(0, bench.exitCode(), bench.err());
        assertEquals(CORES, ((Number) Json.object(Json.parse(bench.out())).get("threads")).intValue(), "the pool has one thread per core");
        assertTrue(bench.err().lines().toList().contains(WARNING), bench.err());
        assertEquals(1, warnings(bench), bench.err());

        CliRun generate = CliRun.of("generate", "-m", Fixtures.textModel("Q4_0").toString(), "-p", "Hi", "-n", "2", "--temp", "0", "-t", "1000");
        assertEquals(0, generate.exitCode(), generate.err());
        assertEquals(List.of(WARNING), generate.err().lines().filter(l -> !l.isBlank()).toList());
    }

    @Test
    void threadsWithinTheCoresAreUsedWithoutWarning() {
        CliRun r = CliRun.of("generate", "-m", Fixtures.textModel("Q4_0").toString(), "-p", "Hi", "-n", "2", "--temp", "0", "-t", "1");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(0, warnings(r), r.err());
    }

    @Test
    void zeroOrNegativeThreadsAreAUsageError(@TempDir Path dir) {
        String model = Fixtures.textModel("Q4_0").toString();
        for (String t : new String[] {"0", "-3"}) {
            for (String[] args : new String[][] {
                    {"generate", "-m", model, "-p", "x", "-t", t},
                    {"quantize", model, dir.resolve("q.gguf").toString(), "Q8_0", "-t", t},
                    {"synth", "--preset", "tiny", "--type", "Q8_0", "--out", dir.toString(), "-t", t},
                    {"bench", "-m", model, "-t", t}}) {
                CliRun r = CliRun.of(args);
                assertEquals(2, r.exitCode(), String.join(" ", args) + " -> " + r.err());
                assertEquals("error: --threads must be at least 1, got " + t, r.err().strip());
            }
        }
    }
}
