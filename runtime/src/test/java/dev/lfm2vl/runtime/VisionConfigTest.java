package dev.lfm2vl.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.loader.Fixtures;
import dev.lfm2vl.loader.GgufFile;
import dev.lfm2vl.loader.GgufFormatException;
import dev.lfm2vl.loader.GgufTensor;
import dev.lfm2vl.loader.GgufValue;
import dev.lfm2vl.loader.GgufWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** mmproj metadata checks and the layer count, on edited copies of the tiny F32 mmproj. */
class VisionConfigTest {
    @TempDir
    Path dir;

    interface Edit {
        void apply(GgufFile src, GgufWriter w) throws IOException;
    }

    /** A copy of the F32 mmproj with edited metadata, the tensors {@code keep} accepts, plus {@code extra}. */
    private Path copy(String name, Edit metadata, Predicate<String> keep, Edit extra) throws IOException {
        Path out = dir.resolve(name);
        try (GgufFile src = GgufFile.open(Fixtures.mmproj("F32"))) {
            GgufWriter w = new GgufWriter().putAll(src.metadata());
            metadata.apply(src, w);
            for (GgufTensor t : src.tensors()) {
                if (keep.test(t.name())) {
                    w.addTensor(t.name(), t.type(), t.shape(), t.data());
                }
            }
            extra.apply(src, w);
            w.write(out);
        }
        return out;
    }

    private Path withMetadata(String name, Edit metadata) throws IOException {
        return copy(name, metadata, n -> true, (s, w) -> {});
    }

    private static float[] embed(Path mmproj, ImageEntry entry) throws IOException {
        try (VisionModel v = VisionModel.load(mmproj, Parallel.sequential())) {
            return v.embed(entry);
        }
    }

    private static ImageEntry entry() throws IOException {
        return new ImagePreprocessor(ImagePreprocessor.Options.defaults(PreprocessMode.LLAMA_CPP, new float[] {0.5f, 0.5f, 0.5f},
                new float[] {0.5f, 0.5f, 0.5f})).preprocess(ImageLoader.load(Fixtures.file("images/img_64x48.png"))).entries().get(0);
    }

    @Test
    void readsTheTinyMmprojHyperparameters() throws IOException {
        try (GgufFile f = GgufFile.open(Fixtures.mmproj("F16"))) {
            VisionConfig c = VisionConfig.from(f);
            assertEquals(64, c.hidden());
            assertEquals(4, c.heads());
            assertEquals(16, c.headDim());
            assertEquals(128, c.ffnDim());
            assertEquals(3, c.layers());
            assertEquals(16, c.patchSize());
            assertEquals(1e-6f, c.eps());
            assertEquals(2, c.scaleFactor());
            assertEquals(256, c.projectionDim());
            assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f}, c.imageMean());
        }
    }

    @Test
    void aProjectorTypeOtherThanLfm2IsRejected() throws IOException {
        Path p = withMetadata("mlp.gguf", (s, w) -> w.put("clip.projector_type", GgufValue.ofString("mlp")));
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> VisionModel.load(p, Parallel.sequential()));
        assertTrue(e.getMessage().contains("projector type 'mlp'"), e.getMessage());
    }

    @Test
    void anArchitectureOtherThanClipIsRejected() throws IOException {
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> VisionModel.load(Fixtures.textModel("F32"), Parallel.sequential()));
        assertTrue(e.getMessage().contains("architecture 'lfm2' is not a vision projector"), e.getMessage());
    }

    @Test
    void aMissingScaleFactorMeansTwoForLfm2() throws IOException {
        Path p = withMetadata("noscale.gguf", (s, w) -> w.remove("clip.vision.projector.scale_factor"));
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(2, VisionConfig.from(f).scaleFactor());
        }
    }

    @Test
    void extraEncoderBlocksBeyondBlockCountAreIgnored() throws IOException {
        // a 4th block (a copy of block 2) that block_count = 3 does not ask for
        Path p = copy("extra.gguf", (s, w) -> {}, n -> true, (s, w) -> {
            for (GgufTensor t : s.tensors()) {
                if (t.name().startsWith("v.blk.2.")) {
                    w.addTensor(t.name().replace("v.blk.2.", "v.blk.3."), t.type(), t.shape(), t.data());
                }
            }
        });
        ImageEntry e = entry();
        float[] three = embed(Fixtures.mmproj("F32"), e);
        // not bit-exact: the Vector API's lane reductions may sum in another order once JIT-compiled
        assertTrue(VisionFixtures.maxAbs(three, 0, embed(p, e), 0, three.length) < 1e-5);
        // and a smaller block_count runs fewer layers
        Path two = withMetadata("two.gguf", (s, w) -> w.put("clip.vision.block_count", GgufValue.ofUInt32(2)));
        try (GgufFile f = GgufFile.open(two)) {
            assertEquals(2, VisionConfig.from(f).layers());
        }
        assertTrue(VisionFixtures.maxAbs(three, 0, embed(two, e), 0, three.length) > 1e-2);
    }

    @Test
    void aProjectionDimOtherThanTheTextWidthIsRejectedWhenPaired() throws IOException {
        // mm.2 cut to 128 outputs: a consistent mmproj for a 128-wide text model
        Path p = copy("narrow.gguf", (s, w) -> w.put("clip.vision.projection_dim", GgufValue.ofUInt32(128)),
                n -> !n.startsWith("mm.2."), (s, w) -> {
                    GgufTensor wt = s.tensor("mm.2.weight");
                    GgufTensor b = s.tensor("mm.2.bias");
                    w.addTensor("mm.2.weight", wt.type(), new long[] {wt.shape()[0], 128}, wt.data().asSlice(0, wt.shape()[0] * 128 * 4));
                    w.addTensor("mm.2.bias", b.type(), new long[] {128}, b.data().asSlice(0, 128 * 4));
                });
        try (VisionModel v = VisionModel.load(p, Parallel.sequential());
             Lfm2Model text = Lfm2Model.load(Fixtures.textModel("F32"), Parallel.sequential())) {
            assertEquals(128, v.config().projectionDim());
            assertEquals(70 * 128, v.embed(entry()).length);
            GgufFormatException e = assertThrows(GgufFormatException.class, () -> v.checkCompatible(text));
            assertTrue(e.getMessage().contains("128") && e.getMessage().contains("256"), e.getMessage());
        }
    }

    @Test
    void theProjectorGeluSwitchesToErfForHfParity() throws IOException {
        ImageEntry e = entry();
        try (VisionModel v = VisionModel.load(Fixtures.mmproj("F32"), Parallel.sequential())) {
            assertEquals(dev.lfm2vl.kernels.Activations.Gelu.TANH, v.projector().gelu());
            float[] tanh = v.embed(e);
            float[] erf = v.withProjectorGelu(dev.lfm2vl.kernels.Activations.Gelu.ERF).embed(e);
            double d = VisionFixtures.maxAbs(tanh, 0, erf, 0, tanh.length);
            // the two GELUs differ by at most ~1e-3 per activation (docs/MODEL.md §4.1)
            assertTrue(d > 1e-6 && d < 2e-2, "max abs " + d);
        }
    }
}
