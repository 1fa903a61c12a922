package dev.lfm2vl.loader;

import dev.lfm2vl.loader.GgufValue.GgufArray;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes GGUF v3 files (docs/MODEL.md §2.1): metadata in insertion order, tensor infos, then tensor data, each
 * tensor padded with zeros to the alignment as llama.cpp's writers do. A tensor may be placed at an explicit
 * offset; the gap before it is left as a hole, so tests can make sparse files far larger than 4 GiB.
 * {@link #write(Path)} writes to a temporary file and renames it, so a failed write leaves no partial file.
 */
public final class GgufWriter {
    private final int version;
    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private final List<String> tensorNames = new ArrayList<>();

    private record Tensor(String name, GgmlType type, long[] shape, MemorySegment data, long offset) {}

    public GgufWriter() {
        this(3);
    }

    public GgufWriter(int version) {
        if (version != 2 && version != 3) {
            throw new IllegalArgumentException("GGUF version must be 2 or 3");
        }
        this.version = version;
    }

    /** Copies the metadata of {@code source} (in its order). */
    public GgufWriter putAll(GgufMetadata source) {
        metadata.putAll(source.asMap());
        return this;
    }

    public GgufWriter put(String key, GgufValue value) {
        metadata.put(key, value);
        return this;
    }

    public GgufWriter remove(String key) {
        metadata.remove(key);
        return this;
    }

    public long alignment() {
        GgufValue a = metadata.get(GgufFile.ALIGNMENT_KEY);
        return a == null ? GgufFile.DEFAULT_ALIGNMENT : (Long) a.value();
    }

    /** Adds a tensor placed right after the previous one (aligned). */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, MemorySegment data) {
        return addTensorAt(name, type, shape, data, -1);
    }

    /** Adds a tensor at {@code offset} bytes from the data start (a multiple of the alignment), or -1 for next. */
    public GgufWriter addTensorAt(String name, GgmlType type, long[] shape, MemorySegment data, long offset) {
        long elements = 1;
        for (long d : shape) {
            elements = Math.multiplyExact(elements, d);
        }
        long bytes = type.bytesFor(elements);
        if (bytes != data.byteSize()) {
            throw new IllegalArgumentException(name + ": " + bytes + " bytes expected for " + type + " x " + elements
                    + ", got " + data.byteSize());
        }
        if (tensorNames.contains(name)) {
            throw new IllegalArgumentException("duplicate tensor " + name);
        }
        tensorNames.add(name);
        tensors.add(new Tensor(name, type, shape.clone(), data, offset));
        return this;
    }

    /** Writes the file atomically (temp file + rename). */
    public void write(Path path) throws IOException {
        Path tmp = TempFiles.sibling(path);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writeTo(ch);
            }
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The file's bytes (for small files in tests). */
    public byte[] toByteArray() throws IOException {
        Path tmp = Files.createTempFile("gguf-writer", ".gguf");
        try {
            write(tmp);
            return Files.readAllBytes(tmp);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** A tensor's entry in the header: name, type, shape in ggml order, offset from the data start. */
    public record TensorInfo(String name, GgmlType type, long[] shape, long offset) {}

    /**
     * The header of a GGUF file: magic, version, counts, metadata, tensor infos, zero-padded to the aligned data
     * start (so the first tensor's data follows the returned bytes). Shared by every writer of the project.
     */
    public static ByteBuffer header(int version, Map<String, GgufValue> metadata, List<TensorInfo> tensors, long alignment) {
        Out out = new Out();
        out.u32(GgufFile.MAGIC);
        out.u32(version);
        out.u64(tensors.size());
        out.u64(metadata.size());
        for (Map.Entry<String, GgufValue> e : metadata.entrySet()) {
            out.string(e.getKey());
            out.u32(e.getValue().type().id);
            out.value(e.getValue().type(), e.getValue().value());
        }
        for (TensorInfo t : tensors) {
            out.string(t.name());
            out.u32(t.shape().length);
            for (long d : t.shape()) {
                out.u64(d);
            }
            out.u32(t.type().id);
            out.u64(t.offset());
        }
        long dataStart = GgufFile.alignUp(out.size(), alignment);
        while (out.size() < dataStart) {
            out.u8(0);
        }
        return out.buffer();
    }

    /** Writes every byte of {@code b} at {@code pos}. */
    public static void writeFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            pos += ch.write(b, pos);
        }
    }

    private void writeTo(FileChannel ch) throws IOException {
        long alignment = alignment();
        long next = 0;
        long[] offsets = new long[tensors.size()];
        List<TensorInfo> infos = new ArrayList<>();
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            long off = t.offset >= 0 ? t.offset : next;
            if (off % alignment != 0) {
                throw new IllegalArgumentException(t.name + ": offset " + off + " is not aligned to " + alignment);
            }
            offsets[i] = off;
            next = Math.max(next, GgufFile.alignUp(off + t.data.byteSize(), alignment));
            infos.add(new TensorInfo(t.name, t.type, t.shape, off));
        }
        ByteBuffer head = header(version, metadata, infos, alignment);
        long dataStart = head.remaining();
        writeFully(ch, head, 0);
        ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
        MemorySegment chunkSeg = MemorySegment.ofBuffer(chunk);
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            long pos = dataStart + offsets[i];
            // Copied through a bounded buffer: works for heap segments of any element type and > 2 GiB tensors.
            for (long done = 0; done < t.data.byteSize(); ) {
                int n = (int) Math.min(chunk.capacity(), t.data.byteSize() - done);
                MemorySegment.copy(t.data, done, chunkSeg, 0, n);
                writeFully(ch, chunk.clear().limit(n), pos + done);
                done += n;
            }
            long padded = GgufFile.alignUp(t.data.byteSize(), alignment);
            if (padded > t.data.byteSize()) {
                writeFully(ch, ByteBuffer.allocate((int) (padded - t.data.byteSize())), pos + t.data.byteSize());
            }
        }
    }

    /** A growable little-endian byte buffer for the header. */
    private static final class Out {
        private ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

        private void ensure(int n) {
            if (buf.remaining() < n) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + n)).order(ByteOrder.LITTLE_ENDIAN);
                buf.flip();
                bigger.put(buf);
                buf = bigger;
            }
        }

        int size() {
            return buf.position();
        }

        ByteBuffer buffer() {
            return buf.duplicate().flip();
        }

        void u8(int v) {
            ensure(1);
            buf.put((byte) v);
        }

        void u16(int v) {
            ensure(2);
            buf.putShort((short) v);
        }

        void u32(int v) {
            ensure(4);
            buf.putInt(v);
        }

        void u64(long v) {
            ensure(8);
            buf.putLong(v);
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            ensure(b.length);
            buf.put(b);
        }

        void value(GgufValueType type, Object v) {
            switch (type) {
                case UINT8, INT8 -> u8((int) (long) (Long) v);
                case UINT16, INT16 -> u16((int) (long) (Long) v);
                case UINT32, INT32 -> u32((int) (long) (Long) v);
                case UINT64, INT64 -> u64((Long) v);
                case FLOAT32 -> u32(Float.floatToRawIntBits((float) (double) (Double) v));
                case FLOAT64 -> u64(Double.doubleToRawLongBits((Double) v));
                case BOOL -> u8((Boolean) v ? 1 : 0);
                case STRING -> string((String) v);
                case ARRAY -> array((GgufArray) v);
            }
        }

        void array(GgufArray a) {
            u32(a.elementType().id);
            u64(a.length());
            switch (a.values()) {
                case long[] xs -> { for (long x : xs) value(a.elementType(), x); }
                case double[] xs -> { for (double x : xs) value(a.elementType(), x); }
                case boolean[] xs -> { for (boolean x : xs) u8(x ? 1 : 0); }
                case String[] xs -> { for (String x : xs) string(x); }
                case GgufArray[] xs -> { for (GgufArray x : xs) array(x); }
                default -> throw new IllegalStateException();
            }
        }
    }
}
