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
 * n activation vectors against one matrix (the batched decode of n streams, issue 18): {@code singles} runs n
 * {@link MatVec#matVec} calls, {@code batch} one {@link MatVec#matVecBatch}; both give every vector the same bits.
 * batch / singles at the same n is the kernel-level speed-up of batching; singles at n = 1 is the single-stream
 * mat-vec. Shapes are the synthetic LFM2-VL-3B's (hidden 2048, feed-forward 10752; docs/PERFORMANCE.md); 1024x2048
 * (1.2 MB of Q4_0) stays in cache and times instructions: score / (n x rows x cols/32) = ns per block per vector.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class MatVecBatchBenchmark {
    @Param({"Q4_0", "Q8_0"})
    public String type;

    @Param({"10752x2048", "2048x10752", "2048x2048"})
    public String shape;

    @Param({"1", "2", "4", "8"})
    public int n;

    /** 0 = all available processors. */
    @Param({"0"})
    public int threads;

    private Arena arena;
    private Parallel pool;
    private WeightMatrix w;
    private float[][] xs, ys;

    @Setup(Level.Trial)
    public void setup() {
        int[] d = RandomWeights.dims(shape);
        GgmlType t = GgmlType.valueOf(type);
        arena = Arena.ofShared();
        w = WeightMatrix.of(t, RandomWeights.fill(arena, t, d[0], d[1], 42), d[0], d[1]);
        xs = new float[n][];
        ys = new float[n][d[0]];
        for (int i = 0; i < n; i++) {
            xs[i] = RandomWeights.vector(d[1], 7 + i);
        }
        pool = threads == 0 ? Parallel.create() : Parallel.create(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        arena.close();
    }

    @Benchmark
    public float[][] singles() {
        for (int i = 0; i < n; i++) {
            MatVec.matVec(w, xs[i], 0, ys[i], 0, pool);
        }
        return ys;
    }

    @Benchmark
    public float[][] batch() {
        MatVec.matVecBatch(w, xs, 0, n, ys, 0, pool);
        return ys;
    }
}
