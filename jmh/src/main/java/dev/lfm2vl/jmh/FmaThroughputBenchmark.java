package dev.lfm2vl.jmh;

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
 * The compute ceiling: every pool thread runs {@link #ITERATIONS} steps of 10 independent vector FMA
 * chains (enough to cover FMA latency x throughput), no memory traffic.
 * Flops per call = threads x ITERATIONS x 10 x lanes x 2 (lanes = SPECIES_PREFERRED length, printed in setup).
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
                + (long) pool.threads() * ITERATIONS * 10 * F.length() * 2);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    private void spin(int t) {
        FloatVector m = FloatVector.broadcast(F, 0.999f);
        FloatVector c = FloatVector.broadcast(F, 1e-3f);
        FloatVector a0 = FloatVector.broadcast(F, t), a1 = a0.add(1), a2 = a0.add(2), a3 = a0.add(3), a4 = a0.add(4);
        FloatVector a5 = a0.add(5), a6 = a0.add(6), a7 = a0.add(7), a8 = a0.add(8), a9 = a0.add(9);
        for (int i = 0; i < ITERATIONS; i++) {
            a0 = a0.fma(m, c);
            a1 = a1.fma(m, c);
            a2 = a2.fma(m, c);
            a3 = a3.fma(m, c);
            a4 = a4.fma(m, c);
            a5 = a5.fma(m, c);
            a6 = a6.fma(m, c);
            a7 = a7.fma(m, c);
            a8 = a8.fma(m, c);
            a9 = a9.fma(m, c);
        }
        out[t] = a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).lane(0);
    }

    /** One task per pool thread (claimed from the shared counter, so each thread normally takes one). */
    @Benchmark
    public float[] fma() {
        pool.run(pool.threads(), task);
        return out;
    }
}
