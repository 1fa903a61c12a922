package dev.lfm2vl.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.loader.Fixtures;
import dev.lfm2vl.loader.GgufFile;
import dev.lfm2vl.loader.GgufFormatException;
import dev.lfm2vl.loader.GgufTensor;
import dev.lfm2vl.loader.GgufValue;
import dev.lfm2vl.loader.GgufWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Lfm2ConfigTest {
    @TempDir
    Path dir;

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

    /** A copy of the tiny Q4_0 model with one metadata value replaced. */
    private Path withMetadata(String key, GgufValue value) throws IOException {
        Path out = dir.resolve("edited.gguf");
        try (GgufFile src = GgufFile.open(Fixtures.textModel("Q4_0"))) {
            GgufWriter w = new GgufWriter().putAll(src.metadata()).put(key, value);
            for (GgufTensor t : src.tensors()) {
                w.addTensor(t.name(), t.type(), t.shape(), t.data());
            }
            w.write(out);
        }
        return out;
    }

    private static String refusal(Path gguf) throws IOException {
        try (GgufFile f = GgufFile.open(gguf)) {
            return assertThrows(GgufFormatException.class, () -> Lfm2Config.from(f)).getMessage();
        }
    }

    @Test
    void aNegativeOrZeroRmsEpsilonIsRefused() throws IOException {
        for (float eps : new float[] {-1e-5f, 0f, Float.NaN}) {
            String m = refusal(withMetadata("lfm2.attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(eps)));
            assertTrue(m.contains("layer_norm_rms_epsilon " + eps + " is out of range"), m);
            assertTrue(m.startsWith(dir.resolve("edited.gguf").toString()), "names the file: " + m);
        }
    }

    @Test
    void aVocabSizeThatDisagreesWithTheEmbeddingIsRefused() throws IOException {
        String m = refusal(withMetadata("lfm2.vocab_size", GgufValue.ofUInt32(65536)));
        assertTrue(m.contains("lfm2.vocab_size 65536 disagrees with token_embd.weight's 640 rows"), m);
    }

    @Test
    void aTokenListThatDisagreesWithTheEmbeddingIsRefused() throws IOException {
        String[] tokens;
        try (GgufFile f = GgufFile.open(Fixtures.textModel("Q4_0"))) {
            tokens = f.metadata().getStringArray("tokenizer.ggml.tokens");
        }
        String[] shorter = Arrays.copyOf(tokens, tokens.length - 1);
        String m = refusal(withMetadata("tokenizer.ggml.tokens", GgufValue.ofArray(GgufValue.GgufArray.ofStrings(shorter))));
        assertTrue(m.contains("tokenizer.ggml.tokens lists 639 tokens but token_embd.weight has 640 rows"), m);
    }
}
