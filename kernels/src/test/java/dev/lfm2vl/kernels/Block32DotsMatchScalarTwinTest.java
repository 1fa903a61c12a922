package dev.lfm2vl.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lfm2vl.loader.GgmlType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Q8_0 and Q4_0 dots, single ({@link WeightMatrix#dot}) and batched ({@link MatVec#matVecBatch}: the register
 * kernels of {@link Block32BatchKernels} at 256 and 512 bits, the decoded rows at 128), give exactly the bits of
 * their scalar twin {@link ScalarBlock32Dots} at this JVM's vector width: the order of every FMA and addition is
 * pinned, not just the result within a tolerance. The kernel module runs this class at 512, 256 and 128 bits and on
 * AVX2 (see the pom).
 */
class Block32DotsMatchScalarTwinTest {
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
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0"})
    void singleAndBatchedDotsAreTheTwinsBits(GgmlType type) {
        for (int cols : new int[] {32, 96, 288, 2048}) {
            int rows = 67;
            WeightMatrix w = TestWeights.random(type, rows, cols, 31L * cols + type.id);
            int xOff = 5;
            float[][] xs = new float[5][];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = TestWeights.randomVector(xOff + cols, 40 + i);
                xs[i][xOff + (7 * i) % cols] *= -1e4f; // one large term per vector: rounding order shows
            }
            float[][] twin = new float[xs.length][rows];
            for (int i = 0; i < xs.length; i++) {
                for (int r = 0; r < rows; r++) {
                    twin[i][r] = ScalarBlock32Dots.dot(w, r, xs[i], xOff, Vec.L);
                    float got = w.dot(r, xs[i], xOff);
                    int row = r, v = i;
                    assertEquals(Float.floatToRawIntBits(twin[i][r]), Float.floatToRawIntBits(got),
                            () -> type + " " + cols + " cols, row " + row + ", vector " + v + ": dot " + got);
                }
            }
            for (int n = 2; n <= xs.length; n++) {
                float[][] ys = new float[n][rows];
                MatVec.matVecBatch(w, xs, xOff, n, ys, 0, cols >= 2048 ? two : Parallel.sequential());
                for (int i = 0; i < n; i++) {
                    for (int r = 0; r < rows; r++) {
                        int row = r, v = i, count = n;
                        assertEquals(Float.floatToRawIntBits(twin[i][r]), Float.floatToRawIntBits(ys[i][r]),
                                () -> type + " " + cols + " cols, " + count + " vectors, row " + row + ", vector " + v);
                    }
                }
            }
        }
    }
}
