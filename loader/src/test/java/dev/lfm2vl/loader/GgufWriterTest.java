package dev.lfm2vl.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.loader.GgufValue.GgufArray;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GgufWriterTest {

    /** Reads a fixture and writes it back with the same metadata, tensors and offsets. */
    static GgufWriter copyOf(GgufFile f) {
        GgufWriter w = new GgufWriter(f.version()).putAll(f.metadata());
        for (GgufTensor t : f.tensors()) {
            w.addTensorAt(t.name(), t.type(), t.shape(), t.data(), t.fileOffset() - f.dataStart());
        }
        return w;
    }

    @ParameterizedTest
    @ValueSource(strings = {"models/lfm2-tiny-F32.gguf", "models/lfm2-tiny-Q4_K.gguf", "models/lfm2-tiny-Q6_K.gguf",
            "models/lfm2-tiny-BF16.gguf", "models/mmproj-lfm2-tiny-F16.gguf", "models/mmproj-lfm2-tiny-F32.gguf"})
    void rewritingAFixtureGivesIdenticalBytes(String fixture, @TempDir Path dir) throws IOException {
        Path src = Fixtures.file(fixture);
        Path out = dir.resolve("copy.gguf");
        try (GgufFile f = GgufFile.open(src)) {
            copyOf(f).write(out);
        }
        assertArrayEquals(Files.readAllBytes(src), Files.readAllBytes(out));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void everyValueTypeRoundTrips(int version) throws IOException {
        GgufWriter w = new GgufWriter(version)
                .put("u8", new GgufValue(GgufValueType.UINT8, 255L))
                .put("i8", new GgufValue(GgufValueType.INT8, -128L))
                .put("u16", new GgufValue(GgufValueType.UINT16, 65535L))
                .put("i16", new GgufValue(GgufValueType.INT16, -32768L))
                .put("u32", GgufValue.ofUInt32(4_000_000_000L))
                .put("i32", GgufValue.ofInt32(-5))
                .put("f32", GgufValue.ofFloat32(1.5f))
                .put("bool", GgufValue.ofBool(true))
                .put("str", GgufValue.ofString("héllo 日本 🙂"))
                .put("u64", new GgufValue(GgufValueType.UINT64, -1L))
                .put("i64", new GgufValue(GgufValueType.INT64, Long.MIN_VALUE))
                .put("f64", new GgufValue(GgufValueType.FLOAT64, Math.PI))
                .put("arr.i32", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32, 0, 0, 2, -1)))
                .put("arr.str", GgufValue.ofArray(GgufArray.ofStrings("a", "", "ĠĊ")))
                .put("arr.f32", GgufValue.ofArray(GgufArray.ofFloats(0.5, -2)))
                .put("arr.bool", GgufValue.ofArray(new GgufArray(GgufValueType.BOOL, new boolean[] {true, false})))
                .put("arr.nested", GgufValue.ofArray(new GgufArray(GgufValueType.ARRAY, new GgufArray[] {
                        GgufArray.ofInts(GgufValueType.UINT8, 1, 2), GgufArray.ofStrings("x")})));
        byte[] bytes = w.toByteArray();
        GgufFile f = GgufFile.read(MemorySegment.ofArray(bytes), "mem");
        assertEquals(version, f.version());
        GgufMetadata md = f.metadata();
        assertEquals(List.of("u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "str", "u64", "i64", "f64", "arr.i32",
                "arr.str", "arr.f32", "arr.bool", "arr.nested"), List.copyOf(md.keys()));
        assertEquals(255, md.getInt("u8"));
        assertEquals(-128, md.getInt("i8"));
        assertEquals(65535, md.getInt("u16"));
        assertEquals(-32768, md.getInt("i16"));
        assertEquals(4_000_000_000L, md.getLong("u32"));
        assertEquals(-5, md.getInt("i32"));
        assertEquals(1.5f, md.getFloat("f32"));
        assertTrue(md.getBool("bool"));
        assertEquals("héllo 日本 🙂", md.getString("str"));
        assertEquals(Long.MIN_VALUE, md.getLong("i64"));
        assertEquals(Math.PI, (Double) md.get("f64").value());
        assertArrayEquals(new int[] {0, 0, 2, -1}, md.getIntArray("arr.i32"));
        assertArrayEquals(new String[] {"a", "", "ĠĊ"}, md.getStringArray("arr.str"));
        assertArrayEquals(new float[] {0.5f, -2f}, md.getFloatArray("arr.f32"));
        GgufArray nested = md.getArray("arr.nested");
        assertEquals(GgufValueType.ARRAY, nested.elementType());
        assertEquals(GgufArray.ofStrings("x"), ((GgufArray[]) nested.values())[1]);
        assertArrayEquals(bytes, copyOf(f).toByteArray(), "read -> write is the identity");
    }

    @Test
    void writtenFilesGetTheDefaultPermissionsNotOwnerOnly(@TempDir Path dir) throws IOException {
        Path p = dir.resolve("out.gguf");
        new GgufWriter().put("k", GgufValue.ofUInt32(1)).write(p);
        var perms = java.nio.file.Files.getPosixFilePermissions(p);
        Path plain = java.nio.file.Files.createFile(dir.resolve("plain"));
        assertEquals(java.nio.file.Files.getPosixFilePermissions(plain), perms, "same as any file created under this umask");
        try (var files = java.nio.file.Files.list(dir)) {
            assertEquals(2, files.count(), "no temporary file left");
        }
    }

    @Test
    void honoursACustomAlignment() throws IOException {
        MemorySegment data = MemorySegment.ofArray(new float[] {1, 2, 3});
        byte[] bytes = new GgufWriter().put(GgufFile.ALIGNMENT_KEY, GgufValue.ofUInt32(64))
                .addTensor("a", GgmlType.F32, new long[] {3}, data)
                .addTensor("b", GgmlType.F32, new long[] {3}, data).toByteArray();
        GgufFile f = GgufFile.read(MemorySegment.ofArray(bytes), "mem");
        assertEquals(64, f.alignment());
        assertEquals(0, f.dataStart() % 64);
        assertEquals(f.dataStart() + 64, f.tensor("b").fileOffset());
        assertEquals(3f, f.tensor("b").data().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, 2));
    }

    @Test
    void mapsTensorsPlacedPastFourGibibytes(@TempDir Path dir) throws IOException {
        // A sparse file: the gap before the far tensor is a hole, so the test writes a few KiB, not 5 GiB.
        long far = 5L << 30;
        Path p = dir.resolve("big.gguf");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment near = arena.allocate(256 * 4);
            MemorySegment tail = arena.allocate(1024 * 4);
            for (int i = 0; i < 1024; i++) {
                tail.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, i * 0.5f);
            }
            new GgufWriter().addTensor("near", GgmlType.F32, new long[] {256}, near)
                    .addTensorAt("far", GgmlType.F32, new long[] {256, 4}, tail, far).write(p);
        }
        assertTrue(Files.size(p) > far, "file is larger than 5 GiB");
        try (GgufFile f = GgufFile.open(p)) {
            GgufTensor t = f.tensor("far");
            assertEquals(f.dataStart() + far, t.fileOffset());
            assertEquals(4, t.rows());
            assertEquals(511.5f, t.data().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, 1023));
            assertEquals(0f, f.tensor("near").data().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, 0));
        }
    }
}
