package dev.lfm2vl.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lfm2vl.loader.GgmlType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * One hand-built block per type with every element distinguishable, so the element order (docs/MODEL.md
 * pitfall 1: byte j holds elements j and j+16; docs/MODEL.md pitfall 2: K-quant chunk/nibble order, 6-bit
 * scale packing, Q6_K's trailing d and signed scales) is pinned down. Expected values are computed element by
 * element from the layout description, independently of the oracle's loop structure; both the oracle and the
 * vector paths (dequantizeRange, dot with unit vectors) are checked.
 */
class KnownBlockLayoutTest {

    private static ByteBuffer block(GgmlType t) {
        return ByteBuffer.allocate(t.bytesPerBlock).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static short h(float v) {
        return Float.floatToFloat16(v);
    }

    /** Checks oracle, vector dequantization and vector dot (with e_i) against the expected block. */
    private static void check(GgmlType type, ByteBuffer b, float[] want) {
        WeightMatrix w = WeightMatrix.of(type, MemorySegment.ofArray(b.array()), 1, want.length);
        float[] got = new float[want.length];
        w.dequantizeRow(0, got, 0);
        float[] vec = new float[want.length];
        w.dequantizeRange(0, 0, want.length, vec, 0);
        float[] unit = new float[want.length];
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-6f * Math.max(1, Math.abs(want[i])), type + " oracle element " + i);
            assertEquals(want[i], vec[i], 1e-6f * Math.max(1, Math.abs(want[i])), type + " vector element " + i);
            unit[i] = 1;
            assertEquals(want[i], w.dot(0, unit, 0), 1e-6f * Math.max(1, Math.abs(want[i])), type + " dot e_" + i);
            unit[i] = 0;
        }
    }

    @Test
    void q8_0ElementJIsByteJTimesD() {
        ByteBuffer b = block(GgmlType.Q8_0).putShort(h(0.5f));
        float[] want = new float[32];
        for (int j = 0; j < 32; j++) {
            b.put((byte) (j - 16));
            want[j] = 0.5f * (j - 16);
        }
        check(GgmlType.Q8_0, b, want);
    }

    /** Byte j = (j) | (15-j)<<4: element j = j-8, element j+16 = 7-j (not elements 2j, 2j+1). */
    @Test
    void q4_0LowNibblesAreElements0To15HighNibbles16To31() {
        ByteBuffer b = block(GgmlType.Q4_0).putShort(h(1f));
        float[] want = new float[32];
        for (int j = 0; j < 16; j++) {
            b.put((byte) (j | (15 - j) << 4));
            want[j] = j - 8;
            want[j + 16] = (15 - j) - 8;
        }
        check(GgmlType.Q4_0, b, want);
    }

    @Test
    void q4_1AddsTheMin() {
        ByteBuffer b = block(GgmlType.Q4_1).putShort(h(2f)).putShort(h(-1f));
        float[] want = new float[32];
        for (int j = 0; j < 16; j++) {
            b.put((byte) (j | (15 - j) << 4));
            want[j] = 2f * j - 1;
            want[j + 16] = 2f * (15 - j) - 1;
        }
        check(GgmlType.Q4_1, b, want);
    }

    /** qh = 0xFF005555: 5th bit set for even elements 0..14 and for elements 24..31 (bit j+16 -> element j+16). */
    @Test
    void q5FifthBitJIsElementJAndBitJPlus16IsElementJPlus16() {
        int qh = 0xFF005555;
        for (GgmlType type : new GgmlType[] {GgmlType.Q5_0, GgmlType.Q5_1}) {
            boolean q51 = type == GgmlType.Q5_1;
            ByteBuffer b = block(type).putShort(h(1f));
            if (q51) {
                b.putShort(h(0.5f));
            }
            b.putInt(qh);
            float[] want = new float[32];
            for (int j = 0; j < 16; j++) {
                b.put((byte) (j | (15 - j) << 4));
                int lo = j | ((qh >>> j) & 1) << 4;
                int hi = (15 - j) | ((qh >>> (j + 16)) & 1) << 4;
                want[j] = q51 ? lo + 0.5f : lo - 16;
                want[j + 16] = q51 ? hi + 0.5f : hi - 16;
            }
            check(type, b, want);
        }
    }

    /** 6-bit scales sc_s = 10+7s (up to 59, so s >= 4 needs the packed high bits) and mins m_s = 3+5s. */
    private static void putKScales(ByteBuffer b, int[] sc, int[] m) {
        byte[] s = new byte[12];
        for (int i = 0; i < 4; i++) {
            s[i] = (byte) (sc[i] | (sc[i + 4] >> 4) << 6);
            s[i + 4] = (byte) (m[i] | (m[i + 4] >> 4) << 6);
            s[i + 8] = (byte) ((sc[i + 4] & 0x0F) | (m[i + 4] & 0x0F) << 4);
        }
        b.put(s);
    }

    @Test
    void q4kAndQ5kChunksAreLowNibblesThenHighNibblesWithPackedScales() {
        int[] sc = new int[8], m = new int[8];
        for (int s = 0; s < 8; s++) {
            sc[s] = 10 + 7 * s;
            m[s] = 3 + 5 * s;
        }
        float d = 0.25f, dmin = 0.125f;
        for (GgmlType type : new GgmlType[] {GgmlType.Q4_K, GgmlType.Q5_K}) {
            boolean five = type == GgmlType.Q5_K;
            ByteBuffer b = block(type).putShort(h(d)).putShort(h(dmin));
            putKScales(b, sc, m);
            byte[] qh = new byte[32];
            if (five) {
                for (int l = 0; l < 32; l++) {
                    qh[l] = (byte) (l * 37 + 11);
                }
                b.put(qh);
            }
            byte[] qs = new byte[128];
            for (int i = 0; i < 128; i++) {
                qs[i] = (byte) ((i % 16) | (15 - (i * 3) % 16) << 4);
            }
            b.put(qs);
            float[] want = new float[256];
            for (int e = 0; e < 256; e++) {
                int c = e / 64, half = (e % 64) / 32, l = e % 32, sub = 2 * c + half;
                int byteV = qs[32 * c + l] & 0xFF;
                int q = half == 0 ? byteV & 0x0F : byteV >> 4;
                if (five) {
                    q += ((qh[l] >> sub) & 1) * 16;
                }
                want[e] = d * sc[sub] * q - dmin * m[sub];
            }
            check(type, b, want);
        }
    }

    @Test
    void q6kHasTrailingDSignedScalesAndQhShiftsPerQuarter() {
        ByteBuffer b = block(GgmlType.Q6_K);
        byte[] ql = new byte[128], qh = new byte[64], scales = new byte[16];
        for (int i = 0; i < 128; i++) {
            ql[i] = (byte) (i * 7 + 3);
        }
        for (int i = 0; i < 64; i++) {
            qh[i] = (byte) (i * 13 + 5);
        }
        for (int i = 0; i < 16; i++) {
            scales[i] = (byte) (i - 8 - (i % 3) * 20); // negatives included
        }
        float d = 0.375f;
        b.put(ql).put(qh).put(scales).putShort(h(d));
        float[] want = new float[256];
        for (int e = 0; e < 256; e++) {
            int n = e / 128, r = e % 128, quarter = r / 32, l = r % 32;
            int lq = ql[64 * n + l + (quarter % 2 == 1 ? 32 : 0)] & 0xFF;
            int nib = quarter < 2 ? lq & 0x0F : lq >> 4;
            int hb = ((qh[32 * n + l] & 0xFF) >> (2 * quarter)) & 3;
            want[e] = d * scales[e / 16] * ((nib | hb << 4) - 32);
        }
        check(GgmlType.Q6_K, b, want);
    }

    @Test
    void floatTypesReadLittleEndianElements() {
        ByteBuffer f32 = ByteBuffer.allocate(4 * 5).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer f16 = ByteBuffer.allocate(2 * 5).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer bf16 = ByteBuffer.allocate(2 * 5).order(ByteOrder.LITTLE_ENDIAN);
        // includes a half subnormal (2^-20) and -0.0
        float[] want = {1.5f, -2.25f, 0x1p-20f, -0.0f, 65504f};
        float[] wantBf = {1.5f, -2.25f, 0x1p-20f, -0.0f, 65536f};
        for (int i = 0; i < 5; i++) {
            f32.putFloat(want[i]);
            f16.putShort(h(want[i]));
            bf16.putShort((short) (Float.floatToIntBits(wantBf[i]) >>> 16));
        }
        check(GgmlType.F32, f32, want);
        check(GgmlType.F16, f16, want);
        check(GgmlType.BF16, bf16, wantBf);
    }
}
