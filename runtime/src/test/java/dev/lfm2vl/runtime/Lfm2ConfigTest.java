package dev.lfm2vl.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.loader.Fixtures;
import dev.lfm2vl.loader.GgufFile;
import dev.lfm2vl.loader.GgufFormatException;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class Lfm2ConfigTest {

    @Test
    void readsEveryHyperparameterOfTheTinyModelFromMetadata() throws IOException {
        try (GgufFile f = GgufFile.open(Fixtures.textModel("Q4_0"))) {
            Lfm2Config c = Lfm2Config.from(f);
            // MANIFEST.md §1: 5 layers (0:conv 1:conv 2:attn 3:conv 4:attn), 256 wide, 4 heads / 2 KV heads of 64.
            assertEquals(5, c.layers());
            assertEquals(256, c.dim());
            assertEquals(512, c.ffnDim());
            assertEquals(4, c.heads());
            assertArrayEquals(new int[] {0, 0, 2, 0, 2}, c.kvHeads());
            assertEquals(64, c.headDim());
            assertEquals(3, c.convKernel());
            assertEquals(1e6f, c.ropeTheta());
            assertEquals(1e-5f, c.rmsEps());
            assertEquals(4096, c.contextLength());
            assertEquals(640, c.vocabSize());
            assertFalse(c.isAttention(0));
            assertTrue(c.isAttention(2));
            assertEquals(2, c.attentionLayerCount());
        }
    }

    @Test
    void aVisionProjectorIsRejectedNamingItsArchitecture() throws IOException {
        try (GgufFile f = GgufFile.open(Fixtures.mmproj("F32"))) {
            GgufFormatException e = assertThrows(GgufFormatException.class, () -> Lfm2Config.from(f));
            assertTrue(e.getMessage().contains("architecture 'clip' is not supported"), e.getMessage());
            assertTrue(e.getMessage().contains("--mmproj"), e.getMessage());
        }
    }
}
