package dev.lfm2vl.kernels;

import dev.lfm2vl.loader.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

/** Random but valid weight rows of every supported type: random quant bytes, finite F16 scales (no NaN/Inf). */
final class TestWeights {
    private TestWeights() {}

    static final GgmlType[] TYPES = {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0,
        GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K};

    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** A rows x cols matrix of {@code type} in a heap segment. */
    static WeightMatrix random(GgmlType type, int rows, int cols, long seed) {
        Random rnd = new Random(seed);
        long bytes = type.bytesFor((long) rows * cols);
        byte[] raw = new byte[(int) bytes];
        rnd.nextBytes(raw);
        MemorySegment s = MemorySegment.ofArray(raw);
        int nBlocks = rows * cols / type.blockSize;
        for (int b = 0; b < nBlocks; b++) {
            long p = (long) b * type.bytesPerBlock;
            switch (type) {
                case F32 -> s.set(F32, p, (float) rnd.nextGaussian());
                case F16 -> s.set(U16, p, Float.floatToFloat16((float) rnd.nextGaussian()));
                case BF16 -> s.set(U16, p, (short) (Float.floatToIntBits((float) rnd.nextGaussian()) >>> 16));
                case Q8_0, Q4_0, Q5_0 -> s.set(U16, p, scale(rnd));
                case Q4_1, Q5_1, Q4_K, Q5_K -> {
                    s.set(U16, p, scale(rnd));
                    s.set(U16, p + 2, scale(rnd));
                }
                case Q6_K -> s.set(U16, p + 208, scale(rnd));
                default -> throw new IllegalArgumentException(type.toString());
            }
        }
        return WeightMatrix.of(type, s, rows, cols);
    }

    /** A finite half in ±[2^-12, 2^-4): includes both signs, never NaN/Inf. */
    private static short scale(Random rnd) {
        float v = (float) (Math.pow(2, -12 + 8 * rnd.nextDouble()) * (rnd.nextBoolean() ? 1 : -1));
        return Float.floatToFloat16(v);
    }

    static float[] randomVector(int n, long seed) {
        Random rnd = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }

    /** Row r of the scalar oracle. */
    static float[] oracleRow(WeightMatrix w, int r) {
        float[] row = new float[w.cols()];
        w.dequantizeRow(r, row, 0);
        return row;
    }
}
