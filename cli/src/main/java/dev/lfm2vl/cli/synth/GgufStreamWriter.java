package dev.lfm2vl.cli.synth;

import dev.lfm2vl.loader.TempFiles;

import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.kernels.Quantizer;
import dev.lfm2vl.loader.GgmlType;
import dev.lfm2vl.loader.GgufFile;
import dev.lfm2vl.loader.GgufMetadata;
import dev.lfm2vl.loader.GgufValue;
import dev.lfm2vl.loader.GgufWriter;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A GGUF v3 writer for files larger than memory (docs/MODEL.md §2.1): tensors are either raw bytes (copied) or
 * produced row by row as F32 by a {@link RowSource} and quantized on the fly with {@link Quantizer}, a chunk of
 * rows at a time spread over a {@link Parallel} pool, then streamed to the file. Only one chunk (a few MiB) is
 * held in memory. Writes a temporary file beside the target and renames it, so a failed or interrupted write
 * never leaves a partial file under the target name. Same layout as {@code GgufWriter}: metadata in insertion
 * order, tensors in order, each padded to the alignment.
 */
public final class GgufStreamWriter {
    /** Produces the F32 values of row {@code row} (ne0 floats) of a tensor; called concurrently for distinct rows. */
    @FunctionalInterface
    public interface RowSource {
        void row(long row, float[] out);
    }

    /** Called after each chunk: data bytes written so far and in total. */
    @FunctionalInterface
    public interface Progress {
        void update(long done, long total);

        Progress NONE = (d, t) -> {};
    }

    private record Entry(String name, GgmlType type, long[] shape, MemorySegment raw, RowSource rows) {
        long elements() {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }

        long bytes() {
            return type.bytesFor(elements());
        }
    }

    private static final long CHUNK_BYTES = 8L << 20;

    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<Entry> tensors = new ArrayList<>();

    /** Copies the metadata of {@code source} (in its order). */
    public GgufStreamWriter putAll(GgufMetadata source) {
        metadata.putAll(source.asMap());
        return this;
    }

    public GgufStreamWriter put(String key, GgufValue value) {
        metadata.put(Objects.requireNonNull(key), Objects.requireNonNull(value));
        return this;
    }

    /** A tensor whose bytes ({@code type} x {@code shape}) are copied as they are. */
    public GgufStreamWriter addRaw(String name, GgmlType type, long[] shape, MemorySegment data) {
        Entry e = new Entry(name, type, shape.clone(), data, null);
        if (e.bytes() != data.byteSize()) {
            throw new IllegalArgumentException(name + ": " + e.bytes() + " bytes expected for " + type + ", got " + data.byteSize());
        }
        return add(e);
    }

    /** A tensor of {@code type} whose rows (ne0 values each) {@code rows} produces as F32. */
    public GgufStreamWriter addRows(String name, GgmlType type, long[] shape, RowSource rows) {
        if (!Quantizer.canQuantize(type)) {
            throw new IllegalArgumentException(name + ": cannot write " + type + " rows");
        }
        if (shape.length == 0 || shape[0] % type.blockSize != 0 || shape[0] > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + ": row length " + (shape.length == 0 ? 0 : shape[0])
                    + " is not a multiple of the " + type + " block size " + type.blockSize);
        }
        return add(new Entry(name, type, shape.clone(), null, Objects.requireNonNull(rows)));
    }

    private GgufStreamWriter add(Entry e) {
        for (Entry t : tensors) {
            if (t.name.equals(e.name)) {
                throw new IllegalArgumentException("duplicate tensor " + e.name);
            }
        }
        tensors.add(e);
        return this;
    }

    public int tensorCount() {
        return tensors.size();
    }

    /** Bytes of tensor data (without padding). */
    public long dataBytes() {
        long n = 0;
        for (Entry e : tensors) {
            n += e.bytes();
        }
        return n;
    }

    /** Writes the file (temporary file + atomic rename). */
    public void write(Path path, Parallel pool, Progress progress) throws IOException {
        Path tmp = TempFiles.sibling(path);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                    Arena arena = Arena.ofShared()) {
                writeTo(ch, arena, pool, progress);
                ch.force(false);
            }
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private void writeTo(FileChannel ch, Arena arena, Parallel pool, Progress progress) throws IOException {
        GgufValue a = metadata.get(GgufFile.ALIGNMENT_KEY);
        long alignment = a == null ? GgufFile.DEFAULT_ALIGNMENT : (Long) a.value();
        long next = 0;
        long[] offsets = new long[tensors.size()];
        List<GgufWriter.TensorInfo> infos = new ArrayList<>();
        for (int i = 0; i < tensors.size(); i++) {
            Entry t = tensors.get(i);
            offsets[i] = next;
            next = GgufFile.alignUp(next + t.bytes(), alignment);
            infos.add(new GgufWriter.TensorInfo(t.name, t.type, t.shape, offsets[i]));
        }
        ByteBuffer head = GgufWriter.header(3, metadata, infos, alignment);
        long dataStart = head.remaining();
        GgufWriter.writeFully(ch, head, 0);
        long total = dataBytes();
        long done = 0;
        MemorySegment chunk = arena.allocate(CHUNK_BYTES, 64);
        for (int i = 0; i < tensors.size(); i++) {
            Entry t = tensors.get(i);
            long pos = dataStart + offsets[i];
            if (t.raw != null) {
                for (long d = 0; d < t.bytes(); ) {
                    long n = Math.min(CHUNK_BYTES, t.bytes() - d);
                    MemorySegment.copy(t.raw, d, chunk, 0, n);
                    GgufWriter.writeFully(ch, chunk.asSlice(0, n).asByteBuffer(), pos + d);
                    d += n;
                    done += n;
                    progress.update(done, total);
                }
            } else {
                int cols = (int) t.shape[0];
                long rows = t.elements() / cols;
                long rowBytes = t.type.bytesFor(cols);
                long perChunk = Math.max(1, CHUNK_BYTES / rowBytes);
                MemorySegment buf = rowBytes > CHUNK_BYTES ? arena.allocate(rowBytes, 64) : chunk;
                for (long r0 = 0; r0 < rows; r0 += perChunk) {
                    long first = r0;
                    int n = (int) Math.min(perChunk, rows - r0);
                    int tasks = Math.min(n, pool.threads() * 4);
                    pool.run(tasks, task -> {
                        float[] row = new float[cols];
                        int from = (int) ((long) n * task / tasks);
                        int to = (int) ((long) n * (task + 1) / tasks);
                        for (int r = from; r < to; r++) {
                            t.rows.row(first + r, row);
                            Quantizer.quantizeRow(t.type, row, 0, cols, buf, r * rowBytes);
                        }
                    });
                    long bytes = n * rowBytes;
                    GgufWriter.writeFully(ch, buf.asSlice(0, bytes).asByteBuffer(), pos + r0 * rowBytes);
                    done += bytes;
                    progress.update(done, total);
                }
            }
            long padded = GgufFile.alignUp(t.bytes(), alignment);
            if (padded > t.bytes()) {
                GgufWriter.writeFully(ch, ByteBuffer.allocate((int) (padded - t.bytes())), pos + t.bytes());
            }
        }
    }

}
