package dev.lfm2vl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.loader.Fixtures;
import dev.lfm2vl.loader.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** bench-serve on the tiny fixture pair: the shape and sanity of what it reports (not its speed). */
class BenchServeCommandTest {

    private static double num(Map<String, Object> o, String key) {
        return ((Number) o.get(key)).doubleValue();
    }

    private static List<Double> nums(Map<String, Object> o, String key) {
        return Json.list(o.get(key)).stream().map(x -> ((Number) x).doubleValue()).toList();
    }

    @Test
    void jsonHasDecodeForEachStreamCountAndTimeToFirstTokenAloneAndBesideBusyStreams() {
        CliRun r = CliRun.of("bench-serve", "-m", Fixtures.textModel("Q4_0").toString(), "--mmproj", Fixtures.mmproj("F16").toString(),
                "--image-size", "64", "--streams", "1,3", "-n", "6", "--prompt-tokens", "40", "--busy", "2", "--rounds", "2", "-t", "2",
                "--prefill-chunk", "16", "--json");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("round 2/2: 3 stream(s) x 6 tokens..."), "progress on stderr: " + r.err());
        Map<String, Object> report = Json.object(Json.parse(r.out()));
        assertEquals(3, ((Number) report.get("slots")).intValue(), "as many slots as the most streams, and one beside --busy");
        assertEquals(16, ((Number) report.get("prefill_chunk")).intValue());
        List<Map<String, Object>> results = Json.list(report.get("results")).stream().map(Json::object).toList();
        assertEquals(List.of("decode", "decode", "ttft", "ttft"), results.stream().map(o -> o.get("test")).toList());
        for (int i = 0; i < 2; i++) {
            Map<String, Object> d = results.get(i);
            assertEquals(i == 0 ? 1 : 3, ((Number) d.get("streams")).intValue());
            List<Double> rounds = nums(d, "tokens_per_s");
            assertEquals(2, rounds.size());
            assertTrue(rounds.stream().allMatch(v -> v > 0 && Double.isFinite(v)), d.toString());
            assertTrue(num(d, "best") >= num(d, "median") && num(d, "best") == rounds.stream().mapToDouble(v -> v).max().orElseThrow(), d.toString());
        }
        Map<String, Object> alone = results.get(2);
        Map<String, Object> beside = results.get(3);
        assertEquals(0, ((Number) alone.get("beside")).intValue());
        assertEquals(2, ((Number) beside.get("beside")).intValue());
        for (Map<String, Object> t : List.of(alone, beside)) {
            // 40 text tokens, the chat template's few, and the 64x64 image's tokens
            assertTrue(num(t, "prompt_positions") > 40 + 4, t.toString());
            assertEquals(64, ((Number) t.get("image_size")).intValue());
            assertTrue(nums(t, "ms").stream().allMatch(v -> v > 0), t.toString());
            assertTrue(num(t, "best_ms") <= num(t, "median_ms"), t.toString());
        }
        assertEquals(num(alone, "prompt_positions"), num(beside, "prompt_positions"), "the same request alone and beside the streams");
        assertEquals(2, nums(beside, "stall_ms").size());
        assertTrue(nums(beside, "stall_ms").stream().allMatch(v -> v > 0), "the streams wait at least for the prefill: " + beside);
        assertTrue(num(beside, "streams_decoding_min") >= 1, beside.toString());
    }

    @Test
    void theReadmeExampleRunsOnTheFixtureAndPrintsTheTable() throws IOException {
        String readme = Files.readString(Path.of(System.getProperty("lfm2vl.root", "..")).resolve("README.md"));
        String line = readme.lines().filter(l -> l.startsWith("./lfm2vl bench-serve")).findFirst().orElseThrow();
        List<String> args = new ArrayList<>();
        for (String w : line.substring("./lfm2vl ".length(), line.indexOf('#')).trim().split(" +")) {
            args.add(w.equals("/tmp/s3b/text-Q4_0.gguf") ? Fixtures.textModel("Q4_0").toString() : w);
        }
        assertTrue(args.contains(Fixtures.textModel("Q4_0").toString()), "the README example names the synthetic 3B: " + line);
        args.add("-t");
        args.add("2");
        CliRun r = CliRun.of(args.toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.err());
        for (String row : new String[] {"decode, 1 stream ", "decode, 2 streams", "decode, 4 streams", "decode, 8 streams", "ttft, alone",
                "ttft, beside 4 streams", "stall of those streams"}) {
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith(row)), row + " in:\n" + r.out());
        }
        assertTrue(r.out().contains("tok/s aggregate (16 tokens each)"), r.out());
    }

    @Test
    void badValuesAreOneLineErrors() {
        String m = Fixtures.textModel("Q4_0").toString();
        String[][] cases = {
            {"--streams", "0"}, {"-n", "2"}, {"--prompt-tokens", "0"}, {"--rounds", "0"}, {"--busy", "-1"}, {"--image-size", "64"},
            {"--streams", "x"}, {"--prefill-chunk", "100"},
        };
        String[] names = {"--streams", "-n", "--prompt-tokens", "--rounds", "--busy", "--mmproj", "--streams", "--prefill-chunk"};
        for (int i = 0; i < cases.length; i++) {
            List<String> args = new ArrayList<>(List.of("bench-serve", "-m", m));
            args.addAll(List.of(cases[i]));
            CliRun r = CliRun.of(args.toArray(String[]::new));
            assertEquals(2, r.exitCode(), String.join(" ", cases[i]) + ": " + r.err());
            assertTrue(r.err().startsWith("error:") && r.err().contains(names[i]) && r.err().strip().lines().count() == 1,
                    String.join(" ", cases[i]) + ": " + r.err());
        }
    }
}
