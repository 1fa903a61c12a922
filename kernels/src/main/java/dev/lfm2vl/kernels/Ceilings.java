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
    /** The read ceiling also tries 256-bit loads: on Zen 4, 512-bit ones stream mapped memory ~1.2x slower. */
    private static final VectorSpecies<Long> LONGS_256 = LongVector.SPECIES_PREFERRED.vectorBitSize() > 256 ? LongVector.SPECIES_256 : LONGS;
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

    /** {@link #sumLongs} with 256-bit loads (the same loop: species must be constants for C2). */
    static long sumLongs256(MemorySegment seg, long from, long to) {
        int step = LONGS_256.vectorByteSize();
        LongVector a0 = LongVector.zero(LONGS_256);
        LongVector a1 = a0;
        LongVector a2 = a0;
        LongVector a3 = a0;
        long p = from;
        for (; p + 4L * step <= to; p += 4L * step) {
            a0 = LongVector.fromMemorySegment(LONGS_256, seg, p, ByteOrder.LITTLE_ENDIAN).add(a0);
            a1 = LongVector.fromMemorySegment(LONGS_256, seg, p + step, ByteOrder.LITTLE_ENDIAN).add(a1);
            a2 = LongVector.fromMemorySegment(LONGS_256, seg, p + 2L * step, ByteOrder.LITTLE_ENDIAN).add(a2);
            a3 = LongVector.fromMemorySegment(LONGS_256, seg, p + 3L * step, ByteOrder.LITTLE_ENDIAN).add(a3);
        }
        long s = a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
        for (; p + 8 <= to; p += 8) {
            s += seg.get(ValueLayout.JAVA_LONG_UNALIGNED, p);
        }
        return s;
    }

    /**
     * Best GB/s of summing {@code seg} (mapped) over the pool's threads for at least {@code millis}, with the
     * preferred vector width and with 256-bit loads: the ceiling is the faster of the two, so ratios to it mean
     * what the hardware can do (issue 16).
     */
    public static double readBandwidth(Parallel pool, MemorySegment seg, long millis) {
        return Math.max(readBandwidth(pool, seg, millis / 2, false), readBandwidth(pool, seg, millis / 2, true));
    }

    private static double readBandwidth(Parallel pool, MemorySegment seg, long millis, boolean narrow) {
        {
            long size = seg.byteSize() / 64 * 64;
            int tasks = pool.threads();
            long[] sink = new long[tasks];
            Parallel.Task pass = task -> {
                long from = size * task / tasks / 64 * 64;
                long to = task == tasks - 1 ? size : size * (task + 1) / tasks / 64 * 64;
                sink[task] += narrow ? sumLongs256(seg, from, to) : sumLongs(seg, from, to);
            };
            // JIT warm-up of the kernel on the first MiB, then one untimed pass for the page faults
            MemorySegment head = seg.asSlice(0, Math.min(size, 1 << 20));
            for (int i = 0; i < 200; i++) {
                sink[0] += narrow ? sumLongs256(head, 0, head.byteSize()) : sumLongs(head, 0, head.byteSize());
            }
            pool.run(tasks, pass);
            double best = 0;
            long deadline = System.nanoTime() + millis * 1_000_000;
            int passes = 0;
            do {
                long t0 = System.nanoTime();
                pool.run(tasks, pass);
                best = Math.max(best, size / ((System.nanoTime() - t0) / 1e9) / 1e9);
                passes++;
            } while (passes < 2 || System.nanoTime() < deadline);
            if (sink[0] == 42) {
                System.err.print(""); // keep the sums alive
            }
            return best;
        }
    }

    /**
     * GFLOP/s of independent F32 vector FMA chains on every pool thread (no memory traffic): calibrates an
     * iteration count to about a quarter of {@code millis}, then keeps the best of the runs over {@code millis}.
     */
    public static double fmaThroughput(Parallel pool, long millis) {
        int tasks = pool.threads();
        float[] sink = new float[tasks];
        long[] iters = {1 << 12};
        Parallel.Task run = task -> sink[task] += fmaChains(iters[0], task);
        // JIT warm-up on the caller, then calibration over the pool
        for (int i = 0; i < 200; i++) {
            sink[0] += fmaChains(2000, i);
        }
        long quarter = Math.max(1, millis / 4) * 1_000_000;
        while (true) {
            long t0 = System.nanoTime();
            pool.run(tasks, run);
            if (System.nanoTime() - t0 >= quarter || iters[0] > (1L << 40)) {
                break;
            }
            iters[0] *= 2;
        }
        double best = 0;
        long deadline = System.nanoTime() + millis * 1_000_000;
        int runs = 0;
        do {
            long t0 = System.nanoTime();
            pool.run(tasks, run);
            double flops = fmaFlops(iters[0]) * tasks;
            best = Math.max(best, flops / ((System.nanoTime() - t0) / 1e9) / 1e9);
            runs++;
        } while (runs < 2 || System.nanoTime() < deadline);
        if (sink[0] == 42f) {
            System.err.print("");
        }
        return best;
    }
}
