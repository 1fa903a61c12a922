package dev.lfm2vl.kernels;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.loader.GgmlType;
import dev.lfm2vl.loader.GgufTensor;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** Types without kernels fail at construction with a one-line message naming the tensor and the type. */
class UnsupportedWeightTypeTest {

    @Test
    void iq2xsAndQ2kTensorsAreRejectedWithTheirNameAndType() {
        for (GgmlType type : new GgmlType[] {GgmlType.IQ2_XS, GgmlType.Q2_K, GgmlType.Q8_K, GgmlType.I32}) {
            MemorySegment data = MemorySegment.ofArray(new byte[type.bytesPerBlock * 4]);
            GgufTensor t = new GgufTensor("blk.3.ffn_up.weight", type, new long[] {type.blockSize * 2L, 2}, 0, data);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WeightMatrix.of(t));
            assertTrue(e.getMessage().contains("blk.3.ffn_up.weight"), e.getMessage());
            assertTrue(e.getMessage().contains(type.name()), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
            assertFalse(WeightMatrix.isSupported(type));
        }
    }

    @Test
    void shapeThatIsNotWholeBlocksOrTooShortDataIsRejected() {
        MemorySegment data = MemorySegment.ofArray(new byte[34 * 4]);
        assertThrows(IllegalArgumentException.class, () -> WeightMatrix.of(GgmlType.Q8_0, data, 2, 48));
        assertThrows(IllegalArgumentException.class, () -> WeightMatrix.of(GgmlType.Q8_0, data, 3, 64));
    }
}
