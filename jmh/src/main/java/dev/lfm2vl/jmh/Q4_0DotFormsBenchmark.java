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
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
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
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * One thread, every row of a Q4_0 matrix dotted with x, in two formulations (docs/PERFORMANCE.md, "Why decode
 * cannot reach llama.cpp on JDK 25"). {@code f32} is the production dot ({@link WeightMatrix#dot}: nibbles widened
 * to ints, each weight formed as the float d·(n − 8), FMA with F32 activations). {@code intLane} is the cheapest integer formulation the
 * JDK 25 Vector API allows, with x quantized per 32-block to int8 as llama.cpp does (kept widened as shorts): per
 * block it zero-extends the 16 nibble bytes to 16 shorts, masks and shifts, makes two 16-bit products, adds them,
 * widens the 16 sums to ints, converts them to floats and applies the block's combined scale with one FMA; the −8
 * of every weight is one scalar term per block (scale × Σ x). No Vector API operation multiplies and sums adjacent
 * lanes (x86 {@code vpmaddwd}/{@code vpdpbusd}), so the 32 products of a block stay spread over 16 lanes.
 *
 * <p>{@code intLane} needs 512-bit vectors (16 shorts in 256 bits, 16 ints in 512); {@code f32} runs anywhere.
 * Score / (rows × cols/32) = ns per 32-weight block; the default shape (1.2 MB of Q4_0) stays in L2/L3, so it times
 * instructions, not memory.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class Q4_0DotFormsBenchmark {
    private static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S256 = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I512 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F512 = FloatVector.SPECIES_512;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Param({"1024x2048"})
    public String shape;

    private Arena arena;
    private MemorySegment data;
    private WeightMatrix w;
    private int rows, cols;
    private float[] x, y;
    /** x quantized per 32-block (llama.cpp's Q8_0 of the activations): values, scales, Σ of the values. */
    private short[] xq;
    private float[] xScale, xqSum;

    @Setup(Level.Trial)
    public void setup(BenchmarkParams params) {
        if (params.getBenchmark().endsWith(".intLane") && IntVector.SPECIES_PREFERRED.vectorBitSize() < 512) {
            throw new IllegalStateException("intLane needs 512-bit vectors; this JVM prefers "
                    + IntVector.SPECIES_PREFERRED.vectorBitSize() + " bits");
        }
        int[] d = RandomWeights.dims(shape);
        rows = d[0];
        cols = d[1];
        arena = Arena.ofShared();
        data = RandomWeights.fill(arena, GgmlType.Q4_0, rows, cols, 42);
        w = WeightMatrix.of(GgmlType.Q4_0, data, rows, cols);
        x = RandomWeights.vector(cols, 7);
        y = new float[rows];
        int nb = cols / 32;
        xq = new short[cols];
        xScale = new float[nb];
        xqSum = new float[nb];
        for (int b = 0; b < nb; b++) {
            float max = 0;
            for (int k = 32 * b; k < 32 * b + 32; k++) {
                max = Math.max(max, Math.abs(x[k]));
            }
            xScale[b] = max / 127;
            float inv = max == 0 ? 0 : 127 / max;
            int sum = 0;
            for (int k = 32 * b; k < 32 * b + 32; k++) {
                xq[k] = (short) Math.round(x[k] * inv);
                sum += xq[k];
            }
            xqSum[b] = sum;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float[] f32() {
        for (int r = 0; r < rows; r++) {
            y[r] = w.dot(r, x, 0);
        }
        return y;
    }

    @Benchmark
    public float[] intLane() {
        long rowBytes = w.rowBytes();
        int nb = cols / 32;
        for (int r = 0; r < rows; r++) {
            y[r] = dotIntLane(data, rowBytes * r, nb, xq, xScale, xqSum);
        }
        return y;
    }

    /** Σ_b d_b·dx_b·(Σ q·xq − 8·Σ xq) over the blocks of one row; q the nibbles (docs/MODEL.md §2.4 Q4_0). */
    static float dotIntLane(MemorySegment s, long row, int nb, short[] xq, float[] xScale, float[] xqSum) {
        FloatVector acc = FloatVector.zero(F512);
        float offsets = 0;
        for (int b = 0; b < nb; b++) {
            long p = row + 18L * b;
            float d = Float.float16ToFloat(s.get(U16, p)) * xScale[b];
            ShortVector q = (ShortVector) ByteVector.fromMemorySegment(B128, s, p + 2, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2S, S256, 0);
            ShortVector lo = q.and((short) 0x0F).mul(ShortVector.fromArray(S256, xq, 32 * b));
            ShortVector hi = q.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(S256, xq, 32 * b + 16));
            IntVector sums = (IntVector) hi.add(lo).convertShape(VectorOperators.S2I, I512, 0);
            acc = ((FloatVector) sums.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F512, d), acc);
            offsets += d * xqSum[b];
        }
        return acc.reduceLanes(VectorOperators.ADD) - 8 * offsets;
    }
}
