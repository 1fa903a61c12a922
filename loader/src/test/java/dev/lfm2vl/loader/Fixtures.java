package dev.lfm2vl.loader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The shared reference fixtures at {@code ../shared/fixtures} (beside the repository root; the build passes the
 * path as {@code -Dlfm2vl.fixtures}). Missing fixtures skip a test on a developer machine but fail it under
 * CI ({@code CI=true}), so CI can never go green by skipping.
 */
public final class Fixtures {
    /** Every text weight type the fixtures cover, in MANIFEST.md order. */
    public static final String[] TEXT_TYPES = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"};

    private Fixtures() {}

    /** The fixtures folder; fails (CI) or aborts (elsewhere) the calling test when it is missing. */
    public static Path dir() {
        String prop = System.getProperty("lfm2vl.fixtures");
        Path dir = prop != null ? Path.of(prop) : Path.of("..", "..", "shared", "fixtures");
        dir = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir.resolve("models"))) {
            String msg = "shared fixtures not found at " + dir + " (expected ../shared/fixtures beside the repository)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                Assertions.fail(msg);
            }
            Assumptions.abort(msg);
        }
        return dir;
    }

    public static Path file(String relative) {
        Path p = dir().resolve(relative);
        if (!Files.isRegularFile(p)) {
            Assertions.fail("fixture file missing: " + p);
        }
        return p;
    }

    /** {@code models/lfm2-tiny-<TYPE>.gguf}. */
    public static Path textModel(String type) {
        return file("models/lfm2-tiny-" + type + ".gguf");
    }

    /** {@code models/mmproj-lfm2-tiny-<TYPE>.gguf} (F32 or F16). */
    public static Path mmproj(String type) {
        return file("models/mmproj-lfm2-tiny-" + type + ".gguf");
    }

    /** A raw little-endian float32 file. */
    public static float[] readF32(String relative) {
        try {
            byte[] b = Files.readAllBytes(file(relative));
            float[] f = new float[b.length / 4];
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String readString(String relative) {
        try {
            return Files.readString(file(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
