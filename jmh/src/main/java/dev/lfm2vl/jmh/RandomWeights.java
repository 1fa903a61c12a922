package dev.lfm2vl.jmh;

import dev.lfm2vl.loader.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/** Off-heap weights filled with random but valid blocks (finite F16 scales, any quant bytes). */
final class RandomWeights {
    private RandomWeights() {}

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED;

    static MemorySegment fill(Arena arena, GgmlType type, int rows, int cols, long seed) {
        long bytes = type.bytesFor((long) rows * cols);
        MemorySegment s = arena.allocate(bytes, 64);
        SplittableRandom rnd = new SplittableRandom(seed);
        long i = 0;
        for (; i + 8 <= bytes; i += 8) {
            s.set(I64, i, rnd.nextLong());
        }
        for (; i < bytes; i++) {
            s.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt());
        }
        long blocks = (long) rows * cols / type.blockSize;
        for (long b = 0; b < blocks; b++) {
            long p = b * type.bytesPerBlock;
            switch (type) {
                case F32 -> s.set(F32, p, (float) rnd.nextDouble(-1, 1));
                case F16 -> s.set(U16, p, Float.floatToFloat16((float) rnd.nextDouble(-1, 1)));
                case BF16 -> s.set(U16, p, (short) (Float.floatToIntBits((float) rnd.nextDouble(-1, 1)) >>> 16));
                case Q8_0, Q4_0, Q5_0 -> s.set(U16, p, scale(rnd));
                case Q4_1, Q5_1, Q4_K, Q5_K -> {
                    s.set(U16, p, scale(rnd));
                    s.set(U16, p + 2, scale(rnd));
                }
                case Q6_K -> s.set(U16, p + 208, scale(rnd));
                default -> throw new IllegalArgumentException("no filler for " + type);
            }
        }
        return s;
    }

    private static short scale(SplittableRandom rnd) {
        return Float.floatToFloat16((float) rnd.nextDouble(-0.01, 0.01));
    }

    static float[] vector(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextDouble(-1, 1);
        }
        return x;
    }

    /** "RxC" or "RxCxT" -> ints. */
    static int[] dims(String shape) {
        String[] p = shape.split("x");
        int[] d = new int[p.length];
        for (int i = 0; i < p.length; i++) {
            d[i] = Integer.parseInt(p[i]);
        }
        return d;
    }
}
