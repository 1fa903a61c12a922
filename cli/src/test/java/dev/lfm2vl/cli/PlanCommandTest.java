package dev.lfm2vl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.loader.Fixtures;
import dev.lfm2vl.loader.GgufFile;
import dev.lfm2vl.loader.Json;
import dev.lfm2vl.runtime.Lfm2Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlanCommandTest {

    @TempDir
    Path tmp;

    private static final String IMG_256x384 = "images/img_256x384.png";
    private static final String IMG_1000x3000 = "images/img_1000x3000.png";

    /** Runs plan --json with a bench file that does not exist (so the user's cache never leaks in). */
    private CliRun planJson(String... args) {
        List<String> a = new ArrayList<>(List.of("plan", "--json", "--bench-file", tmp.resolve("absent.json").toString()));
        a.addAll(List.of(args));
        return CliRun.of(a.toArray(String[]::new));
    }

    private static Map<String, Object> report(CliRun r) {
        return Json.object(Json.parse(r.out()));
    }

    private static Map<String, Object> image(CliRun r, int i) {
        return Json.object(Json.list(report(r).get("images")).get(i));
    }

    private static long num(Map<String, Object> m, String key) {
        return ((Number) m.get(key)).longValue();
    }

    private static String img(String rel) {
        return Fixtures.file(rel).toString();
    }

    @Test
    void hfModeGivesTheSpecCountsWithoutModelOrMmproj() {
        CliRun r = planJson(img(IMG_256x384), img(IMG_1000x3000));
        assertEquals(0, r.exitCode(), r.err());
        Map<String, Object> single = image(r, 0);
        assertEquals("hf", single.get("mode"));
        assertEquals(256L, num(single, "width"));
        assertEquals(384L, num(single, "height"));
        assertNull(single.get("grid"));
        assertEquals(96L, num(single, "image_tokens"));
        assertEquals(2L, num(single, "marker_tokens"));
        assertEquals(98L, num(single, "span_positions"));
        assertEquals(Boolean.TRUE, single.get("estimated"));
        assertEquals(98L + 15, num(single, "prompt_positions"), "image span + 15-token allowance for the default prompt");

        Map<String, Object> tall = image(r, 1);
        Map<String, Object> grid = Json.object(tall.get("grid"));
        assertEquals(1L, num(grid, "cols"));
        assertEquals(3L, num(grid, "rows"));
        Map<String, Object> resized = Json.object(tall.get("resized"));
        assertEquals(288L, num(resized, "w"));
        assertEquals(864L, num(resized, "h"));
        List<Object> entries = Json.list(tall.get("entries"));
        assertEquals(4, entries.size());
        for (int i = 0; i < 3; i++) {
            Map<String, Object> e = Json.object(entries.get(i));
            assertEquals(256L, num(e, "tokens"));
            assertEquals(Boolean.FALSE, e.get("thumbnail"));
        }
        Map<String, Object> thumb = Json.object(entries.get(3));
        assertEquals(243L, num(thumb, "tokens"));
        assertEquals(Boolean.TRUE, thumb.get("thumbnail"));
        assertEquals(1011L, num(tall, "image_tokens"));
        assertEquals(6L, num(tall, "marker_tokens"));
        assertEquals(1017L, num(tall, "span_positions"));

        Map<String, Object> total = Json.object(report(r).get("total"));
        assertEquals(2L, num(total, "images"));
        assertEquals(1107L, num(total, "image_tokens"));
        assertEquals(num(single, "prompt_positions") + num(tall, "prompt_positions"), num(total, "prompt_positions"));
    }

    @Test
    void llamaCppModeWithTheTextModelMatchesEveryVisionFixture() throws Exception {
        List<Path> refs;
        try (Stream<Path> s = Files.list(Fixtures.dir().resolve("vision"))) {
            refs = s.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
        }
        assertTrue(refs.size() >= 10, "vision fixtures: " + refs);
        for (Path ref : refs) {
            Map<String, Object> fx = Json.object(Json.parse(Files.readString(ref)));
            assertEquals("<|im_start|>user\n<__media__>Describe this image.<|im_end|>\n<|im_start|>assistant\n", fx.get("prompt"));
            List<String> args = new ArrayList<>(List.of("--preprocess", "llama.cpp",
                    "-m", Fixtures.file("models/" + fx.get("text_model")).toString()));
            long min = num(fx, "image_min_tokens");
            long max = num(fx, "image_max_tokens");
            if (min > 0) {
                args.addAll(List.of("--min-image-tokens", Long.toString(min)));
            }
            if (max > 0) {
                args.addAll(List.of("--max-image-tokens", Long.toString(max)));
            }
            args.add(img("images/" + fx.get("image")));
            CliRun r = planJson(args.toArray(String[]::new));
            assertEquals(0, r.exitCode(), ref + ": " + r.err());
            Map<String, Object> im = image(r, 0);
            assertEquals("llama.cpp", im.get("mode"));
            assertEquals(num(fx, "n_image_tokens_total"), num(im, "image_tokens"), ref.toString());
            assertEquals(num(fx, "n_prompt_positions"), num(im, "prompt_positions"), ref.toString());
            assertEquals(Boolean.FALSE, im.get("estimated"));
        }
    }

    @Test
    void kvCacheBytesFollowTheTinyModelsConfig() throws Exception {
        Lfm2Config c;
        try (GgufFile f = GgufFile.open(Fixtures.textModel("Q4_0"))) {
            c = Lfm2Config.from(f);
        }
        long perPosition = 0;
        long conv = 0;
        for (int l = 0; l < c.layers(); l++) {
            if (c.kvHeads(l) > 0) {
                perPosition += 2L * c.kvHeads(l) * c.headDim() * 4;
            } else {
                conv += 2L * (c.convKernel() - 1) * c.dim() * 4; // the state and the copy a stopped prefill rolls back to
            }
        }
        assertTrue(perPosition > 0 && conv > 0);
        String model = Fixtures.textModel("Q4_0").toString();

        CliRun r = planJson("-m", model, "-n", "10", img(IMG_256x384));
        assertEquals(0, r.exitCode(), r.err());
        Map<String, Object> im = image(r, 0);
        long positions = num(im, "prompt_positions") + 10;
        assertEquals(positions, num(im, "context_positions"));
        // keys are stored transposed with a stride padded to an odd multiple of 16 positions: half the bytes of a
        // position for each padding position
        assertEquals(perPosition * positions + perPosition / 2 * (keyStride(positions) - positions) + conv, num(im, "kv_cache_bytes"));
        assertEquals(Boolean.TRUE, im.get("fits"));

        // -c sizes the cache like caption -c does
        CliRun withCtx = planJson("-m", model, "-c", "2000", img(IMG_256x384));
        Map<String, Object> imc = image(withCtx, 0);
        assertEquals(2000L, num(imc, "context_positions"));
        assertEquals(perPosition * 2000 + perPosition / 2 * (keyStride(2000) - 2000) + conv, num(imc, "kv_cache_bytes"));
    }

    @Test
    void withoutModelTheKvCacheUsesTheThreeBShapes() {
        CliRun r = planJson("-n", "0", img(IMG_256x384));
        Map<String, Object> im = image(r, 0);
        // 8 attention layers x 2 x 8 KV heads x 64 x 4 bytes per position; 22 conv layers x 2 x 2048 x 4 bytes, twice
        // (the state and its rollback copy)
        long positions = num(im, "prompt_positions");
        assertEquals(32768L * positions + 16384L * (keyStride(positions) - positions) + 2 * 360448L, num(im, "kv_cache_bytes"));
        assertTrue(num(im, "activation_bytes") == num(im, "text_activation_bytes") + num(im, "vision_activation_bytes"));
        assertTrue(num(im, "vision_activation_bytes") > 0 && num(im, "text_activation_bytes") > 0);
    }

    @Test
    void jsonHasTheDocumentedKeysAndNoTimeWithoutBench() {
        CliRun r = planJson(img(IMG_1000x3000));
        assertEquals(0, r.exitCode(), r.err());
        Map<String, Object> rep = report(r);
        assertTrue(rep.keySet().containsAll(List.of("images", "total", "errors", "assumptions")), rep.keySet().toString());
        Map<String, Object> im = image(r, 0);
        for (String k : List.of("path", "width", "height", "mode", "resized", "grid", "entries", "image_tokens", "marker_tokens",
                "prompt_positions", "estimated", "kv_cache_bytes", "activation_bytes")) {
            assertTrue(im.containsKey(k), "missing " + k + " in " + im.keySet());
        }
        assertFalse(im.containsKey("est_encode_ms"));
        assertFalse(im.containsKey("est_prefill_ms"));
        Map<String, Object> e = Json.object(Json.list(im.get("entries")).get(0));
        assertTrue(e.keySet().containsAll(List.of("w", "h", "tokens", "thumbnail")));
        Map<String, Object> total = Json.object(rep.get("total"));
        for (String k : List.of("images", "failed", "image_tokens", "marker_tokens", "prompt_positions", "kv_cache_bytes",
                "activation_bytes")) {
            assertTrue(total.containsKey(k), "missing total." + k);
        }
    }

    @Test
    void cachedBenchResultGivesEncodeAndPrefillEstimates() throws Exception {
        Path bench = tmp.resolve("bench.json");
        Files.writeString(bench, "{\"threads\":2,\"results\":[{\"test\":\"pp64\",\"tokens_per_s\":1000.0,\"stddev\":1},"
                + "{\"test\":\"pp512\",\"tokens_per_s\":100.0,\"stddev\":1},{\"test\":\"tg128\",\"tokens_per_s\":5.0},"
                + "{\"test\":\"vision512\",\"ms\":200.0}]}");
        CliRun r = CliRun.of("plan", "--json", "--bench-file", bench.toString(), img(IMG_1000x3000));
        assertEquals(0, r.exitCode(), r.err());
        Map<String, Object> im = image(r, 0);
        // 3 tiles of 1024 patches + a 288x864 thumbnail of 18x54 = 972 patches, scaled from 200 ms per 1024
        assertEquals(200.0 * (3 * 1024 + 972) / 1024, ((Number) im.get("est_encode_ms")).doubleValue(), 0.05);
        long positions = num(im, "prompt_positions");
        assertEquals(positions / 100.0 * 1000, ((Number) im.get("est_prefill_ms")).doubleValue(), 0.05, "pp512 is nearest");
        assertEquals("pp512", im.get("bench_pp"));

        CliRun text = CliRun.of("plan", "--bench-file", bench.toString(), img(IMG_1000x3000));
        assertTrue(text.out().contains("encode ~790 ms"), text.out());
    }

    @Test
    void aBenchResultWithoutVisionSaysWhichEstimateIsUnknownAndTotalsThePrefills() throws Exception {
        Path bench = tmp.resolve("bench.json");
        Files.writeString(bench, "{\"results\":[{\"test\":\"pp64\",\"tokens_per_s\":100.0}]}");
        CliRun text = CliRun.of("plan", "--bench-file", bench.toString(), img(IMG_256x384), img(IMG_1000x3000));
        assertEquals(0, text.exitCode(), text.err());
        assertTrue(text.out().contains("time:           encode unknown (no vision512 in the bench result), prefill ~"), text.out());
        assertTrue(text.out().contains("  bench:          " + bench), text.out());

        CliRun r = CliRun.of("plan", "--json", "--bench-file", bench.toString(), img(IMG_256x384), img(IMG_1000x3000));
        Map<String, Object> total = Json.object(report(r).get("total"));
        assertFalse(total.containsKey("est_encode_ms"));
        double prefills = ((Number) image(r, 0).get("est_prefill_ms")).doubleValue() + ((Number) image(r, 1).get("est_prefill_ms")).doubleValue();
        assertEquals(prefills, ((Number) total.get("est_prefill_ms")).doubleValue(), 0.05);
        assertEquals(bench.toString(), Json.object(report(r).get("assumptions")).get("bench"));
    }

    @Test
    void textOutputNamesTheAssumptionsAndSaysWhenNoBenchIsCached() {
        CliRun r = CliRun.of("plan", "--bench-file", tmp.resolve("absent.json").toString(), img(IMG_256x384), img(IMG_1000x3000));
        assertEquals(0, r.exitCode(), r.err());
        String out = r.out();
        assertTrue(r.err().contains("note: no -m: assuming LFM2-VL-3B text shapes"), r.err());
        assertTrue(r.err().contains("note: no --mmproj: assuming SigLIP2-so400m"), r.err());
        assertTrue(out.contains("grid:           single"), out);
        assertTrue(out.contains("grid:           1x3 (cols x rows)"), out);
        assertTrue(out.contains("tiles 512x1536 + thumbnail 288x864"), out);
        assertTrue(out.contains("1011 (3 tiles x 256 + thumbnail 243)"), out);
        assertTrue(out.contains("text estimated"), out);
        assertTrue(out.contains("no bench result cached (run lfm2vl bench)"), out);
        assertTrue(out.contains("total: 2 images"), out);
    }

    @Test
    void notesGoToStderrSoStdoutIsOnlyThePlan() {
        CliRun text = CliRun.of("plan", "--bench-file", tmp.resolve("absent.json").toString(), img(IMG_256x384));
        assertEquals(0, text.exitCode(), text.err());
        assertFalse(text.out().contains("note:"), text.out());
        assertTrue(text.out().startsWith(img(IMG_256x384) + ": 256x384 [hf]"), "the plan comes first: " + text.out());
        assertEquals(2, text.err().lines().filter(l -> l.startsWith("note: ")).count(), text.err());

        CliRun json = planJson(img(IMG_256x384));
        assertEquals(0, json.exitCode(), json.err());
        assertTrue(report(json).containsKey("assumptions"), "stdout is one JSON object: " + json.out());
    }

    @Test
    void aBadImageIsReportedAndTheOthersAreStillPlanned() throws Exception {
        Path bad = tmp.resolve("broken.png");
        Files.writeString(bad, "not an image");
        CliRun r = planJson(img(IMG_256x384), bad.toString(), tmp.resolve("missing.jpg").toString(), img(IMG_1000x3000));
        assertEquals(2, r.exitCode());
        List<String> errors = r.err().lines().filter(l -> l.startsWith("error:")).toList();
        assertEquals(2, errors.size(), r.err());
        assertTrue(errors.get(0).contains("broken.png"), errors.toString());
        assertTrue(errors.get(1).contains("missing.jpg"), errors.toString());
        Map<String, Object> rep = report(r);
        assertEquals(2, Json.list(rep.get("images")).size());
        assertEquals(2, Json.list(rep.get("errors")).size());
        assertEquals(2L, num(Json.object(rep.get("total")), "failed"));
    }

    @Test
    void aContextTooSmallIsFlagged() {
        CliRun r = CliRun.of("plan", "--bench-file", tmp.resolve("absent.json").toString(), "-c", "500", img(IMG_1000x3000));
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("DO NOT FIT"), r.out());
    }

    @Test
    void noImageSplitAndTokenLimitsChangeThePlan() {
        CliRun r = planJson("--no-image-split", "--max-image-tokens", "1024", img(IMG_1000x3000));
        Map<String, Object> im = image(r, 0);
        assertNull(im.get("grid"));
        assertEquals(1, Json.list(im.get("entries")).size());
        assertTrue(num(im, "image_tokens") > 256 && num(im, "image_tokens") <= 1024, im.toString());
    }

    @Test
    void invalidTokenLimitsAreAUsageError() {
        CliRun r = CliRun.of("plan", "--min-image-tokens", "300", "--max-image-tokens", "200", img(IMG_256x384));
        assertEquals(2, r.exitCode());
        assertTrue(r.err().startsWith("error: need 1 <= --min-image-tokens"), r.err());
    }

    @Test
    void helpShowsDefaultsAndExamples() {
        CliRun r = CliRun.of("plan", "--help");
        assertEquals(0, r.exitCode());
        assertTrue(r.out().contains("lfm2vl plan photo.jpg"), r.out());
        assertTrue(r.out().contains("lfm2vl plan --json --max-image-tokens 1024 big.png"));
        assertTrue(r.out().contains("lfm2vl plan -m model.gguf --mmproj mmproj.gguf *.jpg"));
        assertTrue(r.out().contains("default: 256"));
        assertTrue(r.out().contains("Describe this image."));
    }

    /** The transposed-key stride for n positions: n rounded up to a multiple of 16, then made an odd multiple. */
    private static long keyStride(long n) {
        return ((n + 15) & ~15L) | 16;
    }
}
