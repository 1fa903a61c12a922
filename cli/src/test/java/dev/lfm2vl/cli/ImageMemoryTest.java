package dev.lfm2vl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.loader.Fixtures;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import java.util.zip.DeflaterOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An image too large for the heap is a one-line memory error naming the fix, not a "corrupt image" or a crash. */
class ImageMemoryTest {
    private static void chunk(DataOutputStream out, String type, byte[] data) throws IOException {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeInt(data.length);
        out.write(t);
        out.write(data);
        out.writeInt((int) crc.getValue());
    }

    /** A 100-byte PNG whose header declares {@code w x h} 8-bit RGB pixels, with a little pixel data. */
    static Path pngDeclaring(Path to, int w, int h) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        chunk(out, "IHDR", ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 2).put(new byte[3]).array());
        ByteArrayOutputStream z = new ByteArrayOutputStream();
        try (DeflaterOutputStream d = new DeflaterOutputStream(z)) {
            d.write(new byte[1000]);
        }
        chunk(out, "IDAT", z.toByteArray());
        chunk(out, "IEND", new byte[0]);
        return Files.write(to, bytes.toByteArray());
    }

    /** Runs {@code lfm2vl args} in a JVM of its own with a {@code heap} heap limit; returns {exit code, stderr}. */
    private static Object[] runWithHeap(String heap, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-Xmx") && !a.startsWith("-javaagent")) {
                cmd.add(a);
            }
        }
        cmd.addAll(List.of("-Xmx" + heap, "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child JVM ends");
        return new Object[] {p.exitValue(), err};
    }

    @Test
    void anImageTooLargeForTheHeapIsRefusedFromItsHeaderWithAOneLineMemoryError(@TempDir Path dir) throws Exception {
        // 9000x9000 RGB: ~230 MB decoded plus ~230 MB as RGB, over a 256 MB heap but under the 100-megapixel limit
        Path huge = pngDeclaring(dir.resolve("photo.png"), 9000, 9000);
        Object[] r = runWithHeap("256m", "caption", "-m", Fixtures.textModel("Q4_0").toString(), "--mmproj",
                Fixtures.mmproj("F16").toString(), "-t", "1", "-n", "2", huge.toString());
        String err = ((String) r[1]).lines().filter(l -> !l.startsWith("WARNING: Using incubator modules")).reduce("", (a, b) -> a + b + "\n");
        assertEquals(2, r[0], err);
        assertEquals(1, err.lines().count(), "one line, no stack trace: " + err);
        assertTrue(err.startsWith("error: " + huge + ": not enough memory to decode a 9000x9000 PNG image (needs ~464 MB; the JVM has "),
                err);
        assertTrue(err.matches("(?s).*\\); raise it with LFM2VL_JAVA_OPTS=-Xmx[0-9]+g\n"), err);
    }
}
