package dev.lfm2vl.jmh;

import dev.lfm2vl.kernels.WeightMatrix;
import dev.lfm2vl.loader.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One thread, every row of a Q8_0 matrix dotted with x, in the F32 formulations the JDK 25 Vector API allows
 * (docs/PERFORMANCE.md, "Q8_0 decode: the formulations measured"). {@code production} is {@link WeightMatrix#dot}
 * (each weight formed as d·q, then one FMA with x, so batched decode can share the weights). {@code blockSum} is
 * the form before issue 18: Σ q·x per block, then one FMA by d. {@code repacked} is the layout a load-time repack
 * would give (issue 16 allows one): the 32 quants of a block contiguous and 64-byte aligned, the scales as floats in
 * their own array, so no load straddles a block's 2-byte scale. {@code scaleFree} drops the scale altogether; it
 * is not a dot of this matrix, only the floor of any F32 form: what is left is converting the quants and one FMA
 * per 16 weights, which an int8 block sum (llama.cpp's {@code vpdpbusd}) is what removes.
 *
 * <p>Needs 512-bit vectors (16 bytes feed one float vector). Score / (rows × cols/32) = ns per 32-weight block:
 * 1024x2048 (2.2 MB) stays in cache and times instructions, 65536x2048 (143 MB) streams from DRAM as decode does.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class Q8_0DotFormsBenchmark {
    private static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Float> F512 = FloatVector.SPECIES_512;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Param({"1024x2048", "65536x2048"})
    public String shape;

    private Arena arena;
    private MemorySegment data, quants, scales;
    private WeightMatrix w;
    private int rows, cols;
    private float[] x, y;

    @Setup(Level.Trial)
    public void setup() {
        if (FloatVector.SPECIES_PREFERRED.vectorBitSize() < 512) {
            throw new IllegalStateException("needs 512-bit vectors; this JVM prefers "
                    + FloatVector.SPECIES_PREFERRED.vectorBitSize() + " bits");
        }
        int[] d = RandomWeights.dims(shape);
        rows = d[0];
        cols = d[1];
        arena = Arena.ofShared();
        data = RandomWeights.fill(arena, GgmlType.Q8_0, rows, cols, 42);
        w = WeightMatrix.of(GgmlType.Q8_0, data, rows, cols);
        x = RandomWeights.vector(cols, 7);
        y = new float[rows];
        long blocks = (long) rows * cols / 32;
        quants = arena.allocate(32 * blocks, 64);
        scales = arena.allocate(4 * blocks, 64);
        for (long b = 0; b < blocks; b++) { // the same weights, repacked
            MemorySegment.copy(data, 34 * b + 2, quants, 32 * b, 32);
            scales.set(F32, 4 * b, Float.float16ToFloat(data.get(U16, 34 * b)));
        }
        int nb = cols / 32;
        for (int r = 0; r < Math.min(rows, 64); r++) { // the valid forms compute the same dot (summation order aside)
            float want = w.dot(r, x, 0);
            float[] got = {dotBlockSum(data, 34L * nb * r, nb, x), dotRepacked(quants, 32L * nb * r, scales, 4L * nb * r, nb, x)};
            for (float g : got) {
                if (Math.abs(g - want) > 1e-4f * (1 + Math.abs(want))) {
                    throw new IllegalStateException("row " + r + ": " + g + " instead of " + want);
                }
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float[] production() {
        for (int r = 0; r < rows; r++) {
            y[r] = w.dot(r, x, 0);
        }
        return y;
    }

    @Benchmark
    public float[] blockSum() {
        int nb = cols / 32;
        for (int r = 0; r < rows; r++) {
            y[r] = dotBlockSum(data, 34L * nb * r, nb, x);
        }
        return y;
    }

    @Benchmark
    public float[] repacked() {
        int nb = cols / 32;
        for (int r = 0; r < rows; r++) {
            y[r] = dotRepacked(quants, 32L * nb * r, scales, 4L * nb * r, nb, x);
        }
        return y;
    }

    @Benchmark
    public float[] scaleFree() {
        int nb = cols / 32;
        for (int r = 0; r < rows; r++) {
            y[r] = dotScaleFree(data, 34L * nb * r, nb, x);
        }
        return y;
    }

    private static FloatVector quants(MemorySegment s, long off) {
        return (FloatVector) ByteVector.fromMemorySegment(B128, s, off, ByteOrder.LITTLE_ENDIAN).castShape(F512, 0);
    }

    /** Σ_b d_b·(q·x over the block): one multiply, one FMA into the block sum, one FMA by d. */
    static float dotBlockSum(MemorySegment s, long row, int nb, float[] x) {
        FloatVector a0 = FloatVector.zero(F512), a1 = a0;
        for (int b = 0; b + 1 < nb; b += 2) { // two chains, a block each
            long p = row + 34L * b;
            int k = 32 * b;
            FloatVector s0 = quants(s, p + 2).mul(FloatVector.fromArray(F512, x, k));
            s0 = quants(s, p + 18).fma(FloatVector.fromArray(F512, x, k + 16), s0);
            a0 = s0.fma(FloatVector.broadcast(F512, Float.float16ToFloat(s.get(U16, p))), a0);
            FloatVector s1 = quants(s, p + 36).mul(FloatVector.fromArray(F512, x, k + 32));
            s1 = quants(s, p + 52).fma(FloatVector.fromArray(F512, x, k + 48), s1);
            a1 = s1.fma(FloatVector.broadcast(F512, Float.float16ToFloat(s.get(U16, p + 34))), a1);
        }
        return a0.add(a1).reduceLanes(VectorOperators.ADD);
    }

    /** The production form over the repacked layout: d·q FMA'd with x, d a float load. */
    static float dotRepacked(MemorySegment q, long row, MemorySegment sc, long srow, int nb, float[] x) {
        FloatVector a0 = FloatVector.zero(F512), a1 = a0;
        for (int b = 0; b < nb; b++) {
            long p = row + 32L * b;
            int k = 32 * b;
            FloatVector d = FloatVector.broadcast(F512, sc.get(F32, srow + 4L * b));
            a0 = quants(q, p).mul(d).fma(FloatVector.fromArray(F512, x, k), a0);
            a1 = quants(q, p + 16).mul(d).fma(FloatVector.fromArray(F512, x, k + 16), a1);
        }
        return a0.add(a1).reduceLanes(VectorOperators.ADD);
    }

    /** Not a dot of this matrix (no scale): the floor of the F32 forms, conversion and one FMA per 16 weights. */
    static float dotScaleFree(MemorySegment s, long row, int nb, float[] x) {
        FloatVector a0 = FloatVector.zero(F512), a1 = a0;
        for (int b = 0; b < nb; b++) {
            long p = row + 34L * b;
            int k = 32 * b;
            a0 = quants(s, p + 2).fma(FloatVector.fromArray(F512, x, k), a0);
            a1 = quants(s, p + 18).fma(FloatVector.fromArray(F512, x, k + 16), a1);
        }
        return a0.add(a1).reduceLanes(VectorOperators.ADD);
    }
}
