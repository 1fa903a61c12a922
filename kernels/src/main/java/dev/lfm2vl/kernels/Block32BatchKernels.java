package dev.lfm2vl.kernels;

import static dev.lfm2vl.kernels.Vec.BN;
import static dev.lfm2vl.kernels.Vec.F;
import static dev.lfm2vl.kernels.Vec.L;
import static dev.lfm2vl.kernels.Vec.PARTS;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * One Q8_0 or Q4_0 weight row dotted with 2 or 4 activation vectors at once (MatVec.matVecBatch, issue 18): each
 * 32-weight block is unpacked and its weights formed as floats (d·q) once, in registers, then FMA'd into every
 * vector's own two accumulators. Per vector these are exactly the additions of the single-vector kernel
 * ({@link Block32Kernels#dotQ8_0}, {@link Block32Kernels#dotQ4_0}) in the same order on the same exact weights, so
 * each vector gets the bits it gets alone (batch invariance). The unpacking, scale and loop overhead, most of a
 * block's cost for one vector, is paid once for all (docs/PERFORMANCE.md, "Batched decode").
 *
 * <p>The activations come interleaved in a 64-byte aligned segment ({@link #interleave}): block b of vector i
 * at floats (b·G + i)·32 for a group of G vectors, so every 512-bit load is one aligned cache line and the kernel
 * walks one address stream (measured 1.10-1.25x faster than G separate heap arrays, whose loads straddle lines).
 *
 * <p>Results: lanes[i·L .. i·L+L) receive vector i's two accumulators added lane by lane (what the single kernel hands
 * to {@link Vec#sum}); {@link Vec#sum(float[], int)} finishes them in Vec.sum's order. Writing the lanes out keeps
 * four lane reductions (64 lane reads at 512 bits) out of the compile unit (C2's node budget, docs/JIT.md rule 2).
 * 256 and 512 bits only ({@code PARTS == 1}): at 128 bits matVecBatch keeps the decoded-row path.
 */
final class Block32BatchKernels {
    private Block32BatchKernels() {}

    /** Whether this vector width has these kernels (see the class comment). */
    static final boolean AVAILABLE = PARTS == 1;

    /**
     * Copies xs[first .. first+have)[xOff .. xOff+cols) into {@code into} from byte {@code base} in the layout of a
     * group of g vectors (block b of vector i at floats (b·g + i)·32); slots have..g-1 are left as they are (a
     * kernel computes them and the caller ignores their sums).
     */
    static void interleave(float[][] xs, int first, int have, int g, int xOff, int cols, MemorySegment into, long base) {
        for (int i = 0; i < have; i++) {
            float[] x = xs[first + i];
            for (int b = 0, nb = cols / 32; b < nb; b++) {
                MemorySegment.copy(x, xOff + 32 * b, into, ValueLayout.JAVA_FLOAT, base + 128 * ((long) b * g + i), 32);
            }
        }
    }

    private static FloatVector xv(MemorySegment x, long off) {
        return FloatVector.fromMemorySegment(F, x, off, Vec.LE);
    }

    /**
     * {@link Block32Kernels#dotQ8_0} of four consecutive rows (from byte {@code row}, {@code rowBytes} apart) with one
     * vector: the transpose of {@link #dotQ8_0x4}, for rows too long for their activations to stay in L1 (MatVec: each
     * activation load then feeds four rows instead of one). Row i's lanes go to lanes[i·L ..), with each row's
     * operations and order those of the single kernel, so {@link Vec#sum(float[], int)} gives its bits. The body
     * calls the Vector API directly (force-inlined past C2's node cutoff, docs/JIT.md rule 2).
     */
    static void dotQ8_0Rows4(MemorySegment s, long row, long rowBytes, int nb, float[] x, int xOff, float[] lanes) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, e0 = a0, e1 = a0;
        long r1 = row + rowBytes, r2 = r1 + rowBytes, r3 = r2 + rowBytes;
        for (int b = 0; b < nb; b++) {
            long o = 34L * b;
            int xo = xOff + 32 * b;
            FloatVector da = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Vec.U16, row + o)));
            FloatVector db = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Vec.U16, r1 + o)));
            FloatVector dc = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Vec.U16, r2 + o)));
            FloatVector de = FloatVector.broadcast(F, Float.float16ToFloat(s.get(Vec.U16, r3 + o)));
            for (int j = 0; j < 32; j += 2 * BN) { // one trip at 512 bits, two at 256 (as dotQ8_0)
                FloatVector x0 = FloatVector.fromArray(F, x, xo + j), x1 = FloatVector.fromArray(F, x, xo + j + BN);
                long q = o + 2 + j;
                a0 = ((FloatVector) ByteVector.fromMemorySegment(Vec.B, s, row + q, Vec.LE).castShape(F, 0)).mul(da).fma(x0, a0);
                a1 = ((FloatVector) ByteVector.fromMemorySegment(Vec.B, s, row + q + BN, Vec.LE).castShape(F, 0)).mul(da).fma(x1, a1);
                b0 = ((FloatVector) ByteVector.fromMemorySegment(Vec.B, s, r1 + q, Vec.LE).castShape(F, 0)).mul(db).fma(x0, b0);
                b1 = ((FloatVector) ByteVector.fromMemorySegment(Vec.B, s, r1 + q + BN, Vec.LE).castShape(F, 0)).mul(db).fma(x1, b1);
                c0 = ((FloatVector) ByteVector.fromMemorySegment(Vec.B, s, r2 + q, Vec.LE).castShape(F, 0)).mul(dc).fma(x0, c0);
                c1 = ((FloatVector) ByteVector.fromMemorySegment(Vec.B, s, r2 + q + BN, Vec.LE).castShape(F, 0)).mul(dc).fma(x1, c1);
                e0 = ((FloatVector) ByteVector.fromMemorySegment(Vec.B, s, r3 + q, Vec.LE).castShape(F, 0)).mul(de).fma(x0, e0);
                e1 = ((FloatVector) ByteVector.fromMemorySegment(Vec.B, s, r3 + q + BN, Vec.LE).castShape(F, 0)).mul(de).fma(x1, e1);
            }
        }
        a0.add(a1).intoArray(lanes, 0);
        b0.add(b1).intoArray(lanes, L);
        c0.add(c1).intoArray(lanes, 2 * L);
        e0.add(e1).intoArray(lanes, 3 * L);
    }

    /** {@link Block32Kernels#dotQ8_0} of one row with 4 interleaved vectors from byte {@code x0} of {@code x}. */
    static void dotQ8_0x4(MemorySegment s, long row, int nb, MemorySegment x, long x0, float[] lanes) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0;
        for (int b = 0; b < nb; b++) {
            long p = row + 34L * b;
            FloatVector d = FloatVector.broadcast(F, Vec.f16(s, p));
            for (int j = 0; j < 32; j += 2 * BN) {
                FloatVector w0 = Vec.part(Vec.bytes(s, p + 2 + j), 0).mul(d);
                FloatVector w1 = Vec.part(Vec.bytes(s, p + 2 + j + BN), 0).mul(d);
                long xo = x0 + 512L * b + 4 * j;
                a0 = w0.fma(xv(x, xo), a0);
                c0 = w1.fma(xv(x, xo + 4 * BN), c0);
                a1 = w0.fma(xv(x, xo + 128), a1);
                c1 = w1.fma(xv(x, xo + 128 + 4 * BN), c1);
                a2 = w0.fma(xv(x, xo + 256), a2);
                c2 = w1.fma(xv(x, xo + 256 + 4 * BN), c2);
                a3 = w0.fma(xv(x, xo + 384), a3);
                c3 = w1.fma(xv(x, xo + 384 + 4 * BN), c3);
            }
        }
        a0.add(c0).intoArray(lanes, 0);
        a1.add(c1).intoArray(lanes, L);
        a2.add(c2).intoArray(lanes, 2 * L);
        a3.add(c3).intoArray(lanes, 3 * L);
    }

    /** {@link Block32Kernels#dotQ8_0} of one row with 2 interleaved vectors from byte {@code x0} of {@code x}. */
    static void dotQ8_0x2(MemorySegment s, long row, int nb, MemorySegment x, long x0, float[] lanes) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, c0 = a0, c1 = a0;
        for (int b = 0; b < nb; b++) {
            long p = row + 34L * b;
            FloatVector d = FloatVector.broadcast(F, Vec.f16(s, p));
            for (int j = 0; j < 32; j += 2 * BN) {
                FloatVector w0 = Vec.part(Vec.bytes(s, p + 2 + j), 0).mul(d);
                FloatVector w1 = Vec.part(Vec.bytes(s, p + 2 + j + BN), 0).mul(d);
                long xo = x0 + 256L * b + 4 * j;
                a0 = w0.fma(xv(x, xo), a0);
                c0 = w1.fma(xv(x, xo + 4 * BN), c0);
                a1 = w0.fma(xv(x, xo + 128), a1);
                c1 = w1.fma(xv(x, xo + 128 + 4 * BN), c1);
            }
        }
        a0.add(c0).intoArray(lanes, 0);
        a1.add(c1).intoArray(lanes, L);
    }

    /** {@link Block32Kernels#dotQ4_0} of one row with 4 interleaved vectors from byte {@code x0} of {@code x}. */
    static void dotQ4_0x4(MemorySegment s, long row, int nb, MemorySegment x, long x0, float[] lanes) {
        FloatVector nibbleMinus8 = FloatVector.fromArray(F, Block32Kernels.NIBBLE_MINUS_8, 0);
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0;
        for (int b = 0; b < nb; b++) {
            long p = row + 18L * b;
            float d = Vec.f16(s, p);
            for (int k = 0; k < 16; k += BN) {
                IntVector q = Vec.uipart(Vec.bytes(s, p + 2 + k));
                FloatVector lo, hi;
                if (L == 16) { // the weights looked up, as in the single kernel
                    IntVector w = nibbleMinus8.mul(d).reinterpretAsInts();
                    lo = q.and(0x0F).selectFrom(w).reinterpretAsFloats();
                    hi = q.lanewise(VectorOperators.LSHR, 4).selectFrom(w).reinterpretAsFloats();
                } else {
                    FloatVector dv = FloatVector.broadcast(F, d), m8d = FloatVector.broadcast(F, -8 * d);
                    lo = QuantMath.lo4u(q).fma(dv, m8d);
                    hi = QuantMath.hi4u(q).fma(dv, m8d);
                }
                long xo = x0 + 512L * b + 4 * k;
                a0 = lo.fma(xv(x, xo), a0);
                c0 = hi.fma(xv(x, xo + 64), c0);
                a1 = lo.fma(xv(x, xo + 128), a1);
                c1 = hi.fma(xv(x, xo + 128 + 64), c1);
                a2 = lo.fma(xv(x, xo + 256), a2);
                c2 = hi.fma(xv(x, xo + 256 + 64), c2);
                a3 = lo.fma(xv(x, xo + 384), a3);
                c3 = hi.fma(xv(x, xo + 384 + 64), c3);
            }
        }
        a0.add(c0).intoArray(lanes, 0);
        a1.add(c1).intoArray(lanes, L);
        a2.add(c2).intoArray(lanes, 2 * L);
        a3.add(c3).intoArray(lanes, 3 * L);
    }

    /** {@link Block32Kernels#dotQ4_0} of one row with 2 interleaved vectors from byte {@code x0} of {@code x}. */
    static void dotQ4_0x2(MemorySegment s, long row, int nb, MemorySegment x, long x0, float[] lanes) {
        FloatVector nibbleMinus8 = FloatVector.fromArray(F, Block32Kernels.NIBBLE_MINUS_8, 0);
        FloatVector a0 = FloatVector.zero(F), a1 = a0, c0 = a0, c1 = a0;
        for (int b = 0; b < nb; b++) {
            long p = row + 18L * b;
            float d = Vec.f16(s, p);
            for (int k = 0; k < 16; k += BN) {
                IntVector q = Vec.uipart(Vec.bytes(s, p + 2 + k));
                FloatVector lo, hi;
                if (L == 16) { // the weights looked up, as in the single kernel
                    IntVector w = nibbleMinus8.mul(d).reinterpretAsInts();
                    lo = q.and(0x0F).selectFrom(w).reinterpretAsFloats();
                    hi = q.lanewise(VectorOperators.LSHR, 4).selectFrom(w).reinterpretAsFloats();
                } else {
                    FloatVector dv = FloatVector.broadcast(F, d), m8d = FloatVector.broadcast(F, -8 * d);
                    lo = QuantMath.lo4u(q).fma(dv, m8d);
                    hi = QuantMath.hi4u(q).fma(dv, m8d);
                }
                long xo = x0 + 256L * b + 4 * k;
                a0 = lo.fma(xv(x, xo), a0);
                c0 = hi.fma(xv(x, xo + 64), c0);
                a1 = lo.fma(xv(x, xo + 128), a1);
                c1 = hi.fma(xv(x, xo + 128 + 64), c1);
            }
        }
        a0.add(c0).intoArray(lanes, 0);
        a1.add(c1).intoArray(lanes, L);
    }
}
