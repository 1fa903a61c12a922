package dev.lfm2vl.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Species and little helpers shared by the weight kernels. Every width is derived from
 * {@link FloatVector#SPECIES_PREFERRED} so the same code runs at 128, 256 and 512 bits.
 */
final class Vec {
    private Vec() {}

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Float lanes per vector (4, 8 or 16). */
    static final int L = F.length();
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    /** Shorts with as many lanes as {@link #F}: 64, 128 or 256 bits (F16/BF16 rows). */
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    /** Quant bytes are loaded BN at a time: as many as float lanes (no 32-bit byte species: 8 when L = 4). */
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, L * 8)));
    /** Int lanes of a {@link #B}-sized vector: its bytes four to a lane (int-lane shifts on packed bytes). */
    static final VectorSpecies<Integer> IB = VectorSpecies.of(int.class, B.vectorShape());
    /** Bytes (= elements) per quant load: 8 or 16. */
    static final int BN = B.length();
    /** Float vectors per quant load: 1, or 2 when L = 4 (castShape parts 0 and 1). */
    static final int PARTS = BN / L;

    /**
     * Sum of the lanes in a fixed pairwise order. {@code reduceLanes(ADD)} leaves the float order
     * unspecified (interpreter and C2 differ), which would make results depend on JIT timing.
     */
    static float sum(FloatVector v) {
        float s = (v.lane(0) + v.lane(1)) + (v.lane(2) + v.lane(3));
        if (L >= 8) {
            s += (v.lane(4) + v.lane(5)) + (v.lane(6) + v.lane(7));
        }
        if (L >= 16) {
            s += ((v.lane(8) + v.lane(9)) + (v.lane(10) + v.lane(11)))
                    + ((v.lane(12) + v.lane(13)) + (v.lane(14) + v.lane(15)));
        }
        return s;
    }

    /**
     * {@link #sum(FloatVector)} of the L lanes a[off .. off+L) that a kernel wrote out with intoArray: the same
     * additions in the same order, so the same bits (Block32BatchKernels).
     */
    static float sum(float[] a, int off) {
        float s = (a[off] + a[off + 1]) + (a[off + 2] + a[off + 3]);
        if (L >= 8) {
            s += (a[off + 4] + a[off + 5]) + (a[off + 6] + a[off + 7]);
        }
        if (L >= 16) {
            s += ((a[off + 8] + a[off + 9]) + (a[off + 10] + a[off + 11]))
                    + ((a[off + 12] + a[off + 13]) + (a[off + 14] + a[off + 15]));
        }
        return s;
    }

    // e^x from exact operations only (Cephes expf; see exp below): the constants, shared with the decode loops that
    // write exp out (Softmax.expShiftAndSum, Activations.silu/swiglu) so that C2 never has to inline a vector helper there
    static final float EXP_LOW = -87.33654f;   // below: e^x is under the smallest normal float (gives 0)
    static final float EXP_HIGH = 88.0f;       // clamp: keeps 2^n in the normal range while computing
    static final float EXP_OVERFLOW = 88.72284f; // above: e^x overflows (exp gives +inf)
    static final float LOG2E = 1.44269504088896341f;
    static final float ROUND = 0x1.8p23f;      // 1.5·2^23: adding it rounds to an integer, left in the low mantissa bits
    static final int ROUND_BITS = 0x4B40_0000; // Float.floatToIntBits(ROUND)
    static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f; // ln 2 in two parts (Cephes)
    static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
            P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    /**
     * e^x per lane, built only from IEEE-exact vector operations (fma, add, mul, min/max, compare, bit moves), so
     * the interpreter, C1, C2 and every vector width give the same bits. {@code lanewise(EXP)} does not: C2 calls
     * an SVML-style stub, the interpreter {@code Math.exp} per lane, and results then depend on JIT timing
     * (docs/JIT.md, "Same bits in every tier"). Cephes {@code expf}: x = n·ln2 + r, |r| <= ln2/2, a degree-5
     * minimax polynomial for e^r (<= 2 ulp), then 2^n through the exponent bits. Below -87.34 the result is 0,
     * above 88.72 +inf.
     */
    static FloatVector exp(FloatVector x) {
        // Every receiver here is a broadcast of the constant species F or derived from one, never the argument:
        // compiled on its own (before a caller inlines it) the method then still knows each vector's class
        // (docs/JIT.md, rule 1), its code stays small, and callers keep inlining it.
        FloatVector xc = FloatVector.broadcast(F, EXP_LOW).max(x).min(EXP_HIGH);
        FloatVector t = xc.fma(LOG2E, ROUND);
        FloatVector n = t.sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), xc);
        r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector p = r.fma(P0, P1);
        p = p.fma(r, FloatVector.broadcast(F, P2));
        p = p.fma(r, FloatVector.broadcast(F, P3));
        p = p.fma(r, FloatVector.broadcast(F, P4));
        p = p.fma(r, FloatVector.broadcast(F, P5));
        FloatVector y = p.fma(r.mul(r), r).add(1f);
        // t's low mantissa bits hold n + 0x400000; (n + 127) << 23 is the float 2^n
        FloatVector pow2n = t.reinterpretAsInts().sub(ROUND_BITS - 127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector e = y.mul(pow2n);
        e = e.blend(0f, FloatVector.broadcast(F, EXP_LOW).compare(VectorOperators.GT, x));
        return e.blend(Float.POSITIVE_INFINITY, FloatVector.broadcast(F, EXP_OVERFLOW).compare(VectorOperators.LT, x));
    }

    /** tanh(x) = 1 − 2/(e^{2x} + 1) per lane, through {@link #exp} (same bits in every tier; absolute error ~1e-7). */
    static FloatVector tanh(FloatVector x) {
        FloatVector e2xPlus1 = FloatVector.broadcast(F, 1f).add(exp(FloatVector.broadcast(F, 2f).mul(x)));
        return FloatVector.broadcast(F, 1f).sub(FloatVector.broadcast(F, 2f).div(e2xPlus1));
    }

    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** IEEE half at {@code off} (docs/MODEL.md §2.4 {@code f16}). */
    static float f16(MemorySegment seg, long off) {
        return Float.float16ToFloat(seg.get(U16, off));
    }

    /** BN bytes starting at {@code off}. */
    static ByteVector bytes(MemorySegment seg, long off) {
        return ByteVector.fromMemorySegment(B, seg, off, LE);
    }

    /** The BN bytes starting at {@code off} as {@link #IB} int lanes (little-endian: byte 0 is bits 0-7 of lane 0). */
    static IntVector words(MemorySegment seg, long off) {
        return IntVector.fromMemorySegment(IB, seg, off, LE);
    }

    /**
     * Lanes {@code p*L .. p*L+L-1} of a BN-byte vector as floats (signed bytes). Callers pass literal part
     * numbers: castShape is only intrinsified for parse-time constant parts (a loop counter is not one).
     * With PARTS == 1 this is a same-lane-count conversion, the cheapest form for C2's node budget.
     */
    static FloatVector part(ByteVector b, int p) {
        return (FloatVector) b.castShape(F, p);
    }

    /** The first L bytes of a BN-byte vector as zero-extended ints (vpmovzxbd; PARTS == 1 only). */
    static IntVector uipart(ByteVector b) {
        return (IntVector) b.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
    }

    /** Lanes {@code p*L .. p*L+L-1} of a BN-byte vector as sign-extended ints (literal p, as {@link #part}). */
    static IntVector ipart(ByteVector b, int p) {
        return (IntVector) b.castShape(I, p);
    }

    private static final float TWO_POW_112 = 0x1p112f;

    /**
     * L halves at {@code off} to floats without a conversion op (JDK 25 has none): the magnitude bits shifted
     * into an F32 exponent/mantissa and rescaled by 2^112 — exact for normals, subnormals and zero;
     * Inf/NaN halves become large finite values (weights never hold them).
     */
    static FloatVector halves(MemorySegment seg, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, seg, off, LE).castShape(I, 0);
        IntVector mag = h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13);
        FloatVector abs = mag.reinterpretAsFloats().mul(TWO_POW_112);
        // castShape sign-extends, so bit 31 of h is the half's sign bit.
        return abs.reinterpretAsInts().or(h.and(0x8000_0000)).reinterpretAsFloats();
    }

    /** L bfloat16 values at {@code off}: each is the upper half of an F32 (docs/MODEL.md §2.4). */
    static FloatVector bfloats(MemorySegment seg, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, seg, off, LE).castShape(I, 0);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
}
