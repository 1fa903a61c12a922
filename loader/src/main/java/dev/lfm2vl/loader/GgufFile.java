package dev.lfm2vl.loader;

import dev.lfm2vl.loader.GgufValue.GgufArray;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF v2/v3 file (docs/MODEL.md §2.1-§2.2), memory-mapped read-only. Every tensor is a zero-copy slice of the
 * mapping; weights never touch the Java heap. The whole header is validated before anything is returned:
 * a malformed file is a {@link GgufFormatException} naming the problem and its byte offset, never an
 * OutOfMemoryError or an endless loop (every length is checked against the bytes left before use).
 */
public final class GgufFile implements AutoCloseable {
    /** "GGUF" read as a little-endian u32. */
    public static final int MAGIC = 0x46554747;
    public static final int DEFAULT_ALIGNMENT = 32;
    public static final String ALIGNMENT_KEY = "general.alignment";
    static final int MAX_DIMS = 4;
    /** Arrays of arrays deeper than this are rejected (the format allows nesting; models use none). */
    static final int MAX_ARRAY_NESTING = 8;

    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final String source;
    private final Arena arena;
    private final MemorySegment file;
    private final int version;
    private final GgufMetadata metadata;
    private final long alignment;
    private final long dataStart;
    private final List<GgufTensor> tensors;
    private final Map<String, GgufTensor> tensorsByName;

    private GgufFile(String source, Arena arena, MemorySegment file, int version, GgufMetadata metadata, long alignment,
            long dataStart, List<GgufTensor> tensors) {
        this.source = source;
        this.arena = arena;
        this.file = file;
        this.version = version;
        this.metadata = metadata;
        this.alignment = alignment;
        this.dataStart = dataStart;
        this.tensors = Collections.unmodifiableList(tensors);
        Map<String, GgufTensor> byName = new HashMap<>();
        for (GgufTensor t : tensors) {
            byName.put(t.name(), t);
        }
        this.tensorsByName = byName;
    }

