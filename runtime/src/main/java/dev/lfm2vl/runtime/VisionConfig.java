package dev.lfm2vl.runtime;

import dev.lfm2vl.loader.GgufFile;
import dev.lfm2vl.loader.GgufFormatException;
import dev.lfm2vl.loader.GgufMetadata;

/**
 * Hyperparameters of an LFM2-VL vision projector ("mmproj") GGUF (docs/MODEL.md §2.8, §4.1).
 *
 * @param hidden        {@code clip.vision.embedding_length} (1152 for the 3B)
 * @param heads         {@code clip.vision.attention.head_count}
 * @param headDim       hidden / heads (72 for the 3B)
 * @param ffnDim        {@code clip.vision.feed_forward_length}
 * @param layers        {@code clip.vision.block_count}: the encoder layers to RUN (extra {@code v.blk.*} are ignored,
 *                      docs/MODEL.md pitfall 14)
 * @param patchSize     {@code clip.vision.patch_size} (16)
 * @param eps           {@code clip.vision.attention.layer_norm_epsilon} (1e-6)
 * @param imageMean     {@code clip.vision.image_mean} (3 values)
 * @param imageStd      {@code clip.vision.image_std} (3 values)
 * @param scaleFactor   {@code clip.vision.projector.scale_factor}, the pixel-unshuffle factor (2 when absent)
 * @param projectionDim {@code clip.vision.projection_dim}: the width of the image vectors (= text hidden size)
 */
public record VisionConfig(int hidden, int heads, int headDim, int ffnDim, int layers, int patchSize, float eps,
                           float[] imageMean, float[] imageStd, int scaleFactor, int projectionDim) {

    public static final String ARCHITECTURE = "clip";
    public static final String PROJECTOR_TYPE = "lfm2";
    /** Side of the learned position-embedding grid (256 entries = 16 x 16). */
    public static final int POSITION_GRID = 16;

    public VisionConfig {
        imageMean = imageMean.clone();
        imageStd = imageStd.clone();
    }

    @Override
    public float[] imageMean() {
        return imageMean.clone();
    }

    @Override
    public float[] imageStd() {
        return imageStd.clone();
    }

    /** Values per patch vector: 3 · patch². */
    public int patchValues() {
        return 3 * patchSize * patchSize;
    }

    /** Width of a merged (unshuffled) token: scale² · hidden. */
    public int mergedDim() {
        return scaleFactor * scaleFactor * hidden;
    }

    /**
     * Reads and checks the metadata of an mmproj GGUF. Anything but {@code general.architecture = clip} with
     * {@code clip.projector_type = lfm2} is an error naming what was found.
     */
    public static VisionConfig from(GgufFile gguf) throws GgufFormatException {
        GgufMetadata md = gguf.metadata();
        String where = gguf.source() + ": ";
        String arch = md.getString("general.architecture", "(none)");
        if (!arch.equals(ARCHITECTURE)) {
            throw new GgufFormatException(where + "architecture '" + arch + "' is not a vision projector (--mmproj needs a '"
                    + ARCHITECTURE + "' GGUF with projector type '" + PROJECTOR_TYPE + "')");
        }
        String proj = md.getString("clip.projector_type", "(none)");
        if (!proj.equals(PROJECTOR_TYPE)) {
            throw new GgufFormatException(where + "projector type '" + proj + "' is not supported (only '" + PROJECTOR_TYPE
                    + "', the LFM2-VL projector)");
        }
        if (!md.getBool("clip.has_vision_encoder", true)) {
            throw new GgufFormatException(where + "the file has no vision encoder");
        }
        String p = "clip.vision.";
        int hidden = md.getInt(p + "embedding_length");
        int heads = md.getInt(p + "attention.head_count");
        int ffn = md.getInt(p + "feed_forward_length");
        int layers = md.getInt(p + "block_count");
        int patch = md.getInt(p + "patch_size", 16);
        float eps = md.getFloat(p + "attention.layer_norm_epsilon", 1e-6f);
        float[] mean = md.has(p + "image_mean") ? md.getFloatArray(p + "image_mean") : new float[] {0.5f, 0.5f, 0.5f};
        float[] std = md.has(p + "image_std") ? md.getFloatArray(p + "image_std") : new float[] {0.5f, 0.5f, 0.5f};
        // llama.cpp defaults a missing scale factor to 1, which would break lfm2; the converter always writes 2
        int scale = md.getInt(p + "projector.scale_factor", 2);
        int projDim = md.has(p + "projection_dim") ? md.getInt(p + "projection_dim")
                : gguf.hasTensor("mm.2.weight") ? (int) gguf.tensor("mm.2.weight").rows() : -1;
        check(hidden > 0 && heads > 0 && hidden % heads == 0, where + "embedding_length " + hidden + " is not a multiple of head_count " + heads);
        check(ffn > 0, where + "feed_forward_length " + ffn + " is out of range");
        check(layers > 0 && layers <= 1024, where + "block_count " + layers + " is out of range");
        check(patch > 0 && patch <= 64, where + "patch_size " + patch + " is out of range");
        check(eps > 0 && eps < 1, where + "layer_norm_epsilon " + eps + " is out of range");
        check(mean.length == 3 && std.length == 3, where + "image_mean/image_std need 3 values each");
        for (float s : std) {
            check(s != 0 && Float.isFinite(s), where + "image_std must be finite and non-zero");
        }
        check(scale >= 1 && scale <= 8, where + "projector.scale_factor " + scale + " is out of range");
        check(projDim > 0, where + "projection_dim is missing or out of range");
        for (int l = 0; l < layers; l++) {
            check(gguf.hasTensor("v.blk." + l + ".attn_q.weight"),
                    where + "block_count is " + layers + " but tensor v.blk." + l + ".attn_q.weight is missing");
        }
        return new VisionConfig(hidden, heads, hidden / heads, ffn, layers, patch, eps, mean, std, scale, projDim);
    }

    private static void check(boolean ok, String message) throws GgufFormatException {
        if (!ok) {
            throw new GgufFormatException(message);
        }
    }

    @Override
    public String toString() {
        return "VisionConfig[hidden=" + hidden + ", heads=" + heads + ", headDim=" + headDim + ", ffn=" + ffnDim + ", layers="
                + layers + ", patch=" + patchSize + ", eps=" + eps + ", scale=" + scaleFactor + ", projectionDim=" + projectionDim + "]";
    }
}
