package dev.lfm2vl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.loader.Fixtures;
import dev.lfm2vl.loader.GgufFile;
import dev.lfm2vl.loader.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class InfoCommandTest {

    static Stream<Path> fixtureModels() throws IOException {
        return Files.list(Fixtures.dir().resolve("models")).sorted();
    }

    @ParameterizedTest
    @MethodSource("fixtureModels")
    void jsonReportsTensorCountAndPerTypeSummaryForEveryFixture(Path model) throws IOException {
        CliRun r = CliRun.of("info", "--json", "--tensors", model.toString());
        assertEquals(0, r.exitCode(), r.err());
        Map<String, Object> info = Json.object(Json.parse(r.out()));
        try (GgufFile f = GgufFile.open(model)) {
            assertEquals(f.tensors().size(), ((Number) info.get("tensor_count")).intValue());
            Map<String, Object> types = Json.object(info.get("types"));
            int sum = 0;
            for (Object v : types.values()) {
                sum += ((Number) Json.object(v).get("tensors")).intValue();
            }
            assertEquals(f.tensors().size(), sum);
            assertEquals(f.tensors().size(), Json.list(info.get("tensors")).size());
        }
        String arch = (String) info.get("architecture");
        if (arch.equals("lfm2")) {
            Map<String, Object> m = Json.object(info.get("model"));
            assertEquals(List.of(2.0, 4.0), m.get("attention_layers"));
            assertEquals(2.0, m.get("kv_heads"));
        } else {
            assertEquals("clip", arch);
            assertEquals("lfm2", Json.object(info.get("vision")).get("projector_type"));
        }
    }

    @Test
    void textOutputNamesTheHyperparameters() {
        CliRun r = CliRun.of("info", Fixtures.textModel("Q6_K").toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("attention_layers:    [2, 4]"), r.out());
        assertTrue(r.out().contains("Q6_K:"), r.out());
        assertTrue(r.out().contains("bos:                 1 <|startoftext|>"), r.out());
    }

    @Test
    void corruptFileIsOneErrorLineAndExitTwo(@TempDir Path dir) throws IOException {
        byte[] b = Files.readAllBytes(Fixtures.textModel("Q4_0"));
        Path bad = dir.resolve("truncated.gguf");
        Files.write(bad, java.util.Arrays.copyOf(b, 5000));
        CliRun r = CliRun.of("info", bad.toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.err().startsWith("error: "), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
    }

    @Test
    void debugAddsTheStackTrace(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("bad.gguf");
        Files.writeString(bad, "not a gguf file at all");
        CliRun r = CliRun.of("--debug", "info", bad.toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("GgufFormatException"), r.err());
    }

    @Test
    void missingFileAndBadUsageExitTwo() {
        CliRun r = CliRun.of("info", "does-not-exist.gguf");
        assertEquals(2, r.exitCode());
        assertEquals("error: does-not-exist.gguf: no such file", r.err().strip());
        assertEquals(2, CliRun.of("info").exitCode());
        assertEquals(2, CliRun.of("info", "--no-such-option", "x").exitCode());
        assertEquals(2, CliRun.of().exitCode());
        CliRun dir = CliRun.of("info", Fixtures.dir().resolve("models").toString());
        assertEquals(2, dir.exitCode());
        assertTrue(dir.err().contains("is a directory"), dir.err());
    }

    @Test
    void helpAndVersionExitZero() {
        CliRun help = CliRun.of("--help");
        assertEquals(0, help.exitCode());
        assertTrue(help.out().contains("info"), help.out());
        assertTrue(help.out().contains("Examples:"), help.out());
        CliRun version = CliRun.of("--version");
        assertEquals(0, version.exitCode());
        assertTrue(version.out().startsWith("lfm2vl "), version.out());
    }
}
