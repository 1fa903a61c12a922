package dev.lfm2vl.runtime;

import dev.lfm2vl.loader.Fixtures;
import dev.lfm2vl.loader.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** The vision reference runs of {@code fixtures/vision} (MANIFEST.md §4). */
final class VisionFixtures {
    private VisionFixtures() {}

    /** Every tag (json file name without extension), sorted. */
    static List<String> tags() {
        try (Stream<Path> s = Files.list(Fixtures.dir().resolve("vision"))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json"))
                    .map(n -> n.substring(0, n.length() - 5)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Map<String, Object> json(String tag) {
        return Json.object(Json.parse(Fixtures.readString("vision/" + tag + ".json")));
    }

    /** The image the run decoded; test-1 uses stb's decoded pixels so no JPEG decoder difference enters. */
    static Path image(Map<String, Object> json) {
        String name = (String) json.get("image");
        if (name.equals("test-1.jpeg")) {
            name = "test-1.stb-decoded.png";
        }
        return Fixtures.file("images/" + name);
    }

    /** {@code models/<mmproj>} of the run. */
    static Path mmproj(Map<String, Object> json) {
        return Fixtures.file("models/" + json.get("mmproj"));
    }

    static Path textModel(Map<String, Object> json) {
        return Fixtures.file("models/" + json.get("text_model"));
    }

    static int intOf(Object o) {
        return ((Number) o).intValue();
    }

    /** The llama.cpp-mode preprocessor options of the run (image token budget from the json). */
    static ImagePreprocessor.Options options(VisionModel vision, Map<String, Object> json) {
        return vision.preprocessOptions(PreprocessMode.LLAMA_CPP)
                .withImageTokens(intOf(json.get("image_min_tokens")), intOf(json.get("image_max_tokens")));
    }

    /** Whether the run stored a file under the json key (some are left out to keep the folder small). */
    static boolean has(Map<String, Object> json, String key) {
        Object f = json.get(key);
        return f != null && Files.isRegularFile(Fixtures.dir().resolve("vision").resolve((String) f));
    }

    static float[] f32(Map<String, Object> json, String key) {
        return Fixtures.readF32("vision/" + json.get(key));
    }

    static double maxAbs(float[] a, int aOff, float[] b, int bOff, int n) {
        double max = 0;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, Math.abs(a[aOff + i] - b[bOff + i]));
        }
        return max;
    }
}
