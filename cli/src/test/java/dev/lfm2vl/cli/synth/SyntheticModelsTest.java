package dev.lfm2vl.cli.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.loader.GgmlType;
import dev.lfm2vl.loader.GgufFile;
import dev.lfm2vl.loader.GgufMetadata;
import dev.lfm2vl.loader.GgufTensor;
import dev.lfm2vl.loader.GgufValue;
import dev.lfm2vl.runtime.Lfm2Config;
import dev.lfm2vl.runtime.Lfm2Model;
import dev.lfm2vl.runtime.Lfm2State;
import dev.lfm2vl.runtime.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticModelsTest {

    @Test
    void tinyPairLoadsAndRunsAForwardPass(@TempDir Path dir) throws Exception {
        SyntheticModels.Preset p = SyntheticModels.preset("tiny");
        Path text = dir.resolve("text.gguf");
        Path mmproj = dir.resolve("mmproj.gguf");
        try (Parallel pool = Parallel.create(2)) {
            long[] last = new long[2];
            SyntheticModels.text(p, GgmlType.Q8_0, GgmlType.Q8_0, 42).write(text, pool, (d, t) -> { last[0] = d; last[1] = t; });
            assertEquals(last[1], last[0], "progress reaches the total");
            SyntheticModels.mmproj(p, GgmlType.F16, 42).write(mmproj, pool, GgufStreamWriter.Progress.NONE);
            try (Lfm2Model m = Lfm2Model.load(text, pool)) {
                Lfm2Config c = m.config();
                assertEquals(5, c.layers());
                assertEquals(256, c.dim());
                assertEquals(640, c.vocabSize());
                assertTrue(c.isAttention(2) && c.isAttention(4) && !c.isAttention(0));
                assertEquals(1_000_000f, c.ropeTheta());
                Tokenizer tok = Tokenizer.fromGguf(m.gguf().metadata());
                int[] ids = tok.encode("<|im_start|>user\nhello world<|im_end|>", true, true);
                assertEquals(1, ids[0]);
                assertEquals(6, ids[1]);
                assertEquals("<|im_start|>user\nhello world<|im_end|>", tok.decode(ids, true).replace("<|startoftext|>", ""));
                Lfm2State st = m.newState(64);
                float[] logits = new float[c.vocabSize()];
                m.forward(st, ids, 0, ids.length, logits);
                double sum = 0;
                for (float v : logits) {
                    assertTrue(Float.isFinite(v));
                    sum += Math.abs(v);
                }
                assertTrue(sum > 0);
                m.forward(st, new int[] {42}, 0, 1, logits);
                for (float v : logits) {
                    assertTrue(Float.isFinite(v));
                }
            }
            try (GgufFile f = GgufFile.open(mmproj)) {
                GgufMetadata md = f.metadata();
                assertEquals("clip", md.getString("general.architecture"));
                assertEquals("lfm2", md.getString("clip.projector_type"));
                assertEquals(3, md.getInt("clip.vision.block_count"));
                assertEquals(2, md.getInt("clip.vision.projector.scale_factor"));
                assertEquals(GgmlType.F16, f.tensor("v.blk.0.ffn_down.weight").type());
                assertEquals(GgmlType.F32, f.tensor("v.position_embd.weight").type());
                assertEquals(256, f.tensor("mm.input_norm.weight").dim(0));
                assertEquals(59, f.tensors().size()); // as the fixture mmproj
            }
        }
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count(), "no temporary files are left behind");
        }
    }

    @Test
    void outputIsDeterministic(@TempDir Path dir) throws Exception {
        SyntheticModels.Preset p = SyntheticModels.preset("tiny");
        try (Parallel one = Parallel.create(1); Parallel two = Parallel.create(2)) {
            SyntheticModels.text(p, GgmlType.Q4_0, GgmlType.Q6_K, 7).write(dir.resolve("a.gguf"), one, GgufStreamWriter.Progress.NONE);
            SyntheticModels.text(p, GgmlType.Q4_0, GgmlType.Q6_K, 7).write(dir.resolve("b.gguf"), two, GgufStreamWriter.Progress.NONE);
        }
        assertEquals(-1, Files.mismatch(dir.resolve("a.gguf"), dir.resolve("b.gguf")));
        try (GgufFile f = GgufFile.open(dir.resolve("a.gguf"))) {
            assertEquals(GgmlType.Q6_K, f.tensor("token_embd.weight").type());
            assertEquals(GgmlType.Q4_0, f.tensor("blk.0.ffn_up.weight").type());
            assertEquals(GgmlType.F32, f.tensor("blk.0.shortconv.conv.weight").type());
            assertEquals(2, f.metadata().getInt("general.file_type"));
            // weights look like N(0, 0.02)
            GgufTensor t = f.tensor("blk.1.ffn_down.weight");
            float[] row = new float[(int) t.columns()];
            dev.lfm2vl.kernels.WeightMatrix.of(t).dequantizeRow(3, row, 0);
            double s2 = 0;
            for (float v : row) {
                s2 += v * v;
            }
            double sd = Math.sqrt(s2 / row.length);
            assertTrue(sd > 0.017 && sd < 0.023, "sd " + sd);
        }
    }

    @Test
    void lfm2vl3bPresetHasTheRealShapesAndAValidTokenizer() throws Exception {
        SyntheticModels.Preset p = SyntheticModels.preset("lfm2-vl-3b");
        GgufStreamWriter text = SyntheticModels.text(p, GgmlType.Q4_0, GgmlType.Q6_K, 1);
        assertEquals(266, text.tensorCount()); // docs/MODEL.md §2.7
        // Q4_0 blocks for everything but the Q6_K embedding and the F32 norms/conv kernels: about 1.5 GB
        long bytes = text.dataBytes();
        assertTrue(bytes > 1_400_000_000L && bytes < 1_700_000_000L, "bytes " + bytes);
        GgufStreamWriter mm = SyntheticModels.mmproj(p, GgmlType.F16, 1);
        assertEquals(3 + 27 * 16 + 2 + 6, mm.tensorCount());
        assertTrue(mm.dataBytes() > 700_000_000L && mm.dataBytes() < 900_000_000L, "mmproj bytes " + mm.dataBytes());

        SyntheticModels.Vocab v = SyntheticModels.vocab(65536);
        assertEquals("<|startoftext|>", v.tokens()[1]);
        assertEquals("<|im_end|>", v.tokens()[7]);
        assertEquals("<image>", v.tokens()[396]);
        assertEquals("<|img_row_1_col_2|>", v.tokens()[398]);
        assertEquals("<|img_thumbnail|>", v.tokens()[497]);
        assertEquals("<|image_end|>", v.tokens()[499]);
        Map<String, GgufValue> md = new LinkedHashMap<>();
        md.put("tokenizer.ggml.model", GgufValue.ofString("gpt2"));
        md.put("tokenizer.ggml.pre", GgufValue.ofString("lfm2"));
        md.put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufValue.GgufArray.ofStrings(v.tokens())));
        md.put("tokenizer.ggml.token_type", GgufValue.ofArray(GgufValue.GgufArray.ofInts(dev.lfm2vl.loader.GgufValueType.INT32, v.types())));
        md.put("tokenizer.ggml.merges", GgufValue.ofArray(GgufValue.GgufArray.ofStrings(v.merges())));
        Tokenizer tok = Tokenizer.fromGguf(new GgufMetadata(md));
        assertEquals(65536, tok.vocabSize());
        int[] ids = tok.encode("hello <image> world", true, true);
        assertEquals(1, ids[0]);
        boolean hasImage = false;
        for (int id : ids) {
            hasImage |= id == 396;
        }
        assertTrue(hasImage);
        assertEquals("hello <image> world", tok.decode(ids, true).replace("<|startoftext|>", ""));
        assertFalse(tok.isControl(600));
    }
}
