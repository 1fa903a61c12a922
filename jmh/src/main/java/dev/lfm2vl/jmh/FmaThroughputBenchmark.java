package dev.lfm2vl.jmh;

import dev.lfm2vl.kernels.Ceilings;
import dev.lfm2vl.kernels.Parallel;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
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
 * The compute ceiling: every pool thread runs {@link #ITERATIONS} steps of {@link Ceilings#FMA_CHAINS} independent vector FMA
 * chains (enough to cover FMA latency x throughput), no memory traffic.
 * Flops per call = threads x ITERATIONS x FMA_CHAINS x lanes x 2 (lanes = SPECIES_PREFERRED length, printed in setup).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class FmaThroughputBenchmark {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int ITERATIONS = 1 << 20;

    /** 0 = all available processors. */
    @Param({"0"})
    public int threads;

    private Parallel pool;
    private float[] out;
    private Parallel.Task task;

    @Setup(Level.Trial)
    public void setup() {
        pool = threads == 0 ? Parallel.create() : Parallel.create(threads);
        out = new float[pool.threads()];
        task = this::spin;
        System.out.println("# FMA lanes " + F.length() + ", threads " + pool.threads() + ", flops/call "
                + (long) (pool.threads() * Ceilings.fmaFlops(ITERATIONS)));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    private void spin(int t) {
        out[t] = Ceilings.fmaChains(ITERATIONS, t); // the loop lfm2vl bench times too
    }

    /** One task per pool thread (claimed from the shared counter, so each thread normally takes one). */
    @Benchmark
    public float[] fma() {
        pool.run(pool.threads(), task);
        return out;
    }
}
