package dev.lfm2vl.loader;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Every malformed header gives a GgufFormatException that says what is wrong and where. */
class GgufValidationTest {

    /** Assembles raw GGUF bytes field by field. */
    static final class Raw {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Raw u8(int v) {
            out.write(v);
            return this;
        }

        Raw u32(long v) {
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
            return this;
        }

        Raw u64(long v) {
            out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
            return this;
        }

        Raw str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            out.writeBytes(b);
            return this;
        }

        Raw header(long tensors, long kvs) {
            return u32(GgufFile.MAGIC).u32(3).u64(tensors).u64(kvs);
        }

        /** A tensor info: name, dims, type, offset. */
        Raw tensor(String name, long[] ne, int type, long offset) {
            str(name).u32(ne.length);
            for (long d : ne) {
                u64(d);
            }
            return u32(type).u64(offset);
        }

        /** Pads to 32 and appends n data bytes. */
        Raw data(int n) {
            while (out.size() % 32 != 0) {
                out.write(0);
            }
            out.writeBytes(new byte[n]);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    private static void rejects(byte[] bytes, String... fragments) {
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.read(MemorySegment.ofArray(bytes), "t.gguf"));
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + e.getMessage() + "' should mention '" + f + "'");
        }
        assertTrue(e.getMessage().startsWith("t.gguf: "), e.getMessage());
        assertTrue(e.getMessage().contains("at byte offset"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line");
    }

    @Test
    void badMagic() {
        rejects(new Raw().u32(0x12345678).u32(3).u64(0).u64(0).bytes(), "bad magic 0x12345678", "byte offset 0");
    }

    @Test
    void unsupportedVersions() {
        rejects(new Raw().u32(GgufFile.MAGIC).u32(1).u64(0).u64(0).bytes(), "version 1 is not supported");
        rejects(new Raw().u32(GgufFile.MAGIC).u32(4).u64(0).u64(0).bytes(), "version 4 is not supported");
        rejects(new Raw().u32(GgufFile.MAGIC).u32(0x03000000).u64(0).u64(0).bytes(), "byte-swapped");
    }

    @Test
    void truncatedHeader() {
        rejects(new Raw().u32(GgufFile.MAGIC).u32(3).u32(0).bytes(), "truncated");
        rejects(new Raw().u32(GgufFile.MAGIC).bytes(), "truncated");
    }

    @Test
    void countsThatCannotFit() {
        rejects(new Raw().header(0, 1L << 40).bytes(), "metadata count 1099511627776 cannot fit");
        rejects(new Raw().header(-1, 0).bytes(), "tensor count 18446744073709551615 cannot fit");
    }

    @Test
    void stringLengthPastTheEnd() {
        rejects(new Raw().header(0, 1).u64(1000).u64(0).bytes(), "metadata key length 1000 runs past the end", "byte offset 24");
        rejects(new Raw().header(0, 1).str("k").u32(8).u64(-5).bytes(), "runs past the end");
    }

    @Test
    void arrayCountPastTheEnd() {
        rejects(new Raw().header(0, 1).str("k").u32(9).u32(5).u64(1L << 35).bytes(), "'k' array of 34359738368 INT32 values cannot fit");
        rejects(new Raw().header(0, 1).str("k").u32(9).u32(8).u64(10).u64(1).bytes(), "array of 10 STRING values cannot fit");
        rejects(new Raw().header(0, 1).str("k").u32(9).u32(8).u64(2).u64(3).u8(65).u8(66).u8(67).u64(9).bytes(), "runs past the end");
    }

    @Test
    void unknownValueTypes() {
        rejects(new Raw().header(0, 1).str("k").u32(13).u32(0).bytes(), "'k' has unknown value type 13");
        rejects(new Raw().header(0, 1).str("k").u32(9).u32(77).u64(1).bytes(), "array of unknown type 77");
    }

    @Test
    void badBool() {
        rejects(new Raw().header(0, 1).str("k").u32(7).u8(2).bytes(), "bool value 2");
    }

    @Test
    void arraysNestedTooDeeply() {
        Raw r = new Raw().header(0, 1).str("k").u32(9);
        for (int i = 0; i < 20; i++) {
            r.u32(9).u64(1);
        }
        rejects(r.u32(5).u64(0).data(64).bytes(), "nests arrays deeper");
    }

    @Test
    void duplicateKeysAndTensorNames() {
        rejects(new Raw().header(0, 2).str("k").u32(4).u32(1).str("k").u32(4).u32(2).bytes(), "duplicate metadata key 'k'");
        rejects(new Raw().header(2, 0).tensor("t", new long[] {8}, 0, 0).tensor("t", new long[] {8}, 0, 32).data(64).bytes(),
                "duplicate tensor name 't'");
    }

    @Test
    void badDims() {
        rejects(new Raw().header(1, 0).tensor("t", new long[] {1, 1, 1, 1, 1}, 0, 0).data(64).bytes(), "'t' has 5 dims");
        rejects(new Raw().header(1, 0).tensor("t", new long[] {1L << 40, 1L << 40}, 0, 0).data(64).bytes(), "'t' dims overflow");
        rejects(new Raw().header(1, 0).tensor("t", new long[] {-2}, 0, 0).data(64).bytes(), "too large");
        rejects(new Raw().header(1, 0).tensor("t", new long[] {48}, 2, 0).data(64).bytes(), "not a whole number of Q4_0 blocks");
    }

    @Test
    void unknownTensorType() {
        rejects(new Raw().header(1, 0).tensor("w", new long[] {32}, 99, 0).data(64).bytes(), "'w' has unknown ggml type id 99");
        rejects(new Raw().header(1, 0).tensor("w", new long[] {32}, 4, 0).data(64).bytes(), "unknown ggml type id 4");
    }

    @Test
    void tensorDataOutsideTheFile() {
        rejects(new Raw().header(1, 0).tensor("t", new long[] {64}, 0, 0).data(100).bytes(), "'t' data", "lies outside the file");
        rejects(new Raw().header(1, 0).tensor("t", new long[] {8}, 0, 1L << 62).data(64).bytes(), "lies outside the file");
    }

    @Test
    void overlappingTensors() {
        rejects(new Raw().header(2, 0).tensor("a", new long[] {16}, 0, 0).tensor("b", new long[] {8}, 0, 32).data(128).bytes(),
                "'b' data overlaps tensor 'a'");
    }

    @Test
    void misalignedOffset() {
        rejects(new Raw().header(1, 0).tensor("t", new long[] {8}, 0, 4).data(64).bytes(), "offset 4 is not a multiple of the alignment 32");
    }

    @Test
    void alignmentMustBeAPowerOfTwo() {
        rejects(new Raw().header(0, 1).str(GgufFile.ALIGNMENT_KEY).u32(4).u32(24).bytes(), "general.alignment = 24 is not a power of two");
        rejects(new Raw().header(0, 1).str(GgufFile.ALIGNMENT_KEY).u32(8).str("x").bytes(), "general.alignment is STRING");
    }
}
