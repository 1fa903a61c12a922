package dev.lfm2vl.runtime;

import dev.lfm2vl.kernels.AttentionTiles;
import dev.lfm2vl.kernels.BidirectionalAttention;
import dev.lfm2vl.loader.Fixtures;
import dev.lfm2vl.loader.GgufFile;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemoryBudgetTest {

    private static Lfm2Config tinyConfig() throws Exception {
        try (GgufFile f = GgufFile.open(Fixtures.textModel("Q4_0"))) {
            return Lfm2Config.from(f);
        }
    }

    @Test
    void kvCacheBytesMatchWhatTheStateHolds() throws Exception {
        Lfm2Config c = tinyConfig();
        for (int capacity : new int[] {1, 115, 700}) {
            Lfm2State s = new Lfm2State(c, capacity, Math.min(Lfm2Model.MAX_BATCH, capacity));
            assertEquals(s.cacheBytes(), MemoryBudget.kvCacheBytes(c, capacity), "capacity " + capacity);
        }
    }

    @Test
    void textScratchMatchesEveryStateBuffer() throws Exception {
        Lfm2Config c = tinyConfig();
        for (int capacity : new int[] {7, 600}) {
            int batch = Math.min(Lfm2Model.MAX_BATCH, capacity);
            Lfm2State s = new Lfm2State(c, capacity, batch);
            long floats = s.x.length + s.normed.length + s.mixed.length + s.bcx.length + s.gated.length + s.q.length
                    + s.k.length + s.v.length + s.gate.length + s.up.length + s.attentionScratch.length;
            assertEquals(4 * floats, MemoryBudget.textScratchBytes(c, capacity, batch), "capacity " + capacity);
        }
    }

    @Test
    void publishedThreeBShapesGive32KiBPerPositionAndConvState() {
        Lfm2Config c = MemoryBudget.LFM2_VL_3B_TEXT;
        assertEquals(8, c.attentionLayerCount());
        assertEquals(8L * 2 * 8 * 64 * 4, MemoryBudget.kvBytesPerPosition(c));
        assertEquals(2 * 22L * 2 * 2048 * 4, MemoryBudget.convStateBytes(c), "the state and its rollback copy");
        // 1000 positions; the transposed keys' stride pads them to 1008 (16 KiB of keys per position)
        assertEquals(1000L * 32768 + 8L * 16384 + 2 * 360448, MemoryBudget.kvCacheBytes(c, 1000));
    }

    @Test
    void visionBytesOfOneTileCountTheEncoderAndProjectorBuffers() {
        VisionConfig v = MemoryBudget.SIGLIP2_SO400M;
        int n = 1024; // 512x512 = 32x32 patches
        assertEquals(n, MemoryBudget.patches(v, 512, 512));
        long d = 1152;
        // one thread: wanted 1 chunk per head -> rowsPerChunk 1024, one chunk
        long encoder = n * 768L + 7 * n * d + n * 4304L + 16L * AttentionTiles.keysTransposedSize(n, 72)
                + 16L * BidirectionalAttention.bidirectionalScoresSize(n) + n * d;
        assertEquals(4 * encoder, MemoryBudget.visionEncoderBytes(v, n, 1));
        long tokens = 256;
        long rest = n * d + tokens * 4 * d + tokens * 2048 + tokens * 2048;
        assertEquals(4 * (encoder + rest), MemoryBudget.visionBytes(v, 2048, 512, 512, 1));
    }

    @Test
    void matMulPackingIsSizedByTheWidestProductOfEachTower() {
        // text: a 512-row batch through the FFN down projection (10752 columns)
        assertEquals(4L * 512 * 10752, MemoryBudget.textMatMulPackBytes(MemoryBudget.LFM2_VL_3B_TEXT, 512));
        // a 512x512 tile: 1024 patches through the MLP down projection (4304 columns) beats the projector's
        // 256 tokens x 4608
        assertEquals(4L * 1024 * 4304, MemoryBudget.visionMatMulPackBytes(MemoryBudget.SIGLIP2_SO400M, 2048, 512, 512));
        // a 7-row batch is packed as one whole token block (2 vectors of tokens: 8, 16 or 32 rows by vector width)
        long seven = MemoryBudget.textMatMulPackBytes(MemoryBudget.LFM2_VL_3B_TEXT, 7);
        assertEquals(dev.lfm2vl.kernels.MatMul.packedActivationBytes(7, 10752), seven);
        long rows = seven / (4L * 10752);
        assertEquals(0, seven % (4L * 10752));
        assertTrue(rows == 8 || rows == 16 || rows == 32, rows + " rows");
    }
}
