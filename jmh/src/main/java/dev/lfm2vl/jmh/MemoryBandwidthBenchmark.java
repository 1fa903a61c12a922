package dev.lfm2vl.jmh;

import dev.lfm2vl.kernels.Ceilings;
import dev.lfm2vl.kernels.Parallel;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
 * The memory ceiling: a sequential read of 1 GiB, split into 1 MiB chunks over the same kind of pool the
 * kernels use; bytes/s = 2^30 / (time per call). {@code read1GiBMapped} reads a mapped temp file
 * (page-cache resident after the first pass, 4 KiB pages: how GGUF weights are read in the runtime);
 * {@code read1GiBArena} reads an Arena allocation (how MatVecBenchmark holds its weights, so this is the
 * ceiling its ratios use).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class MemoryBandwidthBenchmark {
    static final long SIZE = 1L << 30;
    static final long CHUNK = 1L << 20;

    /** 0 = all available processors. */
    @Param({"0"})
    public int threads;

    private Path file;
    private Arena arena;
    private MemorySegment mapped, anon, data;
    private Parallel pool;
    private final long[] partial = new long[(int) (SIZE / CHUNK)];
    private Parallel.Task task;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        file = Files.createTempFile("lfm2vl-bandwidth", ".bin");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 22).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < buf.capacity() / 4; i++) {
                buf.putFloat(i * 4, (i % 1000) * 1e-3f); // real data: no shared zero pages
            }
            for (long written = 0; written < SIZE; written += buf.capacity()) {
                buf.clear();
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            }
        }
        arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, SIZE, arena);
        }
        anon = arena.allocate(SIZE, 4096);
        anon.copyFrom(mapped);
        pool = threads == 0 ? Parallel.create() : Parallel.create(threads);
        task = this::readChunk;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        pool.close();
        arena.close();
        Files.deleteIfExists(file);
    }

    /** Sums one 1 MiB chunk with the loop lfm2vl bench times too. */
    private void readChunk(int c) {
        partial[c] = Ceilings.sumLongs(data, c * CHUNK, (c + 1) * CHUNK);
    }

    @Benchmark
    public long[] read1GiBMapped() {
        data = mapped;
        pool.run(partial.length, task);
        return partial;
    }

    @Benchmark
    public long[] read1GiBArena() {
        data = anon;
        pool.run(partial.length, task);
        return partial;
    }
}
