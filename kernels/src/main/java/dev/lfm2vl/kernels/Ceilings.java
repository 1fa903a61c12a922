package dev.lfm2vl.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The loops behind the two machine ceilings every speed figure is compared with, shared by {@code lfm2vl bench}
 * and the JMH benchmarks so both measure the same thing: a vector sum of memory (read bandwidth) and independent
 * F32 FMA chains with no memory traffic (compute peak).
 */
public final class Ceilings {
    private static final VectorSpecies<Long> LONGS = LongVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;

    /** Independent FMA chains per call: enough to cover a 4-cycle FMA latency on 2 pipes with room to spare. */
    public static final int FMA_CHAINS = 12;

    private Ceilings() {}

    /** Floating-point operations one {@link #fmaChains} call performs. */
    public static double fmaFlops(long iters) {
        return 2.0 * FLOATS.length() * FMA_CHAINS * iters;
    }

    /**
     * {@code iters} rounds of {@value #FMA_CHAINS} independent {@code acc = a * b + acc}. The accumulator is the addend,
     * as in a dot product, so x86 fuses it in place ({@code vfmadd231ps acc, a, b}); the form {@code acc * a + b}
     * needs a register copy per FMA, which made C2 spill accumulators to the stack, and the spill's stack
     * alignment then decided whether the loop ran at 100% or 55% of peak from one call path to another.
     */
    public static float fmaChains(long iters, int seed) {
        FloatVector a = FloatVector.broadcast(FLOATS, 1e-3f);
        FloatVector b = FloatVector.broadcast(FLOATS, 1e-3f + seed * 1e-6f); // acc grows by ~1e-6 a step: no overflow
        FloatVector c0 = FloatVector.broadcast(FLOATS, 0.1f), c1 = FloatVector.broadcast(FLOATS, 0.2f);
        FloatVector c2 = FloatVector.broadcast(FLOATS, 0.3f), c3 = FloatVector.broadcast(FLOATS, 0.4f);
        FloatVector c4 = FloatVector.broadcast(FLOATS, 0.5f), c5 = FloatVector.broadcast(FLOATS, 0.6f);
        FloatVector c6 = FloatVector.broadcast(FLOATS, 0.7f), c7 = FloatVector.broadcast(FLOATS, 0.8f);
        FloatVector c8 = FloatVector.broadcast(FLOATS, 0.9f), c9 = FloatVector.broadcast(FLOATS, 1.0f);
        FloatVector c10 = FloatVector.broadcast(FLOATS, 1.1f), c11 = FloatVector.broadcast(FLOATS, 1.2f);
        for (long i = 0; i < iters; i++) {
            c0 = a.fma(b, c0); c1 = a.fma(b, c1); c2 = a.fma(b, c2); c3 = a.fma(b, c3);
            c4 = a.fma(b, c4); c5 = a.fma(b, c5); c6 = a.fma(b, c6); c7 = a.fma(b, c7);
            c8 = a.fma(b, c8); c9 = a.fma(b, c9); c10 = a.fma(b, c10); c11 = a.fma(b, c11);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .reduceLanes(VectorOperators.ADD);
    }

    /** Sum of the longs in [from, to) of {@code seg}, four independent vector accumulators (a pure sequential read). */
    public static long sumLongs(MemorySegment seg, long from, long to) {
        int step = LONGS.vectorByteSize();
        LongVector a0 = LongVector.zero(LONGS);
        LongVector a1 = a0;
        LongVector a2 = a0;
        LongVector a3 = a0;
        long p = from;
        for (; p + 4L * step <= to; p += 4L * step) {
            a0 = LongVector.fromMemorySegment(LONGS, seg, p, ByteOrder.LITTLE_ENDIAN).add(a0);
            a1 = LongVector.fromMemorySegment(LONGS, seg, p + step, ByteOrder.LITTLE_ENDIAN).add(a1);
            a2 = LongVector.fromMemorySegment(LONGS, seg, p + 2L * step, ByteOrder.LITTLE_ENDIAN).add(a2);
            a3 = LongVector.fromMemorySegment(LONGS, seg, p + 3L * step, ByteOrder.LITTLE_ENDIAN).add(a3);
        }
        long s = a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
        for (; p + 8 <= to; p += 8) {
            s += seg.get(ValueLayout.JAVA_LONG_UNALIGNED, p);
        }
        return s;
    }
}
