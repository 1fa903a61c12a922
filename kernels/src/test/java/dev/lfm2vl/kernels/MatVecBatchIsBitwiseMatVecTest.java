package dev.lfm2vl.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lfm2vl.loader.GgmlType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Batch invariance at the kernel level (issue 18): for every weight type, {@link MatVec#matVecBatch} gives each
 * vector exactly the bits {@link MatVec#matVec} gives it alone, for 1, 2, 3, 4 and 8 vectors, on one and two threads,
 * at column counts that leave vector tails. Compared as raw float bits, not with a tolerance. The kernel module runs
 * this class at 512, 256 and 128 bits and on AVX2 (see the pom), where each kernel has its own body.
 */
class MatVecBatchIsBitwiseMatVecTest {
    static final int[] COUNTS = {1, 2, 3, 4, 8};
    static Parallel two;

    @BeforeAll
    static void pool() {
        two = Parallel.create(2);
    }

    @AfterAll
    static void close() {
        two.close();
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void everyVectorGetsTheBitsOfItsOwnMatVec(GgmlType type) {
        for (int cols : WeightKernelsMatchScalarOracleTest.colsFor(type)) {
            int rows = 300; // 300 x 256 and wider pass MatVec.SEQUENTIAL_WEIGHTS: the pool splits the rows
            WeightMatrix w = TestWeights.random(type, rows, cols, 13L * cols + type.id);
            int xOff = 3, yOff = 5;
            float[][] xs = new float[8][];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = TestWeights.randomVector(xOff + cols, 100 + i);
                xs[i][xOff + i % cols] *= 1e3f; // vectors of very different magnitudes: any shared rounding would show
            }
            for (Parallel pool : new Parallel[] {Parallel.sequential(), two}) {
                float[][] alone = new float[xs.length][yOff + rows];
                for (int i = 0; i < xs.length; i++) {
                    MatVec.matVec(w, xs[i], xOff, alone[i], yOff, pool);
                }
                for (int n : COUNTS) {
                    float[][] ys = new float[n][yOff + rows];
                    float[][] in = new float[n][];
                    for (int i = 0; i < n; i++) {
                        in[i] = xs[(i * 5 + n) % xs.length]; // a different mix of vectors for each n
                    }
                    MatVec.matVecBatch(w, in, xOff, n, ys, yOff, pool);
                    for (int i = 0; i < n; i++) {
                        int src = (i * 5 + n) % xs.length;
                        for (int r = 0; r < rows; r++) {
                            assertEquals(Float.floatToRawIntBits(alone[src][yOff + r]), Float.floatToRawIntBits(ys[i][yOff + r]),
                                    () -> type + " " + cols + " cols, " + n + " vectors on " + pool + ": a row differs");
                        }
                    }
                }
            }
        }
    }

    @Test
    void moreVectorsThanArraysIsAClearError() {
        WeightMatrix w = TestWeights.random(GgmlType.Q8_0, 8, 64, 1);
        float[][] xs = {new float[64], new float[64]};
        assertThrows(IllegalArgumentException.class, () -> MatVec.matVecBatch(w, xs, 0, 3, new float[3][8], 0, two));
        assertThrows(IllegalArgumentException.class, () -> MatVec.matVecBatch(w, xs, 0, 0, new float[2][8], 0, two));
        assertThrows(IndexOutOfBoundsException.class, () -> MatVec.matVecBatch(w, xs, 1, 2, new float[2][8], 0, two));
    }
}
