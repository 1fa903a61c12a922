package dev.lfm2vl.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.loader.Fixtures;
import dev.lfm2vl.loader.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code embed-image}, {@code caption} and {@code generate --image} end to end on the tiny fixtures. */
class VisionCommandsTest {
    private static String model() {
        return Fixtures.textModel("F32").toString();
    }

    private static String mmproj(String type) {
        return Fixtures.mmproj(type).toString();
    }

    private static String image(String name) {
        return Fixtures.file("images/" + name).toString();
    }

    @Test
    void embedImageWritesTheFixtureEmbeddingsAndLayout(@TempDir Path dir) throws IOException {
        String tag = "img_700x300_default_mmprojF16_textF32";
        Path out = dir.resolve("e.f32");
        Path layout = dir.resolve("layout.json");
        CliRun r = CliRun.of("embed-image", "-m", model(), "--mmproj", mmproj("F16"), image("img_700x300.png"),
                "--out", out.toString(), "--layout", layout.toString(), "--preprocess", "llama.cpp", "-t", "2");
        assertEquals(0, r.exitCode(), r.err());
        float[] want = Fixtures.readF32("vision/" + tag + ".embd.f32");
        byte[] bytes = Files.readAllBytes(out);
        assertEquals(want.length * 4, bytes.length);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        double max = 0;
        for (float w : want) {
            max = Math.max(max, Math.abs(b.getFloat() - w));
        }
        assertTrue(max < 1.5e-3, "max abs " + max);

        Map<String, Object> fixture = Json.object(Json.parse(Fixtures.readString("vision/" + tag + ".json")));
        List<Object> wantChunks = Json.list(fixture.get("chunks"));
        List<Object> gotChunks = Json.list(Json.object(Json.parse(Files.readString(layout))).get("chunks"));
        assertEquals(wantChunks.size(), gotChunks.size());
        for (int i = 0; i < wantChunks.size(); i++) {
            Map<String, Object> w = Json.object(wantChunks.get(i));
            Map<String, Object> g = Json.object(gotChunks.get(i));
            assertEquals(w.get("type"), g.get("type"));
            assertEquals(w.get("n_tokens"), g.get("n_tokens"));
            if (w.get("type").equals("text")) {
                assertArrayEquals(Json.ints(w.get("tokens")), Json.ints(g.get("tokens")));
            } else {
                assertEquals(List.of(w.get("tile_w"), w.get("tile_h")), List.of(g.get("tile_w"), g.get("tile_h")));
            }
        }
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count(), "no temporary files left behind");
        }
    }

    @Test
    void captionRunsEndToEndAndIsDeterministicAtTemperatureZero() {
        String[] args = {"caption", "-m", model(), "--mmproj", mmproj("F32"), image("img_64x48.png"), image("img_256x384.png"),
                "--temp", "0", "-n", "12", "-t", "2", "--verbose"};
        CliRun a = CliRun.of(args);
        assertEquals(0, a.exitCode(), a.err());
        assertTrue(a.out().contains("==> " + image("img_64x48.png") + " <=="), a.out());
        assertTrue(a.out().contains("==> " + image("img_256x384.png") + " <=="), a.out());
        assertTrue(a.out().strip().lines().count() >= 2);
        // --verbose: the plan of each image, before encoding
        assertTrue(a.err().contains("64x48 -> 320x224: 70 image tokens"), a.err());
        assertTrue(a.err().contains("256x384 -> 256x384: 96 image tokens"), a.err());
        CliRun b = CliRun.of(args);
        assertEquals(a.out(), b.out());
    }

    @Test
    void generateWithTwoImagesStreamsADeterministicAnswer() {
        String[] args = {"generate", "-m", model(), "--mmproj", mmproj("F32"), "--image", image("img_64x48.png"),
                "--image", image("img_700x300.png"), "-p", "Compare <__media__> with <__media__>.", "--temp", "0", "-n", "10",
                "--print-ids", "-t", "2", "--preprocess", "llama.cpp"};
        CliRun a = CliRun.of(args);
        assertEquals(0, a.exitCode(), a.err());
        assertFalse(a.err().strip().isEmpty(), "token ids on stderr");
        String ids = a.err().strip().lines().reduce((x, y) -> y).orElseThrow();
        assertEquals(10, ids.split(",").length, ids);
        CliRun b = CliRun.of(args);
        assertEquals(a.out(), b.out());
        assertEquals(a.err(), b.err());
    }

    @Test
    void generateMatchesTheFixtureGreedyTokensForOneImage() {
        // llama.cpp greedy ids for img_700x300 / F32 / F32 (all 16 steps have a clear top-1 margin)
        Map<String, Object> fixture = Json.object(Json.parse(Fixtures.readString("vision/img_700x300_default_mmprojF32_textF32.json")));
        int[] want = Json.ints(fixture.get("generated_ids"));
        CliRun r = CliRun.of("generate", "-m", model(), "--mmproj", mmproj("F32"), "--image", image("img_700x300.png"),
                "-p", "Describe this image.", "--temp", "0", "-n", "16", "--print-ids", "-t", "2", "--preprocess", "llama.cpp");
        assertEquals(0, r.exitCode(), r.err());
        String ids = r.err().strip().lines().reduce((x, y) -> y).orElseThrow();
        int[] got = java.util.Arrays.stream(ids.split(",")).mapToInt(Integer::parseInt).toArray();
        // generation stops at an end-of-generation token; compare what was generated
        assertArrayEquals(java.util.Arrays.copyOf(want, got.length), got);
    }

    @Test
    void anUnreadableImageIsOneErrorLineWithExitCode2(@TempDir Path dir) throws IOException {
        Path bad = Files.writeString(dir.resolve("bad.png"), "not a png");
        CliRun r = CliRun.of("caption", "-m", model(), "--mmproj", mmproj("F32"), bad.toString(), "-t", "1");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().startsWith("error: " + bad + ": unsupported or unrecognised image format"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        CliRun missing = CliRun.of("embed-image", "-m", model(), "--mmproj", mmproj("F32"), dir.resolve("nope.jpg").toString(),
                "--out", dir.resolve("x.f32").toString());
        assertEquals(2, missing.exitCode());
        assertTrue(missing.err().startsWith("error: "), missing.err());
    }

    @Test
    void aTextModelPassedAsMmprojIsRejectedWithExitCode2() {
        CliRun r = CliRun.of("caption", "-m", model(), "--mmproj", model(), image("img_64x48.png"));
        assertEquals(2, r.exitCode());
        assertTrue(r.err().startsWith("error: ") && r.err().contains("not a vision projector"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void imagesWithoutMmprojAreAUsageError() {
        CliRun r = CliRun.of("generate", "-m", model(), "--image", image("img_64x48.png"), "-p", "hi");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--mmproj"), r.err());
    }
}
