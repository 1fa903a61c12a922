package dev.lfm2vl.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.loader.GgmlType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * For every weight type, the vector kernels (dot, dequantizeRange, matVec, matMul) agree with the scalar
 * oracle {@link WeightMatrix#dequantizeRow} at sizes that leave vector tails, and multi-threaded results
 * equal the sequential ones exactly.
 */
class WeightKernelsMatchScalarOracleTest {
    static final int ROWS = 37;
    static final int[] TOKENS = {1, 3, 5, 16, 17, 40}; // 16 = L at 512 bits (the narrow kernel); 40: several token blocks, the last partial, at every width
    static Parallel two, three;

    @BeforeAll
    static void pools() {
        two = Parallel.create(2);
        three = Parallel.create(3);
    }

    @AfterAll
    static void close() {
        two.close();
        three.close();
    }

    static int[] colsFor(GgmlType type) {
        return switch (type.blockSize) {
            case 1 -> new int[] {37, 101, 256, 301}; // 301: MatMul column slices of KC = 256 and a ragged last one
            case 32 -> new int[] {64, 96, 288};
            default -> new int[] {256, 768};
        };
    }

    /** |got - want| ≤ 2e-5 · Σ|w·x| + 1e-30: float summation-order and one-ulp dequantization differences only. */
    static void assertClose(double want, double absSum, float got, String what) {
        double tol = 2e-5 * absSum + 1e-30;
        assertTrue(Math.abs(got - want) <= tol, what + ": got " + got + " want " + want + " tol " + tol);
    }

    /** Double-precision row·x of the oracle row and Σ|w·x| (for the tolerance). */
    static double[] oracleDot(float[] row, float[] x, int xOff) {
        double s = 0, a = 0;
        for (int i = 0; i < row.length; i++) {
            s += (double) row[i] * x[xOff + i];
            a += Math.abs((double) row[i] * x[xOff + i]);
        }
        return new double[] {s, a};
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void vectorDotAndDequantizeRangeMatchOracle(GgmlType type) {
        for (int cols : colsFor(type)) {
            WeightMatrix w = TestWeights.random(type, ROWS, cols, 11 * cols + type.id);
            float[] x = TestWeights.randomVector(cols + 3, 5);
            float[] buf = new float[cols + 2];
            for (int r = 0; r < ROWS; r++) {
                float[] row = TestWeights.oracleRow(w, r);
                double[] ref = oracleDot(row, x, 3);
                assertClose(ref[0], ref[1], w.dot(r, x, 3), type + " " + cols + " row " + r);
                // the packing dequantizer: whole row at an offset, then a block-aligned middle range
                w.dequantizeRange(r, 0, cols, buf, 2);
                for (int i = 0; i < cols; i++) {
                    assertEquals(row[i], buf[2 + i], Math.ulp(row[i]) * 2, type + " elem " + i);
                }
                int bs = w.blockSize() == 1 ? 1 : w.blockSize();
                if (cols / bs >= 2) {
                    w.dequantizeRange(r, bs, bs, buf, 0);
                    for (int i = 0; i < bs; i++) {
                        assertEquals(row[bs + i], buf[i], Math.ulp(row[bs + i]) * 2, type + " range elem " + i);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void matVecMatchesOracleAndIsThreadCountIndependent(GgmlType type) {
        for (int cols : colsFor(type)) {
            // enough rows that the pools really split the work (above MatVec.SEQUENTIAL_WEIGHTS)
            int rows = Math.max(ROWS, (int) (MatVec.SEQUENTIAL_WEIGHTS / cols) + 37);
            WeightMatrix w = TestWeights.random(type, rows, cols, 7 * cols + type.id);
            float[] x = TestWeights.randomVector(cols + 1, 9);
            float[] y1 = new float[rows + 2], y2 = new float[rows + 2], y3 = new float[rows + 2];
            MatVec.matVec(w, x, 1, y1, 2, Parallel.sequential());
            MatVec.matVec(w, x, 1, y2, 2, two);
            MatVec.matVec(w, x, 1, y3, 2, three);
            assertArrayEquals(y1, y2, type + " 2 threads");
            assertArrayEquals(y1, y3, type + " 3 threads");
            for (int r = 0; r < rows; r++) {
                double[] ref = oracleDot(TestWeights.oracleRow(w, r), x, 1);
                assertClose(ref[0], ref[1], y1[2 + r], type + " matVec row " + r);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void matMulMatchesOracleAndIsThreadCountIndependent(GgmlType type) {
        for (int cols : colsFor(type)) {
            WeightMatrix w = TestWeights.random(type, ROWS, cols, 3 * cols + type.id);
            float[][] rows = new float[ROWS][];
            for (int r = 0; r < ROWS; r++) {
                rows[r] = TestWeights.oracleRow(w, r);
            }
            for (int tokens : TOKENS) {
                float[] x = TestWeights.randomVector(tokens * cols, tokens);
                float[] y1 = new float[tokens * ROWS], y2 = new float[tokens * ROWS], y3 = new float[tokens * ROWS];
                MatMul.matMul(w, x, tokens, y1, Parallel.sequential());
                MatMul.matMul(w, x, tokens, y2, two);
                MatMul.matMul(w, x, tokens, y3, three);
                assertArrayEquals(y1, y2, type + " 2 threads");
                assertArrayEquals(y1, y3, type + " 3 threads");
                for (int t = 0; t < tokens; t++) {
                    for (int r = 0; r < ROWS; r++) {
                        double[] ref = oracleDot(rows[r], x, t * cols);
                        assertClose(ref[0], ref[1], y1[t * ROWS + r], type + " cols " + cols + " token " + t + " row " + r);
                    }
                }
            }
        }
    }

    @Test
    void matMulKeepsOnePackedActivationBufferPerCallerSizedByItsWidestProduct() throws Exception {
        int[] seen = new int[3];
        Thread caller = new Thread(() -> { // a fresh thread: its buffer starts empty
            WeightMatrix narrow = TestWeights.random(GgmlType.F32, ROWS, 37, 1);
            WeightMatrix wide = TestWeights.random(GgmlType.F32, ROWS, 101, 2);
            MatMul.matMul(wide, TestWeights.randomVector(5 * 101, 1), 5, new float[5 * ROWS], two);
            seen[0] = MatMul.packBufferFloats();
            MatMul.matMul(narrow, TestWeights.randomVector(3 * 37, 2), 3, new float[3 * ROWS], two);
            seen[1] = MatMul.packBufferFloats(); // reused, not shrunk
        });
        caller.start();
        caller.join();
        assertEquals(MatMul.packedActivationBytes(5, 101), 4L * seen[0]);
        assertEquals(seen[0], seen[1]);
    }
}