    /** Maps {@code path} read-only and parses it. The file is never written. */
    public static GgufFile open(Path path) throws IOException {
        if (java.nio.file.Files.isDirectory(path)) {
            throw new GgufFormatException(path + ": is a directory, not a GGUF file");
        }
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(path.toString(), null, "no such file");
        }
        try (channel) {
            long size = channel.size();
            if (size < 4) {
                throw new GgufFormatException(path + ": not a GGUF file (only " + size + " bytes)");
            }
            Arena arena = Arena.ofShared();
            try {
                MemorySegment seg = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
                return parse(seg, path.toString(), arena);
            } catch (IOException | RuntimeException e) {
                arena.close();
                throw e;
            }
        }
    }

    /** Parses a GGUF image already in memory (tests, fuzzing). The segment must outlive the returned file. */
    public static GgufFile read(MemorySegment bytes, String source) throws GgufFormatException {
        return parse(bytes, source, null);
    }

    public String source() {
        return source;
    }

    public int version() {
        return version;
    }

    public GgufMetadata metadata() {
        return metadata;
    }

    /** Data alignment: {@code general.alignment}, or 32. */
    public long alignment() {
        return alignment;
    }

    /** Absolute file offset where tensor data begins. */
    public long dataStart() {
        return dataStart;
    }

    /** File size in bytes. */
    public long size() {
        return file.byteSize();
    }

    /** The whole mapped file (read-only). */
    public MemorySegment segment() {
        return file;
    }

    /** Tensors in file order. */
    public List<GgufTensor> tensors() {
        return tensors;
    }

    public boolean hasTensor(String name) {
        return tensorsByName.containsKey(name);
    }

    /** The tensor, or null. */
    public GgufTensor findTensor(String name) {
        return tensorsByName.get(name);
    }

    /** The tensor, or a GgufFormatException naming it. */
    public GgufTensor tensor(String name) throws GgufFormatException {
        GgufTensor t = tensorsByName.get(name);
        if (t == null) {
            throw new GgufFormatException(source + ": tensor '" + name + "' is missing");
        }
        return t;
    }

    /** Unmaps the file; tensor segments become inaccessible. */
    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }

    // ---------------------------------------------------------------------------------------------- parsing

    private static GgufFile parse(MemorySegment seg, String source, Arena arena) throws GgufFormatException {
        Cursor in = new Cursor(seg, source);
        in.need(4, "the magic");
        int magic = in.u32();
        if (magic != MAGIC) {
            throw in.fail(0, String.format("bad magic 0x%08x, not a GGUF file", magic));
        }
        in.need(4, "the version");
        int version = in.u32();
        if ((version & 0xFFFF) == 0 && version != 0) {
            throw in.fail(4, "byte-swapped (big-endian) GGUF is not supported");
        }
        if (version != 2 && version != 3) {
            throw in.fail(4, "GGUF version " + Integer.toUnsignedString(version) + " is not supported (only 2 and 3)");
        }
        in.need(16, "the tensor and metadata counts");
        long tensorCount = in.u64();
        long kvCount = in.u64();
        long left = in.remaining();
        // Each KV takes >= 13 bytes (key length, type, 1-byte value), each tensor info >= 32 bytes.
        if (kvCount < 0 || kvCount > left / 13) {
            throw in.fail(16, "metadata count " + Long.toUnsignedString(kvCount) + " cannot fit in the file");
        }
        if (tensorCount < 0 || tensorCount > (left - kvCount * 13) / 32) {
            throw in.fail(8, "tensor count " + Long.toUnsignedString(tensorCount) + " cannot fit in the file");
        }

        Map<String, GgufValue> kv = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            long at = in.pos;
            String key = in.string("metadata key");
            if (kv.containsKey(key)) {
                throw in.fail(at, "duplicate metadata key '" + key + "'");
            }
            long typeAt = in.pos;
            in.need(4, "the type of '" + key + "'");
            GgufValueType type = GgufValueType.byId(Integer.toUnsignedLong(in.u32()));
            if (type == null) {
                throw in.fail(typeAt, "metadata key '" + key + "' has unknown value type " + Integer.toUnsignedString(in.seg.get(U32, typeAt)));
            }
            kv.put(key, new GgufValue(type, in.value(type, key, 0)));
        }
        GgufMetadata metadata = new GgufMetadata(kv);

        long alignment = DEFAULT_ALIGNMENT;
        if (metadata.has(ALIGNMENT_KEY)) {
            GgufValue a = metadata.get(ALIGNMENT_KEY);
            if (!a.type().isInteger()) {
                throw in.fail(0, ALIGNMENT_KEY + " is " + a.type() + ", expected an integer");
            }
            alignment = (Long) a.value();
            if (alignment <= 0 || Long.bitCount(alignment) != 1 || alignment > (1L << 30)) {
                throw in.fail(0, ALIGNMENT_KEY + " = " + alignment + " is not a power of two");
            }
        }

        record Info(String name, long[] shape, GgmlType type, long offset, long bytes, long at) {}
        List<Info> infos = new ArrayList<>((int) tensorCount);
        Map<String, Long> seen = new HashMap<>();
        for (long i = 0; i < tensorCount; i++) {
            long at = in.pos;
            String name = in.string("tensor name");
            if (seen.put(name, at) != null) {
                throw in.fail(at, "duplicate tensor name '" + name + "'");
            }
            in.need(4, "the rank of tensor '" + name + "'");
            int nDims = in.u32();
            if (nDims < 1 || nDims > MAX_DIMS) {
                throw in.fail(in.pos - 4, "tensor '" + name + "' has " + Integer.toUnsignedString(nDims) + " dims (1 to 4 allowed)");
            }
            in.need(8L * nDims, "the dims of tensor '" + name + "'");
            long[] shape = new long[nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                shape[d] = in.u64();
                if (shape[d] < 0) {
                    throw in.fail(in.pos - 8, "tensor '" + name + "' dim " + d + " = " + Long.toUnsignedString(shape[d]) + " is too large");
                }
                try {
                    elements = Math.multiplyExact(elements, shape[d]);
                } catch (ArithmeticException e) {
                    throw in.fail(in.pos - 8, "tensor '" + name + "' dims overflow a 64-bit element count");
                }
            }
            long typeAt = in.pos;
            in.need(12, "the type and offset of tensor '" + name + "'");
            long typeId = Integer.toUnsignedLong(in.u32());
            GgmlType type = GgmlType.byId(typeId);
            if (type == null) {
                throw in.fail(typeAt, "tensor '" + name + "' has unknown ggml type id " + typeId);
            }
            if (shape[0] % type.blockSize != 0) {
                throw in.fail(typeAt, "tensor '" + name + "' row of " + shape[0] + " elements is not a whole number of "
                        + type + " blocks (" + type.blockSize + ")");
            }
            long bytes;
            try {
                bytes = type.bytesFor(elements);
            } catch (ArithmeticException e) {
                throw in.fail(typeAt, "tensor '" + name + "' byte size overflows");
            }
            long offset = in.u64();
            if (offset < 0 || offset % alignment != 0) {
                throw in.fail(in.pos - 8, "tensor '" + name + "' data offset " + Long.toUnsignedString(offset)
                        + " is not a multiple of the alignment " + alignment);
            }
            infos.add(new Info(name, shape, type, offset, bytes, at));
        }

        long dataStart = alignUp(in.pos, alignment);
        long fileSize = seg.byteSize();
        List<GgufTensor> tensors = new ArrayList<>(infos.size());
        for (Info t : infos) {
            long start = dataStart + t.offset;
            if (start < 0 || start > fileSize || t.bytes > fileSize - start) {
                throw in.fail(t.at, "tensor '" + t.name + "' data [" + Long.toUnsignedString(start) + ", "
                        + Long.toUnsignedString(start + t.bytes) + ") lies outside the file (" + fileSize + " bytes)");
            }
            MemorySegment data = seg.asSlice(start, t.bytes);
            tensors.add(new GgufTensor(t.name, t.type, t.shape, start, arena == null ? data.asReadOnly() : data));
        }
        List<GgufTensor> byOffset = new ArrayList<>(tensors);
        byOffset.sort(Comparator.comparingLong(GgufTensor::fileOffset));
        for (int i = 1; i < byOffset.size(); i++) {
            GgufTensor prev = byOffset.get(i - 1);
            GgufTensor cur = byOffset.get(i);
            if (cur.fileOffset() < prev.fileOffset() + prev.byteSize()) {
                throw in.fail(cur.fileOffset(), "tensor '" + cur.name() + "' data overlaps tensor '" + prev.name() + "'");
            }
        }
        return new GgufFile(source, arena, seg, version, metadata, alignment, dataStart, tensors);
    }

    /** {@code x} rounded up to a multiple of {@code alignment}. */
    public static long alignUp(long x, long alignment) {
        return (x + alignment - 1) / alignment * alignment;
    }

    /** A bounds-checked little-endian reader over the file. */
    private static final class Cursor {
        final MemorySegment seg;
        final String source;
        final long size;
        long pos;

        Cursor(MemorySegment seg, String source) {
            this.seg = seg;
            this.source = source;
            this.size = seg.byteSize();
        }

        long remaining() {
            return size - pos;
        }

        GgufFormatException fail(long at, String what) {
            return new GgufFormatException(source + ": " + what + " (at byte offset " + at + ")");
        }

        void need(long n, String what) throws GgufFormatException {
            if (n < 0 || n > size - pos) {
                throw fail(pos, "file is truncated: " + what + " needs " + (n < 0 ? Long.toUnsignedString(n) : n)
                        + " bytes, " + (size - pos) + " left");
            }
        }

        int u32() {
            int v = seg.get(U32, pos);
            pos += 4;
            return v;
        }

        long u64() {
            long v = seg.get(U64, pos);
            pos += 8;
            return v;
        }

        String string(String what) throws GgufFormatException {
            need(8, "the length of a " + what);
            long at = pos;
            long len = u64();
            if (len < 0 || len > size - pos) {
                throw fail(at, what + " length " + Long.toUnsignedString(len) + " runs past the end of the file");
            }
            if (len > Integer.MAX_VALUE - 16) {
                throw fail(at, what + " length " + len + " is too large");
            }
            byte[] b = new byte[(int) len];
            MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, pos, b, 0, b.length);
            pos += len;
            return new String(b, StandardCharsets.UTF_8);
        }

        Object value(GgufValueType type, String key, int depth) throws GgufFormatException {
            need(type.minBytes, "the value of '" + key + "'");
            return switch (type) {
                case UINT8 -> (long) Byte.toUnsignedInt(seg.get(ValueLayout.JAVA_BYTE, pos++));
                case INT8 -> (long) seg.get(ValueLayout.JAVA_BYTE, pos++);
                case UINT16 -> { long v = Short.toUnsignedLong(seg.get(U16, pos)); pos += 2; yield v; }
                case INT16 -> { long v = seg.get(U16, pos); pos += 2; yield v; }
                case UINT32 -> Integer.toUnsignedLong(u32());
                case INT32 -> (long) u32();
                case FLOAT32 -> (double) Float.intBitsToFloat(u32());
                case BOOL -> {
                    byte b = seg.get(ValueLayout.JAVA_BYTE, pos);
                    if (b != 0 && b != 1) {
                        throw fail(pos, "metadata key '" + key + "' bool value " + b + " is not 0 or 1");
                    }
                    pos++;
                    yield b == 1;
                }
                case STRING -> string("string value of '" + key + "'");
                case UINT64, INT64 -> u64();
                case FLOAT64 -> Double.longBitsToDouble(u64());
                case ARRAY -> array(key, depth);
            };
        }

        GgufArray array(String key, int depth) throws GgufFormatException {
            long at = pos;
            if (depth >= MAX_ARRAY_NESTING) {
                throw fail(at, "metadata key '" + key + "' nests arrays deeper than " + MAX_ARRAY_NESTING);
            }
            GgufValueType et = GgufValueType.byId(Integer.toUnsignedLong(u32()));
            if (et == null) {
                throw fail(at, "metadata key '" + key + "' is an array of unknown type " + Integer.toUnsignedString(seg.get(U32, at)));
            }
            long count = u64();
            if (count < 0 || count > (size - pos) / et.minBytes || count > Integer.MAX_VALUE - 16) {
                throw fail(at + 4, "metadata key '" + key + "' array of " + Long.toUnsignedString(count) + " " + et
                        + " values cannot fit in the file");
            }
            int n = (int) count;
            Object values = switch (et) {
                case STRING -> {
                    String[] a = new String[n];
                    for (int i = 0; i < n; i++) {
                        a[i] = string("string element of '" + key + "'");
                    }
                    yield a;
                }
                case ARRAY -> {
                    GgufArray[] a = new GgufArray[n];
                    for (int i = 0; i < n; i++) {
                        need(12, "an element of '" + key + "'");
                        a[i] = array(key, depth + 1);
                    }
                    yield a;
                }
                case BOOL -> {
                    boolean[] a = new boolean[n];
                    for (int i = 0; i < n; i++) {
                        a[i] = (Boolean) value(et, key, depth);
                    }
                    yield a;
                }
                case FLOAT32, FLOAT64 -> {
                    double[] a = new double[n];
                    for (int i = 0; i < n; i++) {
                        a[i] = (Double) value(et, key, depth);
                    }
                    yield a;
                }
                default -> {
                    long[] a = new long[n];
                    for (int i = 0; i < n; i++) {
                        a[i] = (Long) value(et, key, depth);
                    }
                    yield a;
                }
            };
            return new GgufArray(et, values);
        }
    }
}
