package dev.lfm2vl.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GgufFileTest {

    @ParameterizedTest
    @ValueSource(strings = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void readsEveryTextFixtureWithTheManifestTensorTypes(String type) throws IOException {
        try (GgufFile f = GgufFile.open(Fixtures.textModel(type))) {
            GgufMetadata md = f.metadata();
            assertEquals("lfm2", md.getString("general.architecture"));
            assertEquals(5, md.getInt("lfm2.block_count"));
            assertEquals(256, md.getInt("lfm2.embedding_length"));
            assertArrayEquals(new int[] {0, 0, 2, 0, 2}, md.getIntArray("lfm2.attention.head_count_kv"));
            assertEquals(1_000_000f, md.getFloat("lfm2.rope.freq_base"));
            assertEquals(640, md.getStringArray("tokenizer.ggml.tokens").length);
            assertEquals(48, f.tensors().size());
            Map<GgmlType, Integer> counts = new TreeMap<>();
            for (GgufTensor t : f.tensors()) {
                counts.merge(t.type(), 1, Integer::sum);
            }
            // MANIFEST.md §1: every 2-D weight has the named type; norms and the conv kernel stay F32.
            Map<GgmlType, Integer> expected = new TreeMap<>();
            if (type.equals("F32")) {
                expected.put(GgmlType.F32, 48);
            } else {
                expected.put(GgmlType.F32, 18);
                expected.put(GgmlType.valueOf(type), 30);
            }
            assertEquals(expected, counts);
            GgufTensor embd = f.tensor("token_embd.weight");
            assertArrayEquals(new long[] {256, 640}, embd.shape());
            assertEquals(256, embd.columns());
            assertEquals(640, embd.rows());
            assertArrayEquals(new long[] {3, 256}, f.tensor("blk.0.shortconv.conv.weight").shape());
            assertEquals(GgmlType.F32, f.tensor("blk.0.shortconv.conv.weight").type());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"F32", "F16"})
    void readsTheMmprojFixtures(String type) throws IOException {
        try (GgufFile f = GgufFile.open(Fixtures.mmproj(type))) {
            GgufMetadata md = f.metadata();
            assertEquals("clip", md.getString("general.architecture"));
            assertEquals("lfm2", md.getString("clip.projector_type"));
            assertEquals(3, md.getInt("clip.vision.block_count"));
            assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f}, md.getFloatArray("clip.vision.image_mean"));
            assertEquals(59, f.tensors().size());
            assertArrayEquals(new long[] {16, 16, 3, 64}, f.tensor("v.patch_embd.weight").shape());
            assertEquals(GgmlType.F32, f.tensor("v.position_embd.weight").type());
        }
    }

    @Test
    void tensorsAreZeroCopySlicesOfTheMapping() throws IOException {
        try (GgufFile f = GgufFile.open(Fixtures.textModel("F32"))) {
            assertTrue(f.segment().isMapped());
            assertTrue(f.segment().isReadOnly());
            for (GgufTensor t : f.tensors()) {
                assertEquals(f.segment().address() + t.fileOffset(), t.data().address(), t.name());
                assertEquals(0, (t.fileOffset() - f.dataStart()) % f.alignment());
            }
            // First element of token_embd read through the slice equals the same bytes read through the file.
            GgufTensor e = f.tensor("token_embd.weight");
            assertEquals(f.segment().get(ValueLayout.JAVA_FLOAT_UNALIGNED, e.fileOffset()), e.data().get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0));
        }
    }

    @Test
    void closingUnmapsTheTensors() throws IOException {
        GgufTensor t;
        try (GgufFile f = GgufFile.open(Fixtures.textModel("Q4_0"))) {
            t = f.tensor("token_embd.weight");
        }
        GgufTensor closed = t;
        assertThrows(IllegalStateException.class, () -> closed.data().get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void missingTensorsAndKeysAreNamedInTheError() throws IOException {
        try (GgufFile f = GgufFile.open(Fixtures.textModel("F32"))) {
            GgufFormatException e = assertThrows(GgufFormatException.class, () -> f.tensor("output.weight"));
            assertTrue(e.getMessage().contains("output.weight"), e.getMessage());
            assertNotNull(f.findTensor("token_embd.weight"));
            assertFalse(f.hasTensor("output.weight"));
            e = assertThrows(GgufFormatException.class, () -> f.metadata().getInt("lfm2.nope"));
            assertTrue(e.getMessage().contains("'lfm2.nope' is missing"), e.getMessage());
            e = assertThrows(GgufFormatException.class, () -> f.metadata().getInt("general.architecture"));
            assertTrue(e.getMessage().contains("is STRING, expected an integer"), e.getMessage());
            e = assertThrows(GgufFormatException.class, () -> f.metadata().getString("lfm2.block_count"));
            assertTrue(e.getMessage().contains("expected a string"), e.getMessage());
            assertEquals(7, f.metadata().getInt("lfm2.missing.key", 7));
        }
    }

    @Test
    void missingFileIsNoSuchFile(@TempDir Path dir) {
        assertThrows(NoSuchFileException.class, () -> GgufFile.open(dir.resolve("nope.gguf")));
    }

    @Test
    void neverWritesTheFileItReads() throws IOException {
        Path p = Fixtures.textModel("Q8_0");
        long modified = Files.getLastModifiedTime(p).toMillis();
        byte[] before = Files.readAllBytes(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertThrows(IllegalArgumentException.class, // "Attempt to write a read-only segment"
                    () -> f.tensor("token_embd.weight").data().set(ValueLayout.JAVA_BYTE, 0, (byte) 1));
        }
        assertEquals(modified, Files.getLastModifiedTime(p).toMillis());
        assertArrayEquals(before, Files.readAllBytes(p));
    }
}
