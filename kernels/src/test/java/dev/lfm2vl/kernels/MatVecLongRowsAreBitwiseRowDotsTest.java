package dev.lfm2vl.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.loader.GgmlType;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Rows of at least {@link WeightMatrix#LONG_ROW} columns go through {@link MatVec#matVec} four at a time where the type
 * has a kernel for it ({@link WeightMatrix#dotRows4}); every row must still get exactly the bits of its own
 * {@link WeightMatrix#dot}, whatever the thread count and however the rows fall into groups of four (the rows here
 * leave a remainder in every chunk). Compared as raw float bits. Runs at 512, 256 and 128 bits and on AVX2 (the
 * pom's executions).
 */
class MatVecLongRowsAreBitwiseRowDotsTest {
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0", "Q6_K", "F16"})
    void everyRowGetsTheBitsOfItsOwnDot(GgmlType type) {
        int rows = 53, cols = WeightMatrix.LONG_ROW + 512;
        WeightMatrix w = TestWeights.random(type, rows, cols, 7L + type.id);
        int xOff = 3, yOff = 2;
        float[] x = TestWeights.randomVector(xOff + cols, 11);
        x[xOff + 100] *= 1e3f;
        for (int threads : new int[] {1, 2, 3}) {
            try (Parallel pool = Parallel.create(threads)) {
                float[] y = new float[yOff + rows];
                MatVec.matVec(w, x, xOff, y, yOff, pool);
                for (int r = 0; r < rows; r++) {
                    int row = r;
                    assertEquals(Float.floatToRawIntBits(w.dot(r, x, xOff)), Float.floatToRawIntBits(y[yOff + r]),
                            () -> type + " row " + row + " on " + threads + " threads");
                }
            }
        }
    }

    @Test
    void theQ8_0KernelServesLongRowsAtTheWidthsThatHaveIt() {
        WeightMatrix w = TestWeights.random(GgmlType.Q8_0, 8, WeightMatrix.LONG_ROW, 5);
        assertEquals(Block32BatchKernels.AVAILABLE, w.rowsShareActivations());
        assertFalse(TestWeights.random(GgmlType.Q8_0, 8, WeightMatrix.LONG_ROW - 32, 5).rowsShareActivations());
    }

    @Test
    void longRowMatVecAllocatesNothingOnceCompiled() {
        WeightMatrix w = TestWeights.random(GgmlType.Q8_0, 64, WeightMatrix.LONG_ROW, 9);
        float[] x = TestWeights.randomVector(WeightMatrix.LONG_ROW, 4), y = new float[64];
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long me = Thread.currentThread().threadId();
        long allocated = Long.MAX_VALUE;
        // warm up until C2 has compiled the kernel: a 100-call round that allocates nothing, within 200 rounds
        for (int round = 0; round < 200 && allocated != 0; round++) {
            long before = threads.getThreadAllocatedBytes(me);
            for (int i = 0; i < 100; i++) {
                MatVec.matVec(w, x, 0, y, 0, Parallel.sequential());
            }
            allocated = threads.getThreadAllocatedBytes(me) - before;
        }
        assertEquals(0, allocated, "bytes allocated by 100 long-row mat-vecs after warm-up");
        assertTrue(Float.isFinite(y[0]));
    }
}
