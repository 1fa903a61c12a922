package dev.lfm2vl.loader;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Random truncations and byte flips of every fixture model: the parser may only ever answer with a
 * GgufFormatException (or succeed), each parse quickly. Cases: {@code -Dlfm2vl.fuzz.cases} (default 6000;
 * the {@code fuzz-long} Maven profile runs a million), seed: {@code -Dlfm2vl.fuzz.seed}.
 */
class GgufFuzzTest {
    private static final long MAX_NANOS_PER_PARSE = 5_000_000_000L;

    private record Sample(String name, byte[] bytes, long headerEnd) {}

    @Test
    void corruptFilesOnlyEverGiveGgufFormatException() throws IOException {
        int cases = Integer.getInteger("lfm2vl.fuzz.cases", 6000);
        long seed = Long.getLong("lfm2vl.fuzz.seed", System.nanoTime());
        List<Sample> samples = new ArrayList<>();
        try (var files = Files.list(Fixtures.dir().resolve("models"))) {
            for (var p : files.sorted().toList()) {
                byte[] b = Files.readAllBytes(p);
                long headerEnd;
                try (GgufFile f = GgufFile.open(p)) {
                    headerEnd = f.dataStart();
                }
                samples.add(new Sample(p.getFileName().toString(), b, headerEnd));
            }
        }
        assertTrue(samples.size() >= 13, "all fixture models present");
        SplittableRandom rnd = new SplittableRandom(seed);
        int rejected = 0;
        for (int c = 0; c < cases; c++) {
            Sample s = samples.get(rnd.nextInt(samples.size()));
            byte[] b = s.bytes;
            int length = b.length;
            int[] flipAt = new int[rnd.nextInt(1, 9)];
            byte[] saved = new byte[flipAt.length];
            int mode = rnd.nextInt(3); // 0: truncate, 1: flip bytes, 2: both
            if (mode != 1) {
                length = rnd.nextInt(0, (int) Math.min(b.length, s.headerEnd + 4096));
            }
            if (mode != 0) {
                for (int k = 0; k < flipAt.length; k++) {
                    // Mostly inside the header, where every byte matters; now and then anywhere.
                    int bound = rnd.nextInt(8) == 0 ? b.length : (int) s.headerEnd;
                    flipAt[k] = rnd.nextInt(bound);
                    saved[k] = b[flipAt[k]];
                    b[flipAt[k]] = (byte) (rnd.nextInt(4) == 0 ? 0xFF : b[flipAt[k]] ^ (1 << rnd.nextInt(8)));
                }
            }
            long t0 = System.nanoTime();
            try {
                GgufFile.read(MemorySegment.ofArray(b).asSlice(0, length), s.name);
            } catch (GgufFormatException e) {
                rejected++;
            } catch (Throwable t) {
                fail("case " + c + " (seed " + seed + ", " + s.name + ", length " + length + "): " + t, t);
            } finally {
                if (mode != 0) {
                    for (int k = flipAt.length - 1; k >= 0; k--) {
                        b[flipAt[k]] = saved[k];
                    }
                }
            }
            long took = System.nanoTime() - t0;
            if (took > MAX_NANOS_PER_PARSE) {
                fail("case " + c + " (seed " + seed + ") took " + took / 1_000_000 + " ms");
            }
        }
        assertTrue(rejected > cases / 4, "most corruptions are detected: " + rejected + " of " + cases);
    }
}
