package dev.lfm2vl.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.loader.Fixtures;
import dev.lfm2vl.loader.GgmlType;
import dev.lfm2vl.loader.GgufFile;
import dev.lfm2vl.loader.GgufTensor;
import dev.lfm2vl.loader.Json;
import dev.lfm2vl.runtime.Lfm2Model;
import dev.lfm2vl.runtime.Lfm2State;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** synth, quantize and bench on the tiny shapes. */
class PerfCommandsTest {

    private static byte[] sha256(Path p) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p));
    }

    @Test
    void quantizeTheF32FixtureToQ8_0ReproducesLlamaQuantizeAndKeepsTheLogitsClose(@TempDir Path dir) throws Exception {
        Path in = Fixtures.textModel("F32");
        byte[] before = sha256(in);
        Path out = dir.resolve("q8.gguf");
        CliRun r = CliRun.of("quantize", "-t", "2", in.toString(), out.toString(), "Q8_0");
        assertEquals(0, r.exitCode(), r.err());
        assertArrayEquals(before, sha256(in), "IN is never modified");
        try (GgufFile q = GgufFile.open(out); GgufFile ref = GgufFile.open(Fixtures.textModel("Q8_0"))) {
            assertEquals(7, q.metadata().getInt("general.file_type"));
            assertEquals(ref.tensors().size(), q.tensors().size());
            for (GgufTensor t : ref.tensors()) {
                GgufTensor mine = q.tensor(t.name());
                assertEquals(t.type(), mine.type(), t.name());
                // llama-quantize --pure made the fixture from the same F32 file: identical bytes
                assertEquals(-1, t.data().mismatch(mine.data()), t.name() + " differs from llama-quantize");
            }
            assertEquals(GgmlType.F32, q.tensor("blk.0.shortconv.conv.weight").type());
        }
        int[] ids = {1, 217, 361, 79, 364, 12, 385, 165};
        try (Parallel pool = Parallel.create(2); Lfm2Model a = Lfm2Model.load(in, pool); Lfm2Model b = Lfm2Model.load(out, pool)) {
            int v = a.config().vocabSize();
            float[] la = new float[ids.length * v];
            float[] lb = new float[ids.length * v];
            Lfm2State sa = a.newState(16);
            Lfm2State sb = b.newState(16);
            a.forward(sa, ids, 0, ids.length, la);
            b.forward(sb, ids, 0, ids.length, lb);
            double maxAbs = 0;
            double maxDiff = 0;
            for (int i = 0; i < la.length; i++) {
                maxAbs = Math.max(maxAbs, Math.abs(la[i]));
                maxDiff = Math.max(maxDiff, Math.abs(la[i] - lb[i]));
            }
            // llama.cpp's own Q8_0 vs F32 logits of these positions (fixture text/logits_*_random16) differ by
            // 0.87 at a max |logit| of 14.3 (6 %): the tiny random model amplifies the rounding; ours differ by ~5 %
            assertTrue(maxDiff < 0.08 * maxAbs, "Q8_0 logits differ by " + maxDiff + " (max |logit| " + maxAbs + ")");
        }
    }

    @Test
    void quantizeRefusesToOverwriteItsInputAndUnknownTypes(@TempDir Path dir) throws Exception {
        Path copy = dir.resolve("m.gguf");
        Files.copy(Fixtures.textModel("F32"), copy);
        CliRun same = CliRun.of("quantize", copy.toString(), dir.resolve(".").resolve("m.gguf").toString(), "Q8_0");
        assertEquals(Main.EXIT_USAGE, same.exitCode());
        assertTrue(same.err().contains("must differ"), same.err());
        CliRun bad = CliRun.of("quantize", copy.toString(), dir.resolve("x.gguf").toString(), "Q5_K");
        assertEquals(Main.EXIT_USAGE, bad.exitCode());
        assertFalse(Files.exists(dir.resolve("x.gguf")));
    }

    @Test
    void quantizeIntoAMissingFolderSaysTheFolderDoesNotExist(@TempDir Path dir) {
        Path out = dir.resolve("no-such-folder").resolve("out.gguf");
        CliRun r = CliRun.of("quantize", Fixtures.textModel("F32").toString(), out.toString(), "Q8_0");
        assertEquals(2, r.exitCode(), r.err());
        assertEquals("error: " + out + ": the output folder " + out.getParent() + " does not exist", r.err().strip());
    }

    @Test
    void synthAndQuantizePrintOneSummaryLineWhenStderrIsNotATerminal(@TempDir Path dir) {
        CliRun synth = CliRun.of("synth", "--preset", "tiny", "--type", "Q8_0", "--out", dir.toString(), "-t", "1");
        assertEquals(0, synth.exitCode(), synth.err());
        assertEquals(1, synth.err().lines().count(), "one summary line: " + synth.err());
        assertTrue(synth.err().matches("text-Q8_0\\.gguf [0-9.]+ MB, mmproj-F16\\.gguf [0-9.]+ MB in [0-9.]+ s\\R"), synth.err());
        assertEquals(List.of(dir.resolve("text-Q8_0.gguf").toString(), dir.resolve("mmproj-F16.gguf").toString()), synth.out().lines().toList());

        CliRun quantize = CliRun.of("quantize", "-t", "1", dir.resolve("text-Q8_0.gguf").toString(), dir.resolve("q4.gguf").toString(), "Q4_0");
        assertEquals(0, quantize.exitCode(), quantize.err());
        assertEquals(1, quantize.err().lines().count(), "one summary line: " + quantize.err());
        assertTrue(quantize.err().startsWith("q4.gguf: ") && quantize.err().contains("requantized to Q4_0"), quantize.err());
    }

    @Test
    void synthAndQuantizeShowProgressOnATerminalOnOneSelfErasingLine(@TempDir Path dir) {
        String saved = System.getProperty("lfm2vl.stderr.tty");
        System.setProperty("lfm2vl.stderr.tty", "true");
        try {
            CliRun synth = CliRun.of("synth", "--preset", "tiny", "--type", "Q8_0", "--out", dir.toString(), "-t", "1", "--no-mmproj");
            assertEquals(0, synth.exitCode(), synth.err());
            assertTrue(synth.err().contains("\rtext-Q8_0.gguf: ") && synth.err().contains("(100%)"), synth.err());
            assertTrue(synth.err().startsWith("\r") && synth.err().contains("\r\033[Ktext-Q8_0.gguf "),
                    "the progress is redrawn in place and cleared before the summary: " + synth.err());
            assertEquals(1, synth.err().chars().filter(c -> c == '\n').count(), "no progress line of its own: " + synth.err());

            CliRun quantize = CliRun.of("quantize", "-t", "1", dir.resolve("text-Q8_0.gguf").toString(), dir.resolve("q4.gguf").toString(), "Q4_0");
            assertEquals(0, quantize.exitCode(), quantize.err());
            assertTrue(quantize.err().contains("\rq4.gguf: ") && quantize.err().contains("(100%)"), quantize.err());
            assertEquals(1, quantize.err().chars().filter(c -> c == '\n').count(), quantize.err());
        } finally {
            if (saved == null) {
                System.clearProperty("lfm2vl.stderr.tty");
            } else {
                System.setProperty("lfm2vl.stderr.tty", saved);
            }
        }
    }

    @Test
    void quantizeKeepsMmprojTensorsThatCannotTakeTheType(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("mm-q4.gguf");
        CliRun r = CliRun.of("quantize", "-t", "2", Fixtures.mmproj("F32").toString(), out.toString(), "Q4_0");
        assertEquals(0, r.exitCode(), r.err());
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(GgmlType.F32, f.tensor("v.position_embd.weight").type());
            assertEquals(GgmlType.F32, f.tensor("v.patch_embd.weight").type()); // 4-D
            assertEquals(GgmlType.F32, f.tensor("v.blk.0.ln1.weight").type());
            assertEquals(GgmlType.Q4_0, f.tensor("v.blk.0.attn_q.weight").type());
            assertEquals(GgmlType.Q4_0, f.tensor("mm.1.weight").type());
            assertEquals("clip", f.metadata().getString("general.architecture"));
        }
    }

    @Test
    void synthTinyWritesALoadablePairThatInfoDescribes(@TempDir Path dir) throws Exception {
        CliRun r = CliRun.of("synth", "--preset", "tiny", "--type", "Q4_K", "--out", dir.toString(), "-t", "2");
        assertEquals(0, r.exitCode(), r.err());
        Path text = dir.resolve("text-Q4_K.gguf");
        Path mm = dir.resolve("mmproj-F16.gguf");
        assertTrue(Files.isRegularFile(text) && Files.isRegularFile(mm));
        CliRun info = CliRun.of("info", "--json", text.toString());
        assertEquals(0, info.exitCode(), info.err());
        Map<String, Object> o = Json.object(Json.parse(info.out()));
        assertEquals("lfm2", o.get("architecture"));
        assertEquals(15, ((Number) o.get("file_type")).intValue());
        Map<String, Object> model = Json.object(o.get("model"));
        assertEquals(5, ((Number) model.get("layers")).intValue());
        assertEquals(640, ((Number) model.get("vocab_size")).intValue());
        Map<String, Object> types = Json.object(o.get("types"));
        assertTrue(types.containsKey("Q4_K") && types.containsKey("Q6_K"), types.toString());
        CliRun infoMm = CliRun.of("info", "--json", mm.toString());
        assertEquals(0, infoMm.exitCode(), infoMm.err());
        assertEquals("clip", Json.object(Json.parse(infoMm.out())).get("architecture"));
        CliRun gen = CliRun.of("logits", "--help");
        assertEquals(0, gen.exitCode());
        try (Parallel pool = Parallel.create(2); Lfm2Model m = Lfm2Model.load(text, pool)) {
            float[] logits = new float[m.config().vocabSize()];
            m.forward(m.newState(8), new int[] {1, 300, 400}, 0, 3, logits);
            for (float v : logits) {
                assertTrue(Float.isFinite(v));
            }
        }
    }

    @Test
    void benchJsonHasTheDocumentedKeys(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path saved = dir.resolve("bench.json");
        CliRun r = CliRun.of("bench", "-m", Fixtures.textModel("Q4_0").toString(), "-p", "8", "-n", "4", "-r", "1", "-t", "2",
                "--json", "--ceiling-bytes", "8388608", "--ceiling-ms", "20", "--save-to", saved.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(1, r.out().strip().lines().count(), "exactly one JSON object: " + r.out());
        Map<String, Object> o = Json.object(Json.parse(r.out()));
        assertEquals(List.of("threads", "ceilings", "weight_bytes_per_token", "results", "peak_rss_bytes"), List.copyOf(o.keySet()));
        assertEquals(o, Json.object(Json.parse(java.nio.file.Files.readString(saved))), "the result is kept for plan");
        assertEquals(Math.min(2, Runtime.getRuntime().availableProcessors()), ((Number) o.get("threads")).intValue(), "-t, at most the cores");
        Map<String, Object> c = Json.object(o.get("ceilings"));
        assertTrue(((Number) c.get("read_gb_s")).doubleValue() > 0);
        assertTrue(((Number) c.get("fma_gflop_s")).doubleValue() > 0);
        try (GgufFile f = GgufFile.open(Fixtures.textModel("Q4_0"))) {
            long expect = 0;
            for (GgufTensor t : f.tensors()) {
                if (t.rank() >= 2) {
                    expect += t.byteSize();
                }
            }
            assertEquals(expect, ((Number) o.get("weight_bytes_per_token")).longValue());
        }
        List<Object> results = Json.list(o.get("results"));
        assertEquals(2, results.size());
        Map<String, Object> pp = Json.object(results.get(0));
        Map<String, Object> tg = Json.object(results.get(1));
        assertEquals("pp8", pp.get("test"));
        assertEquals("tg4", tg.get("test"));
        assertTrue(((Number) pp.get("tokens_per_s")).doubleValue() > 0);
        assertTrue(((Number) tg.get("tokens_per_s")).doubleValue() > 0);
        assertEquals(0.0, ((Number) tg.get("stddev")).doubleValue());
        long rss = ((Number) o.get("peak_rss_bytes")).longValue();
        assertTrue(rss == -1 || rss > 1_000_000, "rss " + rss);
    }

    @Test
    void benchWithMmprojAddsVision512AndTtft512AndKeepsThemForPlan(@TempDir Path dir) throws Exception {
        Path saved = dir.resolve("bench.json");
        CliRun r = CliRun.of("bench", "-m", Fixtures.textModel("Q4_0").toString(), "--mmproj", Fixtures.mmproj("F16").toString(),
                "-p", "8", "-n", "4", "-r", "1", "-t", "2", "--json", "--ceiling-bytes", "8388608", "--ceiling-ms", "20",
                "--save-to", saved.toString());
        assertEquals(0, r.exitCode(), r.err());
        Map<String, Object> o = Json.object(Json.parse(r.out()));
        assertEquals(List.of("threads", "ceilings", "weight_bytes_per_token", "results", "peak_rss_bytes"), List.copyOf(o.keySet()));
        assertEquals(o, Json.object(Json.parse(Files.readString(saved))), "the result is kept for plan");
        List<Object> results = Json.list(o.get("results"));
        assertEquals(List.of("pp8", "tg4", "vision512", "ttft512"), results.stream().map(x -> Json.object(x).get("test")).toList());
        Map<String, Object> vision = Json.object(results.get(2));
        assertEquals(List.of("test", "ms", "stddev"), List.copyOf(vision.keySet()));
        assertTrue(((Number) vision.get("ms")).doubleValue() > 0, vision.toString());
        assertEquals(0.0, ((Number) vision.get("stddev")).doubleValue(), "one repetition");
        Map<String, Object> ttft = Json.object(results.get(3));
        assertEquals(List.of("test", "ms"), List.copyOf(ttft.keySet()));
        // the first token needs the tile encode too, and more (load, pre-process, prefill)
        assertTrue(((Number) ttft.get("ms")).doubleValue() > 0, ttft.toString());
        assertTrue(((Number) o.get("peak_rss_bytes")).longValue() != 0);
        PlanCommand.Bench b = PlanCommand.Bench.read(saved, new java.io.PrintWriter(java.io.Writer.nullWriter()));
        assertEquals(((Number) vision.get("ms")).doubleValue(), b.visionMs(), 1e-9, "plan reads vision512");

        CliRun table = CliRun.of("bench", "-m", Fixtures.textModel("Q4_0").toString(), "--mmproj", Fixtures.mmproj("F16").toString(),
                "-p", "4", "-n", "0", "-r", "2", "-t", "1", "--ceiling-bytes", "4194304", "--ceiling-ms", "10", "--save-to", "none");
        assertEquals(0, table.exitCode(), table.err());
        assertTrue(table.out().contains("vision512") && table.out().contains("ttft512") && table.out().contains("GFLOP per 512x512 tile"),
                table.out());
    }

    @Test
    void benchTableShowsRatios() {
        CliRun r = CliRun.of("bench", "-m", Fixtures.textModel("F32").toString(), "-p", "4", "-n", "2", "-r", "2", "-t", "1",
                "--ceiling-bytes", "4194304", "--ceiling-ms", "10", "--save-to", "none");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("pp4") && r.out().contains("tg2") && r.out().contains("ceilings:"), r.out());
        assertTrue(r.out().contains("%"), r.out());
    }

    @Test
    void benchStreamsReportsAggregateDecodeForEachCount() {
        CliRun r = CliRun.of("bench", "-m", Fixtures.textModel("Q8_0").toString(), "-p", "0", "-n", "3", "-r", "3", "-t", "2",
                "--streams", "1,3", "--json", "--ceiling-bytes", "4194304", "--ceiling-ms", "10", "--save-to", "none");
        assertEquals(0, r.exitCode(), r.err());
        List<Object> results = Json.list(Json.object(Json.parse(r.out())).get("results"));
        assertEquals(List.of("tg3", "tg3x1", "tg3x3"), results.stream().map(x -> Json.object(x).get("test")).toList());
        for (int k = 1; k <= 2; k++) {
            Map<String, Object> s = Json.object(results.get(k));
            assertEquals(List.of("test", "tokens_per_s", "stddev", "streams", "best", "median"), List.copyOf(s.keySet()));
            double best = ((Number) s.get("best")).doubleValue(), median = ((Number) s.get("median")).doubleValue();
            assertTrue(best > 0 && median > 0 && best >= median, s.toString());
        }
        CliRun table = CliRun.of("bench", "-m", Fixtures.textModel("Q8_0").toString(), "-p", "0", "-n", "2", "-r", "1", "-t", "1",
                "--streams", "2", "--ceiling-bytes", "4194304", "--ceiling-ms", "10", "--save-to", "none");
        assertEquals(0, table.exitCode(), table.err());
        assertTrue(table.out().contains("tg2x2") && table.out().contains("2 streams: best"), table.out());
        CliRun bad = CliRun.of("bench", "-m", Fixtures.textModel("Q8_0").toString(), "-n", "2", "--streams", "0", "--save-to", "none");
        assertEquals(2, bad.exitCode(), bad.out());
        assertTrue(bad.err().startsWith("error:") && bad.err().contains("--streams"), bad.err());
    }
}
