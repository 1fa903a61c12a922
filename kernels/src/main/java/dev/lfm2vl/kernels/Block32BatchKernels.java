package dev.lfm2vl.kernels;

import static dev.lfm2vl.kernels.Vec.BN;
import static dev.lfm2vl.kernels.Vec.F;
import static dev.lfm2vl.kernels.Vec.L;
import static dev.lfm2vl.kernels.Vec.PARTS;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;

/**
 * One Q8_0 or Q4_0 weight row dotted with 2 or 4 activation vectors at once (MatVec.matVecBatch, issue 18): each
 * 32-weight block is unpacked and its weights formed as floats (d·q) once, in registers, then FMA'd into every
 * vector's own two accumulators. Per vector these are exactly the operations of the single-vector kernel
 * ({@link Block32Kernels#dotQ8_0}, {@link Block32Kernels#dotQ4_0}) in the same order, so each vector gets the bits
 * it gets alone (batch invariance). The unpacking, scale and loop overhead, most of a block's cost, is paid once
 * for all vectors (docs/PERFORMANCE.md, "Batched decode").
 *
 * <p>Results: lanes[i·L .. i·L+L) receive vector i's two accumulators added lane by lane (what the single kernel hands
 * to {@link Vec#sum}); {@link Vec#sum(float[], int)} finishes them in Vec.sum's order. Writing the lanes out
 * keeps four lane reductions (64 lane reads at 512 bits) out of the compile unit (C2's node budget, docs/JIT.md rule
 * 2). 256 and 512 bits only ({@code PARTS == 1}): at 128 bits matVecBatch keeps the decoded-row path.
 */
final class Block32BatchKernels {
    private Block32BatchKernels() {}

    /** Whether this vector width has these kernels (see the class comment). */
    static final boolean AVAILABLE = PARTS == 1;

