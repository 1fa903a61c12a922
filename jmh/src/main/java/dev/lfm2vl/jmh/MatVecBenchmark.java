package dev.lfm2vl.jmh;

import dev.lfm2vl.kernels.MatVec;
import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.kernels.WeightMatrix;
import dev.lfm2vl.loader.GgmlType;
import java.lang.foreign.Arena;
import java.util.concurrent.TimeUnit;
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
 * Decode mat-vec y = W·x at the LFM2-2.6B shapes (rows x cols). Weight bytes per call = rows x row bytes;
 * compare bytes/time with {@link MemoryBandwidthBenchmark} at the same thread count.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class MatVecBenchmark {
    @Param({"Q4_0", "Q8_0", "F32", "F16", "BF16", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    public String type;

    @Param({"6144x2048", "10752x2048", "2048x10752", "2048x2048", "65536x2048"})
    public String shape;

    /** 0 = all available processors. */
    @Param({"0"})
    public int threads;

    private Arena arena;
    private Parallel pool;
    private WeightMatrix w;
    private float[] x, y;

    @Setup(Level.Trial)
    public void setup() {
        int[] d = RandomWeights.dims(shape);
        GgmlType t = GgmlType.valueOf(type);
        arena = Arena.ofShared();
        w = WeightMatrix.of(t, RandomWeights.fill(arena, t, d[0], d[1], 42), d[0], d[1]);
        x = RandomWeights.vector(d[1], 7);
        y = new float[d[0]];
        pool = threads == 0 ? Parallel.create() : Parallel.create(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        arena.close();
    }

    @Benchmark
    public float[] matVec() {
        MatVec.matVec(w, x, 0, y, 0, pool);
        return y;
    }

    /** For reports: bytes streamed per call. */
    public static long weightBytes(String type, String shape) {
        int[] d = RandomWeights.dims(shape);
        return GgmlType.valueOf(type).bytesFor((long) d[0] * d[1]);
    }
}
