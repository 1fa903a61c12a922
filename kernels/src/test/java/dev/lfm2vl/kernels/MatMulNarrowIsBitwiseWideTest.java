package dev.lfm2vl.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lfm2vl.loader.GgmlType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A token's outputs do not depend on the batch it is in: a batch of at most L tokens runs {@link MatMul}'s narrow
 * kernel, a larger one the wide kernel, and both must give each token the same bits (each output summed per
 * {@link MatMul#KC}-column slice, in column order), or a prompt prefilled in pieces would not equal the prompt
 * prefilled at once (runtime's PrefillIsCutInvariantTest, the server's batch invariance). The columns span two
 * dequantization passes of {@link MatMul#KD}, the second ragged, so slices cross a pass boundary. Compared as raw
 * float bits. The kernel module runs this class at 512, 256 and 128 bits and on AVX2.
 */
class MatMulNarrowIsBitwiseWideTest {
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
    void aTokenGetsTheSameBitsFromTheNarrowAndTheWideKernel(GgmlType type) {
        int cols = MatMul.KD + (type.blockSize == 256 ? 768 : 288); // 288, 768: a ragged KC slice
        int rows = 40; // two whole tiles of MR = 16 and a ragged one
        int wide = Vec.L + 3, narrow = Vec.L;
        WeightMatrix w = TestWeights.random(type, rows, cols, 7L * cols + type.id);
        float[] x = TestWeights.randomVector(wide * cols, 11);
        float[] yWide = new float[wide * rows], yNarrow = new float[narrow * rows], yOne = new float[rows];
        MatMul.matMul(w, x, wide, yWide, two);
        MatMul.matMul(w, x, narrow, yNarrow, two); // the first L tokens of the same x
        for (int i = 0; i < narrow * rows; i++) {
            assertEquals(Float.floatToRawIntBits(yWide[i]), Float.floatToRawIntBits(yNarrow[i]),
                    type + " token " + i / rows + " row " + i % rows + ": narrow " + yNarrow[i] + " wide " + yWide[i]);
        }
        float[] last = new float[cols];
        System.arraycopy(x, (wide - 1) * cols, last, 0, cols);
        MatMul.matMul(w, last, 1, yOne, Parallel.sequential()); // one token alone, no pool
        for (int r = 0; r < rows; r++) {
            assertEquals(Float.floatToRawIntBits(yWide[(wide - 1) * rows + r]), Float.floatToRawIntBits(yOne[r]),
                    type + " last token alone, row " + r);
        }
    }
}
