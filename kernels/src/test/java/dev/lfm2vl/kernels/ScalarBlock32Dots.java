package dev.lfm2vl.kernels;

import dev.lfm2vl.loader.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The scalar twins of {@link Block32Kernels#dotQ8_0} and {@link Block32Kernels#dotQ4_0} (and so of the batch kernels
 * of {@link Block32BatchKernels}, which repeat them per vector): the same float operations in the same order, lane by
 * lane, for a vector width of {@code lanes} floats, so a test can compare bits. Test sources only.
 *
 * <p>At 256 and 512 bits (lanes = 8 or 16) each weight is the exact float d·q (Q8_0) or d·(n − 8) (Q4_0) and goes
 * into one of two accumulators of {@code lanes} floats by one FMA: Q8_0 element e of a block into accumulator
 * (e / lanes) % 2, Q4_0 low nibbles (e &lt; 16) into the first and high nibbles into the second, lane e % lanes,
 * blocks in order. At 128 bits (lanes = 4, the narrow kernels) each block sums q·x (Q8_0; Q4_0: (n − 8)·x) into two
 * fresh partial sums, Q8_0 elements with (e / 8) % 2 and Q4_0 low/high nibbles, then acc = (s0 + s1)·d + acc with
 * one FMA. Either way the lanes (of the two accumulators added, or of acc) are summed as {@link Vec#sum} does.
 */
final class ScalarBlock32Dots {
    private ScalarBlock32Dots() {}

    static float dot(WeightMatrix w, int row, float[] x, int xOff, int lanes) {
        GgmlType type = w.type();
        if (type != GgmlType.Q8_0 && type != GgmlType.Q4_0) {
            throw new IllegalArgumentException(type.toString());
        }
        MemorySegment s = w.data();
        long base = w.rowBytes() * row;
        int nb = w.cols() / 32, bytes = type.bytesPerBlock;
        boolean narrow = lanes == 4;
        float[][] acc = new float[2][lanes];
        float[] total = new float[lanes];
        for (int b = 0; b < nb; b++) {
            long p = base + (long) bytes * b;
            float d = Float.float16ToFloat(s.get(TestWeights.U16, p));
            float[][] part = narrow ? new float[2][lanes] : acc;
            for (int e = 0; e < 32; e++) {
                int q;
                int slot;
                if (type == GgmlType.Q8_0) {
                    q = s.get(ValueLayout.JAVA_BYTE, p + 2 + e);
                    slot = narrow ? (e / 8) % 2 : (e / lanes) % 2;
                } else {
                    int packed = s.get(ValueLayout.JAVA_BYTE, p + 2 + e % 16) & 0xFF;
                    q = (e < 16 ? packed & 0x0F : packed >>> 4) - 8;
                    slot = e / 16;
                }
                float xv = x[xOff + 32 * b + e];
                int lane = e % lanes;
                part[slot][lane] = Math.fma(narrow ? q : q * d, xv, part[slot][lane]);
            }
            if (narrow) {
                for (int l = 0; l < lanes; l++) {
                    total[l] = Math.fma(part[0][l] + part[1][l], d, total[l]);
                }
            }
        }
        if (!narrow) {
            for (int l = 0; l < lanes; l++) {
                total[l] = acc[0][l] + acc[1][l];
            }
        }
        return sumLikeVec(total);
    }

    /** {@link Vec#sum}'s pairwise order for 4, 8 or 16 lanes. */
    static float sumLikeVec(float[] v) {
        float s = (v[0] + v[1]) + (v[2] + v[3]);
        if (v.length >= 8) {
            s += (v[4] + v[5]) + (v[6] + v[7]);
        }
        if (v.length >= 16) {
            s += ((v[8] + v[9]) + (v[10] + v[11])) + ((v[12] + v[13]) + (v[14] + v[15]));
        }
        return s;
    }
}