    /** {@link Block32Kernels#dotQ8_0} of one row with x0..x3. */
    static void dotQ8_0x4(MemorySegment s, long row, int nb, float[] x0, float[] x1, float[] x2, float[] x3, int xOff,
            float[] lanes) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0;
        for (int b = 0; b < nb; b++) {
            long p = row + 34L * b;
            int xo = xOff + 32 * b;
            FloatVector d = FloatVector.broadcast(F, Vec.f16(s, p));
            for (int j = 0; j < 32; j += 2 * BN) {
                FloatVector w0 = Vec.part(Vec.bytes(s, p + 2 + j), 0).mul(d);
                FloatVector w1 = Vec.part(Vec.bytes(s, p + 2 + j + BN), 0).mul(d);
                int e0 = xo + j, e1 = xo + j + BN;
                a0 = w0.fma(FloatVector.fromArray(F, x0, e0), a0);
                c0 = w1.fma(FloatVector.fromArray(F, x0, e1), c0);
                a1 = w0.fma(FloatVector.fromArray(F, x1, e0), a1);
                c1 = w1.fma(FloatVector.fromArray(F, x1, e1), c1);
                a2 = w0.fma(FloatVector.fromArray(F, x2, e0), a2);
                c2 = w1.fma(FloatVector.fromArray(F, x2, e1), c2);
                a3 = w0.fma(FloatVector.fromArray(F, x3, e0), a3);
                c3 = w1.fma(FloatVector.fromArray(F, x3, e1), c3);
            }
        }
        a0.add(c0).intoArray(lanes, 0);
        a1.add(c1).intoArray(lanes, L);
        a2.add(c2).intoArray(lanes, 2 * L);
        a3.add(c3).intoArray(lanes, 3 * L);
    }

    /** {@link Block32Kernels#dotQ8_0} of one row with x0 and x1. */
    static void dotQ8_0x2(MemorySegment s, long row, int nb, float[] x0, float[] x1, int xOff, float[] lanes) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, c0 = a0, c1 = a0;
        for (int b = 0; b < nb; b++) {
            long p = row + 34L * b;
            int xo = xOff + 32 * b;
            FloatVector d = FloatVector.broadcast(F, Vec.f16(s, p));
            for (int j = 0; j < 32; j += 2 * BN) {
                FloatVector w0 = Vec.part(Vec.bytes(s, p + 2 + j), 0).mul(d);
                FloatVector w1 = Vec.part(Vec.bytes(s, p + 2 + j + BN), 0).mul(d);
                int e0 = xo + j, e1 = xo + j + BN;
                a0 = w0.fma(FloatVector.fromArray(F, x0, e0), a0);
                c0 = w1.fma(FloatVector.fromArray(F, x0, e1), c0);
                a1 = w0.fma(FloatVector.fromArray(F, x1, e0), a1);
                c1 = w1.fma(FloatVector.fromArray(F, x1, e1), c1);
            }
        }
        a0.add(c0).intoArray(lanes, 0);
        a1.add(c1).intoArray(lanes, L);
    }

    /** {@link Block32Kernels#dotQ4_0} of one row with x0..x3. */
    static void dotQ4_0x4(MemorySegment s, long row, int nb, float[] x0, float[] x1, float[] x2, float[] x3, int xOff,
            float[] lanes) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0;
        for (int b = 0; b < nb; b++) {
            long p = row + 18L * b;
            int xo = xOff + 32 * b;
            float d = Vec.f16(s, p);
            FloatVector dv = FloatVector.broadcast(F, d), m8d = FloatVector.broadcast(F, -8 * d);
            for (int k = 0; k < 16; k += BN) {
                IntVector q = Vec.uipart(Vec.bytes(s, p + 2 + k));
                FloatVector lo = QuantMath.lo4u(q).fma(dv, m8d);
                FloatVector hi = QuantMath.hi4u(q).fma(dv, m8d);
                int e0 = xo + k, e1 = xo + 16 + k;
                a0 = lo.fma(FloatVector.fromArray(F, x0, e0), a0);
                c0 = hi.fma(FloatVector.fromArray(F, x0, e1), c0);
                a1 = lo.fma(FloatVector.fromArray(F, x1, e0), a1);
                c1 = hi.fma(FloatVector.fromArray(F, x1, e1), c1);
                a2 = lo.fma(FloatVector.fromArray(F, x2, e0), a2);
                c2 = hi.fma(FloatVector.fromArray(F, x2, e1), c2);
                a3 = lo.fma(FloatVector.fromArray(F, x3, e0), a3);
                c3 = hi.fma(FloatVector.fromArray(F, x3, e1), c3);
            }
        }
        a0.add(c0).intoArray(lanes, 0);
        a1.add(c1).intoArray(lanes, L);
        a2.add(c2).intoArray(lanes, 2 * L);
        a3.add(c3).intoArray(lanes, 3 * L);
    }

    /** {@link Block32Kernels#dotQ4_0} of one row with x0 and x1. */
    static void dotQ4_0x2(MemorySegment s, long row, int nb, float[] x0, float[] x1, int xOff, float[] lanes) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, c0 = a0, c1 = a0;
        for (int b = 0; b < nb; b++) {
            long p = row + 18L * b;
            int xo = xOff + 32 * b;
            float d = Vec.f16(s, p);
            FloatVector dv = FloatVector.broadcast(F, d), m8d = FloatVector.broadcast(F, -8 * d);
            for (int k = 0; k < 16; k += BN) {
                IntVector q = Vec.uipart(Vec.bytes(s, p + 2 + k));
                FloatVector lo = QuantMath.lo4u(q).fma(dv, m8d);
                FloatVector hi = QuantMath.hi4u(q).fma(dv, m8d);
                int e0 = xo + k, e1 = xo + 16 + k;
                a0 = lo.fma(FloatVector.fromArray(F, x0, e0), a0);
                c0 = hi.fma(FloatVector.fromArray(F, x0, e1), c0);
                a1 = lo.fma(FloatVector.fromArray(F, x1, e0), a1);
                c1 = hi.fma(FloatVector.fromArray(F, x1, e1), c1);
            }
        }
        a0.add(c0).intoArray(lanes, 0);
        a1.add(c1).intoArray(lanes, L);
    }
}
