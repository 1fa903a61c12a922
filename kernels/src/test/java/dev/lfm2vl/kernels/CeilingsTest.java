package dev.lfm2vl.kernels;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class CeilingsTest {

    // Each of the 12 chains starts at 0.1 * (k + 1) and adds a * b = 1e-3 * (1e-3 + seed * 1e-6) per round.
    @Test
    void fmaChainsPerformsTheCountedFmasAndStaysFinite() {
        long iters = 10_000;
        int seed = 3;
        float step = 1e-3f * (1e-3f + seed * 1e-6f);
        double start = 0;
        for (int k = 0; k < Ceilings.FMA_CHAINS; k++) {
            start += 0.1 * (k + 1);
        }
        double expected = FloatVector.SPECIES_PREFERRED.length() * (start + Ceilings.FMA_CHAINS * (double) iters * step);
        float got = Ceilings.fmaChains(iters, seed);
        assertEquals(expected, got, expected * 1e-4);
        assertEquals(2.0 * FloatVector.SPECIES_PREFERRED.length() * Ceilings.FMA_CHAINS * iters, Ceilings.fmaFlops(iters));
    }

    @Test
    void sumLongsAddsEveryLongInTheRangeIncludingTheTail() {
        try (Arena arena = Arena.ofConfined()) {
            int n = 1000; // not a multiple of 4 vectors: the scalar tail runs
            MemorySegment seg = arena.allocate(8L * n, 64);
            long expected = 0;
            for (int i = 0; i < n; i++) {
                seg.setAtIndex(ValueLayout.JAVA_LONG, i, i * 7L - 300);
                if (i >= 5) {
                    expected += i * 7L - 300;
                }
            }
            assertEquals(expected, Ceilings.sumLongs(seg, 40, 8L * n));
        }
    }
}
