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
    /** Bytes (= elements) per quant load: 8 or 16. */
    static final int BN = B.length();
    /** Float vectors per quant load: 1, or 2 when L = 4 (castShape parts 0 and 1). */
    static final int PARTS = BN / L;

    /**
     * Sum of the lanes in a fixed pairwise order (every reduction on the decode path uses it: batch invariance). {@code reduceLanes(ADD)} leaves the float order
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

    /*
     * e^x in vector code, written out in each loop that needs it (Softmax.expShiftAndSum, Activations.silu and
     * swiglu) from adds, multiplies and fmas only: Cephes expf, x = n·ln 2 + r with n = round(x·log2 e) (adding
     * 1.5·2^23 rounds, and leaves n in the low mantissa bits), a degree-6 polynomial in r, then 2^n put into the
     * exponent bits; inputs clamped to [EXP_LOW, EXP_HIGH], lanes below EXP_LOW give 0; within ~2 ulp of Math.exp.
     * Why not lanewise(EXP): C2 computes it with its own library (SVML) while the interpreter and C1 call Math.exp
     * per lane, so a result depended on whether the method was compiled yet: the same decode step gave different
     * bits early and late in a run, which broke batch invariance (issue 18). Why not a helper method: once C2 has
     * compiled it on its own it refuses to inline it ("already compiled into a big method") and the vectors cross
     * the call boxed (830 KB allocated per softmax call under -XX:-UseTypeProfile, measured).
     */
    static final float EXP_HIGH = 88.0f, EXP_LOW = -87.33654f; // e^88 < Float.MAX_VALUE; e^-87.33654 = MIN_NORMAL
    static final float LOG2E = 1.44269504088896341f, ROUND = 0x1.8p23f;
    static final int ROUND_BITS = 0x4B40_0000; // Float.floatToIntBits(ROUND)
    static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f; // ln 2 in two parts (Cephes)
    static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f,
            P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

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
