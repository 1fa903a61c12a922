package dev.lfm2vl.kernels;

import dev.lfm2vl.loader.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * F32 rows to the GGUF weight types (docs/MODEL.md §2.4 layouts): F32, F16, BF16, Q8_0, Q4_0, Q4_K and Q6_K.
 * The block quantizers follow the scale choices of ggml's deterministic reference quantizers
 * ({@code quantize_row_*_ref} in {@code ggml-quants.c}, which llama-quantize uses when no importance matrix is
 * given), written out as plain float arithmetic in the same order, so the output is meant to match
 * llama-quantize byte for byte (a C compiler that fuses multiply-adds may differ in the last bit of a rare
 * rounding tie). Stateless and thread-safe; scratch arrays are allocated per call.
 */
public final class Quantizer {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** ggml's GROUP_MAX_EPS: a group whose largest magnitude is below it is all zero. */
    private static final float GROUP_MAX_EPS = 1e-15f;

    private Quantizer() {}

    /** Whether {@link #quantizeRow} can produce {@code type}. */
    public static boolean canQuantize(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K -> true;
            default -> false;
        };
    }

    /**
     * Quantizes {@code n} floats {@code src[off..off+n)} (n a multiple of the type's block size) into
     * {@code type.bytesFor(n)} bytes of {@code dst} at {@code dstOff}.
     */
    public static void quantizeRow(GgmlType type, float[] src, int off, int n, MemorySegment dst, long dstOff) {
        Objects.requireNonNull(type, "type");
        Objects.checkFromIndexSize(off, n, src.length);
        if (!canQuantize(type)) {
            throw new IllegalArgumentException("cannot quantize to " + type + " (supported: F32 F16 BF16 Q8_0 Q4_0 Q4_K Q6_K)");
        }
        long bytes = type.bytesFor(n); // checks the block multiple
        Objects.checkFromIndexSize(dstOff, bytes, dst.byteSize());
        switch (type) {
            case F32 -> {
                for (int i = 0; i < n; i++) {
                    dst.set(F32, dstOff + 4L * i, src[off + i]);
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    dst.set(U16, dstOff + 2L * i, f16(src[off + i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    dst.set(U16, dstOff + 2L * i, bf16(src[off + i]));
                }
            }
            case Q8_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    q8_0(src, off + 32 * b, dst, dstOff + 34L * b);
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    q4_0(src, off + 32 * b, dst, dstOff + 18L * b);
                }
            }
            case Q4_K -> {
                Q4kScratch s = new Q4kScratch();
                for (int b = 0; b < n / 256; b++) {
                    q4_k(src, off + 256 * b, dst, dstOff + 144L * b, s);
                }
            }
            case Q6_K -> {
                byte[] l = new byte[256];
                float[] scales = new float[16];
                for (int b = 0; b < n / 256; b++) {
                    q6_k(src, off + 256 * b, dst, dstOff + 210L * b, l, scales);
                }
            }
            default -> throw new AssertionError(type);
        }
    }

    /** A freshly allocated quantized copy of {@code src} (a whole number of blocks). */
    public static byte[] quantizeRow(GgmlType type, float[] src) {
        byte[] out = new byte[Math.toIntExact(type.bytesFor(src.length))];
        quantizeRow(type, src, 0, src.length, MemorySegment.ofArray(out), 0);
        return out;
    }

    /** IEEE half, round to nearest even (ggml's FP32_TO_FP16). */
    public static short f16(float v) {
        return Float.floatToFloat16(v);
    }

    /** bfloat16, round to nearest even; NaN stays a (quiet) NaN (ggml_compute_fp32_to_bf16). */
    public static short bf16(float v) {
        int u = Float.floatToRawIntBits(v);
        if ((u & 0x7fffffff) > 0x7f800000) {
            return (short) ((u >>> 16) | 64);
        }
        return (short) ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16);
    }

    /** ggml's nearest_int: round half to even, valid for |x| <= 4194303. */
    static int nearestInt(float x) {
        float v = x + 12582912.f;
        return (Float.floatToRawIntBits(v) & 0x007fffff) - 0x00400000;
    }

    private static float h(short half) {
        return Float.float16ToFloat(half);
    }

    // ------------------------------------------------------------------ Q8_0: d = amax/127, q = roundf(x/d)

    private static void q8_0(float[] x, int o, MemorySegment y, long p) {
        float amax = 0f;
        for (int j = 0; j < 32; j++) {
            amax = Math.max(amax, Math.abs(x[o + j]));
        }
        float d = amax / 127;
        float id = d != 0f ? 1.0f / d : 0.0f;
        y.set(U16, p, f16(d));
        for (int j = 0; j < 32; j++) {
            y.set(ValueLayout.JAVA_BYTE, p + 2 + j, (byte) roundHalfAway(x[o + j] * id));
        }
    }

    /** C roundf: half away from zero. */
    private static int roundHalfAway(float v) {
        double r = Math.floor(Math.abs((double) v) + 0.5);
        return (int) (v < 0 ? -r : r);
    }

    // ------------------------------------------------------------------ Q4_0: d = (signed max)/-8

    private static void q4_0(float[] x, int o, MemorySegment y, long p) {
        float amax = 0f;
        float max = 0f;
        for (int j = 0; j < 32; j++) {
            float v = x[o + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -8;
        float id = d != 0f ? 1.0f / d : 0.0f;
        y.set(U16, p, f16(d));
        for (int j = 0; j < 16; j++) {
            float x0 = x[o + j] * id;
            float x1 = x[o + 16 + j] * id;
            int xi0 = Math.min(15, (byte) (int) (x0 + 8.5f));
            int xi1 = Math.min(15, (byte) (int) (x1 + 8.5f));
            y.set(ValueLayout.JAVA_BYTE, p + 2 + j, (byte) ((xi0 & 0xFF) | (xi1 << 4)));
        }
    }

    // ------------------------------------------------------------------ Q4_K: 8 sub-blocks, 6-bit scales/mins

    private static final class Q4kScratch {
        final int[] l = new int[256];
        final int[] laux = new int[32];
        final float[] weights = new float[32];
        final float[] mins = new float[8];
        final float[] scales = new float[8];
        final float[] theMin = new float[1];
        final byte[] packed = new byte[12];
    }

    private static void q4_k(float[] x, int o, MemorySegment y, long p, Q4kScratch s) {
        float maxScale = 0;
        float maxMin = 0;
        for (int j = 0; j < 8; j++) {
            int b = o + 32 * j;
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) {
                sumX2 += x[b + l] * x[b + l];
            }
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) {
                s.weights[l] = avX + Math.abs(x[b + l]);
            }
            s.scales[j] = makeQkx2Quants(32, 15, x, b, s.weights, s.l, 32 * j, s.theMin, s.laux, -1.f, 0.1f, 20);
            s.mins[j] = s.theMin[0];
            if (s.scales[j] > maxScale) {
                maxScale = s.scales[j];
            }
            if (s.mins[j] > maxMin) {
                maxMin = s.mins[j];
            }
        }
        float invScale = maxScale > 0 ? 63.f / maxScale : 0.f;
        float invMin = maxMin > 0 ? 63.f / maxMin : 0.f;
        byte[] sc = s.packed;
        java.util.Arrays.fill(sc, (byte) 0);
        for (int j = 0; j < 8; j++) {
            int ls = Math.min(63, nearestInt(invScale * s.scales[j]) & 0xFF);
            int lm = Math.min(63, nearestInt(invMin * s.mins[j]) & 0xFF);
            if (j < 4) {
                sc[j] = (byte) ls;
                sc[j + 4] = (byte) lm;
            } else {
                sc[j + 4] = (byte) ((ls & 0xF) | ((lm & 0xF) << 4));
                sc[j - 4] |= (byte) ((ls >> 4) << 6);
                sc[j] |= (byte) ((lm >> 4) << 6);
            }
        }
        short dh = f16(maxScale / 63.f);
        short dminh = f16(maxMin / 63.f);
        y.set(U16, p, dh);
        y.set(U16, p + 2, dminh);
        for (int i = 0; i < 12; i++) {
            y.set(ValueLayout.JAVA_BYTE, p + 4 + i, sc[i]);
        }
        for (int j = 0; j < 8; j++) {
            int scj;
            int mj;
            if (j < 4) {
                scj = sc[j] & 63;
                mj = sc[j + 4] & 63;
            } else {
                scj = (sc[j + 4] & 0xF) | (((sc[j - 4] & 0xFF) >> 6) << 4);
                mj = ((sc[j + 4] & 0xFF) >> 4) | (((sc[j] & 0xFF) >> 6) << 4);
            }
            float d = h(dh) * scj;
            if (d == 0f) {
                continue;
            }
            float dm = h(dminh) * mj;
            for (int ii = 0; ii < 32; ii++) {
                int l = nearestInt((x[o + 32 * j + ii] + dm) / d);
                s.l[32 * j + ii] = Math.max(0, Math.min(15, l));
            }
        }
        for (int j = 0, q = 0; j < 256; j += 64, q += 32) {
            for (int l = 0; l < 32; l++) {
                y.set(ValueLayout.JAVA_BYTE, p + 16 + q + l, (byte) (s.l[j + l] | (s.l[j + l + 32] << 4)));
            }
        }
    }

    /**
     * ggml's make_qkx2_quants (use_mad = false): an asymmetric nmax-level quantization of x[xo..xo+n) with a
     * weighted least-squares search over nstep+1 candidate scales; levels into L[lo..], -min into theMin[0].
     */
    private static float makeQkx2Quants(int n, int nmax, float[] x, int xo, float[] weights, int[] L, int lo,
            float[] theMin, int[] laux, float rmin, float rdelta, int nstep) {
        float min = x[xo];
        float max = x[xo];
        float sumW = weights[0];
        float sumX = sumW * x[xo];
        for (int i = 1; i < n; i++) {
            if (x[xo + i] < min) {
                min = x[xo + i];
            }
            if (x[xo + i] > max) {
                max = x[xo + i];
            }
            float w = weights[i];
            sumW += w;
            sumX += w * x[xo + i];
        }
        if (min > 0) {
            min = 0;
        }
        if (max == min) {
            for (int i = 0; i < n; i++) {
                L[lo + i] = 0;
            }
            theMin[0] = -min;
            return 0.f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++) {
            int l = nearestInt(iscale * (x[xo + i] - min));
            L[lo + i] = Math.max(0, Math.min(nmax, l));
            float diff = scale * L[lo + i] + min - x[xo + i];
            diff = diff * diff;
            bestError += weights[i] * diff;
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0;
            float sumL2 = 0;
            float sumXl = 0;
            for (int i = 0; i < n; i++) {
                int l = nearestInt(iscale * (x[xo + i] - min));
                l = Math.max(0, Math.min(nmax, l));
                laux[i] = l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXl += w * l * x[xo + i];
            }
            float D = sumW * sumL2 - sumL * sumL;
            if (D > 0) {
                float thisScale = (sumW * sumXl - sumX * sumL) / D;
                float thisMin = (sumL2 * sumX - sumL * sumXl) / D;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXl / sumL2;
                }
                float curError = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * laux[i] + thisMin - x[xo + i];
                    diff = diff * diff;
                    curError += weights[i] * diff;
                }
                if (curError < bestError) {
                    System.arraycopy(laux, 0, L, lo, n);
                    bestError = curError;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin[0] = -min;
        return scale;
    }

    // ------------------------------------------------------------------ Q6_K: 16 sub-blocks of 16, int8 scales

    private static void q6_k(float[] x, int o, MemorySegment y, long p, byte[] L, float[] scales) {
        float maxScale = 0;
        float maxAbsScale = 0;
        for (int ib = 0; ib < 16; ib++) {
            float scale = makeQxQuantsRmse1(16, 32, x, o + 16 * ib, L, 16 * ib);
            scales[ib] = scale;
            float abs = Math.abs(scale);
            if (abs > maxAbsScale) {
                maxAbsScale = abs;
                maxScale = scale;
            }
        }
        if (maxAbsScale < GROUP_MAX_EPS) {
            y.asSlice(p, 210).fill((byte) 0);
            return;
        }
        float iscale = -128.f / maxScale;
        short dh = f16(1 / iscale);
        byte[] sc = new byte[16];
        for (int ib = 0; ib < 16; ib++) {
            sc[ib] = (byte) Math.min(127, nearestInt(iscale * scales[ib]));
        }
        for (int j = 0; j < 16; j++) {
            float d = h(dh) * sc[j];
            if (d == 0f) {
                continue;
            }
            for (int ii = 0; ii < 16; ii++) {
                int l = nearestInt(x[o + 16 * j + ii] / d);
                l = Math.max(-32, Math.min(31, l));
                L[16 * j + ii] = (byte) (l + 32);
            }
        }
        long ql = p;
        long qh = p + 128;
        for (int j = 0; j < 256; j += 128) {
            for (int l = 0; l < 32; l++) {
                int q1 = L[j + l] & 0xF;
                int q2 = L[j + l + 32] & 0xF;
                int q3 = L[j + l + 64] & 0xF;
                int q4 = L[j + l + 96] & 0xF;
                y.set(ValueLayout.JAVA_BYTE, ql + l, (byte) (q1 | (q3 << 4)));
                y.set(ValueLayout.JAVA_BYTE, ql + l + 32, (byte) (q2 | (q4 << 4)));
                int hb = (L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6);
                y.set(ValueLayout.JAVA_BYTE, qh + l, (byte) hb);
            }
            ql += 64;
            qh += 32;
        }
        for (int i = 0; i < 16; i++) {
            y.set(ValueLayout.JAVA_BYTE, p + 192 + i, sc[i]);
        }
        y.set(U16, p + 208, dh);
    }

    /**
     * ggml's make_qx_quants with rmse_type 1 and no importance weights (w = x²): a symmetric quantization to
     * [-nmax, nmax) refined over 18 nearby scales; levels (offset by nmax) into L[lo..].
     */
    private static float makeQxQuantsRmse1(int n, int nmax, float[] x, int xo, byte[] L, int lo) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) {
                L[lo + i] = 0;
            }
            return 0.f;
        }
        float iscale = -nmax / max;
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[xo + i];
            int l = nearestInt(iscale * xi);
            l = Math.max(-nmax, Math.min(nmax - 1, l));
            L[lo + i] = (byte) (l + nmax);
            float w = xi * xi;
            sumlx += w * xi * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0f ? sumlx / suml2 : 0.0f;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) {
                continue;
            }
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = 0;
            suml2 = 0;
            for (int i = 0; i < n; i++) {
                float xi = x[xo + i];
                int l = nearestInt(iscale * xi);
                l = Math.max(-nmax, Math.min(nmax - 1, l));
                float w = xi * xi;
                sumlx += w * xi * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; i++) {
                    int l = nearestInt(iscale * x[xo + i]);
                    L[lo + i] = (byte) (nmax + Math.max(-nmax, Math.min(nmax - 1, l)));
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }
}
