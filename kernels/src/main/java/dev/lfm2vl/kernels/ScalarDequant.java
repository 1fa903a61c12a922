package dev.lfm2vl.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import dev.lfm2vl.loader.GgmlType;

/**
 * The scalar oracle: every block layout of docs/MODEL.md §2.4 written as plain loops, straight from its formulas.
 * Slow on purpose; the vector kernels are tested against it.
 */
final class ScalarDequant {
    private ScalarDequant() {}

    /**
     * Dequantizes {@code nBlocks} blocks starting at byte {@code off} into {@code out[o..]}
     * (for F32/F16/BF16 a block is one element).
     */
    static void blocks(GgmlType type, MemorySegment s, long off, int nBlocks, float[] out, int o) {
        for (int b = 0; b < nBlocks; b++) {
            long p = off + (long) b * type.bytesPerBlock;
            int e = o + b * type.blockSize;
            switch (type) {
                case F32 -> out[e] = s.get(Vec.F32, p);
                case F16 -> out[e] = Vec.f16(s, p);
                case BF16 -> out[e] = Float.intBitsToFloat((s.get(Vec.U16, p) & 0xFFFF) << 16);
                case Q8_0 -> q8_0(s, p, out, e);
                case Q4_0 -> q4_0(s, p, out, e);
                case Q4_1 -> q4_1(s, p, out, e);
                case Q5_0 -> q5(s, p, out, e, false);
                case Q5_1 -> q5(s, p, out, e, true);
                case Q4_K -> q45k(s, p, out, e, false);
                case Q5_K -> q45k(s, p, out, e, true);
                case Q6_K -> q6k(s, p, out, e);
                default -> throw new IllegalArgumentException("no dequantizer for " + type);
            }
        }
    }

    private static int u8(MemorySegment s, long p) {
        return s.get(ValueLayout.JAVA_BYTE, p) & 0xFF;
    }

    /** docs/MODEL.md §2.4 Q8_0: [d f16][qs int8 x32]. */
    private static void q8_0(MemorySegment s, long p, float[] out, int e) {
        float d = Vec.f16(s, p);
        for (int j = 0; j < 32; j++) {
            out[e + j] = d * s.get(ValueLayout.JAVA_BYTE, p + 2 + j);
        }
    }

    /** docs/MODEL.md §2.4 Q4_0: low nibble of byte j is element j, high nibble element j+16 (pitfall 1). */
    private static void q4_0(MemorySegment s, long p, float[] out, int e) {
        float d = Vec.f16(s, p);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, p + 2 + j);
            out[e + j] = d * ((q & 0x0F) - 8);
            out[e + j + 16] = d * ((q >> 4) - 8);
        }
    }

    /** docs/MODEL.md §2.4 Q4_1: [d][m][qs]; x = d*q + m. */
    private static void q4_1(MemorySegment s, long p, float[] out, int e) {
        float d = Vec.f16(s, p);
        float m = Vec.f16(s, p + 2);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, p + 4 + j);
            out[e + j] = d * (q & 0x0F) + m;
            out[e + j + 16] = d * (q >> 4) + m;
        }
    }

    /** docs/MODEL.md §2.4 Q5_0 / Q5_1: bit j of qh is the 5th bit of element j, bit j+16 that of element j+16. */
    private static void q5(MemorySegment s, long p, float[] out, int e, boolean withMin) {
        float d = Vec.f16(s, p);
        float m = withMin ? Vec.f16(s, p + 2) : 0f;
        long h = withMin ? p + 4 : p + 2;
        int qh = s.get(Vec.U32, h);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, h + 4 + j);
            int lo = (q & 0x0F) | (((qh >>> j) & 1) << 4);
            int hi = (q >> 4) | (((qh >>> (j + 16)) & 1) << 4);
            if (withMin) {
                out[e + j] = d * lo + m;
                out[e + j + 16] = d * hi + m;
            } else {
                out[e + j] = d * (lo - 16);
                out[e + j + 16] = d * (hi - 16);
            }
        }
    }

    /**
     * get_scale_min_k4 (docs/MODEL.md §2.4 Q4_K): returns the 6-bit scale (want == 0) or min (want == 1) of
     * sub-block j.
     */
    static int scaleMin(MemorySegment s, long scales, int j, int want) {
        if (j < 4) {
            return u8(s, scales + j + 4L * want) & 63;
        }
        if (want == 0) {
            return (u8(s, scales + j + 4) & 0x0F) | ((u8(s, scales + j - 4) >> 6) << 4);
        }
        return (u8(s, scales + j + 4) >> 4) | ((u8(s, scales + j) >> 6) << 4);
    }

    /**
     * docs/MODEL.md §2.4 Q4_K / Q5_K: chunk c = 32 low nibbles (sub-block 2c) then 32 high nibbles (2c+1) of the
     * same bytes.
     */
    private static void q45k(MemorySegment s, long p, float[] out, int e, boolean five) {
        float d = Vec.f16(s, p);
        float dmin = Vec.f16(s, p + 2);
        long scales = p + 4;
        long qh = p + 16;
        long qs = five ? p + 48 : p + 16;
        for (int c = 0; c < 4; c++) {
            float d1 = d * scaleMin(s, scales, 2 * c, 0);
            float m1 = dmin * scaleMin(s, scales, 2 * c, 1);
            float d2 = d * scaleMin(s, scales, 2 * c + 1, 0);
            float m2 = dmin * scaleMin(s, scales, 2 * c + 1, 1);
            for (int l = 0; l < 32; l++) {
                int q = u8(s, qs + 32L * c + l);
                int lo = q & 0x0F;
                int hi = q >> 4;
                if (five) { // Q5_K: qh indexed by l for every chunk, the chunk picks the bit (docs/MODEL.md pitfall 2)
                    int h = u8(s, qh + l);
                    lo += ((h >> (2 * c)) & 1) << 4;
                    hi += ((h >> (2 * c + 1)) & 1) << 4;
                }
                out[e + 64 * c + l] = d1 * lo - m1;
                out[e + 64 * c + 32 + l] = d2 * hi - m2;
            }
        }
    }

    /**
     * docs/MODEL.md §2.4 Q6_K: [ql 128][qh 64][scales int8 16][d f16] — d last, scales signed, scale index =
     * element/16.
     */
    private static void q6k(MemorySegment s, long p, float[] out, int e) {
        float d = Vec.f16(s, p + 208);
        for (int n = 0; n < 2; n++) {
            long ql = p + 64L * n;
            long qh = p + 128 + 32L * n;
            for (int l = 0; l < 32; l++) {
                int a = u8(s, ql + l);
                int b = u8(s, ql + l + 32);
                int h = u8(s, qh + l);
                int q1 = ((a & 0x0F) | (((h >> 0) & 3) << 4)) - 32;
                int q2 = ((b & 0x0F) | (((h >> 2) & 3) << 4)) - 32;
                int q3 = ((a >> 4) | (((h >> 4) & 3) << 4)) - 32;
                int q4 = ((b >> 4) | (((h >> 6) & 3) << 4)) - 32;
                int base = 128 * n + l;
                out[e + base] = d * scale6(s, p, base) * q1;
                out[e + base + 32] = d * scale6(s, p, base + 32) * q2;
                out[e + base + 64] = d * scale6(s, p, base + 64) * q3;
                out[e + base + 96] = d * scale6(s, p, base + 96) * q4;
            }
        }
    }

    private static int scale6(MemorySegment s, long p, int element) {
        return s.get(ValueLayout.JAVA_BYTE, p + 192 + element / 16);
    }
}
