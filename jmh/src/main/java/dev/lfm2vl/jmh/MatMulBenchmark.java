package dev.lfm2vl.jmh;

import dev.lfm2vl.kernels.MatMul;
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
 * Batched Y = X·Wᵀ, parameter {@code batch} = "rows x cols x tokens" (named apart from MatVecBenchmark's
 * {@code shape} so both can be given different values in one JMH run). Text shapes at 64 and 512 tokens (prefill), SigLIP2 shapes at
 * 1024 tokens (vision tower). Flops per call = 2·rows·cols·tokens; compare with {@link FmaThroughputBenchmark}.
 * 1152x4304 has cols not a multiple of 32: only F32/F16/BF16 can run it (the real mmproj keeps that
 * ffn_down F16, docs/MODEL.md pitfall 25); block types fail in setup.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class MatMulBenchmark {
    @Param({"F32", "F16", "Q8_0", "Q4_0"})
    public String type;

    @Param({"6144x2048x64", "6144x2048x512", "10752x2048x64", "10752x2048x512", "2048x10752x64",
        "2048x10752x512", "2048x2048x64", "2048x2048x512", "65536x2048x64", "65536x2048x512",
        "1152x1152x1024", "4304x1152x1024", "1152x4304x1024"})
    public String batch;

    /** 0 = all available processors. */
    @Param({"0"})
    public int threads;

    private Arena arena;
    private Parallel pool;
    private WeightMatrix w;
    private float[] x, y;
    private int tokens;

    @Setup(Level.Trial)
    public void setup() {
        int[] d = RandomWeights.dims(batch);
        GgmlType t = GgmlType.valueOf(type);
        if (d[1] % t.blockSize != 0) {
            throw new IllegalStateException(type + " cannot hold " + d[1] + " columns (not whole blocks)");
        }
        tokens = d[2];
        arena = Arena.ofShared();
        w = WeightMatrix.of(t, RandomWeights.fill(arena, t, d[0], d[1], 42), d[0], d[1]);
        x = RandomWeights.vector(tokens * d[1], 7);
        y = new float[tokens * d[0]];
        pool = threads == 0 ? Parallel.create() : Parallel.create(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        arena.close();
    }

    @Benchmark
    public float[] matMul() {
        MatMul.matMul(w, x, tokens, y, pool);
        return y;
    }
}
