package dev.lfm2vl.runtime;

import dev.lfm2vl.kernels.AttentionTiles;
import dev.lfm2vl.kernels.BidirectionalAttention;
import dev.lfm2vl.kernels.CausalAttention;
import dev.lfm2vl.kernels.MatMul;

/**
 * Memory the runtime allocates for a prompt, computed from the shapes alone (for {@code lfm2vl plan}): the KV cache
 * and conv state {@link Lfm2State} holds, its batch scratch, and the buffers the vision tower keeps for its largest
 * entry ({@link SiglipEncoder}, {@link VisionModel}, {@link Projector}). All buffers are F32. The formulas mirror the
 * allocations in those classes; keep them in step when those change.
 */
public final class MemoryBudget {

    /**
     * The published LFM2-VL-3B text tower (LFM2-2.6B, docs/MODEL.md §3.1): 30 layers of width 2048, FFN 10752,
     * 32 heads of 64, attention (8 KV heads) at layers 2, 5, 9, 13, 17, 21, 24, 27, the other 22 short-conv with
     * {@code L_cache} 3, vocabulary 65536. Used when no model file is given.
     */
    public static final Lfm2Config LFM2_VL_3B_TEXT;

    static {
        int[] kv = new int[30];
        for (int l : new int[] {2, 5, 9, 13, 17, 21, 24, 27}) {
            kv[l] = 8;
        }
        LFM2_VL_3B_TEXT = new Lfm2Config(30, 2048, 10752, 32, kv, 64, 3, 1_000_000f, 1e-5f, 128_000, 65_536);
    }

    /**
     * SigLIP2-so400m as in the LFM2-VL-3B mmproj (docs/MODEL.md §4.1): hidden 1152, MLP 4304, 16 heads of 72,
     * 27 layers, patch 16, unshuffle factor 2, image vectors of 2048. Used when no mmproj is given.
     */
    public static final VisionConfig SIGLIP2_SO400M = new VisionConfig(1152, 16, 72, 4304, 27, 16, 1e-6f,
            new float[] {0.5f, 0.5f, 0.5f}, new float[] {0.5f, 0.5f, 0.5f}, 2, 2048);

    /** The projector's hidden width ({@code mm.1.weight} rows) assumed for LFM2-VL-3B when no mmproj is given. */
    public static final int LFM2_VL_3B_PROJECTOR_HIDDEN = 2048;

    private MemoryBudget() {}

    /** KV-cache bytes per position: over attention layers, keys and values of {@code kvHeads·headDim} F32. */
    public static long kvBytesPerPosition(Lfm2Config c) {
        long b = 0;
        for (int l = 0; l < c.layers(); l++) {
            if (c.isAttention(l)) {
                b += 2L * c.kvHeads(l) * c.headDim() * Float.BYTES;
            }
        }
        return b;
    }

    /**
     * Conv-state bytes: per short-conv layer {@code (convKernel - 1)·dim} F32, twice (the state and the copy a
     * stoppable prefill rolls back to), independent of the positions.
     */
    public static long convStateBytes(Lfm2Config c) {
        long b = 0;
        for (int l = 0; l < c.layers(); l++) {
            if (!c.isAttention(l)) {
                b += 2L * (c.convKernel() - 1) * c.dim() * Float.BYTES;
            }
        }
        return b;
    }

    /**
     * What {@link Lfm2State#cacheBytes()} reports for a state of {@code positions} capacity: values for every
     * position, keys for the padded stride of the transposed key cache (up to 31 positions more), conv state.
     */
    public static long kvCacheBytes(Lfm2Config c, int positions) {
        long keyPadding = AttentionTiles.keysTransposedStride(positions) - (long) positions;
        return kvBytesPerPosition(c) * positions + kvBytesPerPosition(c) / 2 * keyPadding + convStateBytes(c);
    }

    /**
     * The scratch {@link Lfm2State} allocates besides the cache, for a state of {@code capacity} positions taking
     * batches of up to {@code batch} rows: residual, norm, mixer, gated rows, the short-conv in_proj, q/k/v, the
     * SwiGLU gate and up rows, and the causal-attention scratch of every KV head.
     */
    public static long textScratchBytes(Lfm2Config c, int capacity, int batch) {
        long d = c.dim();
        int maxKv = 0;
        int maxKvHeads = 0;
        for (int l = 0; l < c.layers(); l++) {
            if (c.isAttention(l)) {
                maxKv = Math.max(maxKv, c.kvHeads(l) * c.headDim());
                maxKvHeads = Math.max(maxKvHeads, c.kvHeads(l));
            }
        }
        long floats = 4L * batch * d                       // x, normed, mixed, gated
                + 3L * batch * d                            // bcx
                + (long) batch * c.heads() * c.headDim()    // q
                + 2L * batch * Math.max(1, maxKv)           // k, v
                + 2L * batch * c.ffnDim()                   // gate, up
                + (long) maxKvHeads * CausalAttention.causalTransposedKScratchSize(capacity);
        return floats * Float.BYTES;
    }

    /**
     * The activation copy {@link MatMul} keeps per calling thread, for the text tower's widest product: a batch of
     * {@code batch} rows times max(dim, ffn) columns (the FFN down projection). One buffer serves text and vision
     * on the same thread, so {@link #visionMatMulPackBytes} only matters where it is larger.
     */
    public static long textMatMulPackBytes(Lfm2Config c, int batch) {
        return MatMul.packedActivationBytes(batch, Math.max(c.dim(), c.ffnDim()));
    }

    /**
     * As {@link #textMatMulPackBytes}, for one {@code width x height} entry: the patch embedding, the encoder's
     * products over its patches and the projector's over its image tokens.
     */
    public static long visionMatMulPackBytes(VisionConfig v, int projectorHidden, int width, int height) {
        int n = patches(v, width, height);
        int s = v.scaleFactor();
        int tokens = Math.ceilDiv(width / v.patchSize(), s) * Math.ceilDiv(height / v.patchSize(), s);
        int encoderCols = Math.max(v.patchValues(), Math.max(v.hidden(), v.ffnDim()));
        return Math.max(MatMul.packedActivationBytes(n, encoderCols),
                MatMul.packedActivationBytes(tokens, Math.max(v.mergedDim(), projectorHidden)));
    }

    /** Patches the vision encoder sees for a {@code width x height} entry. */
    public static int patches(VisionConfig v, int width, int height) {
        return (width / v.patchSize()) * (height / v.patchSize());
    }

    /**
     * The buffers {@link SiglipEncoder} keeps after encoding {@code n} patches with {@code threads} workers: patch
     * pixels, seven {@code [n][hidden]} rows (residual, norm, q, k, v, attention out, projection out), the MLP rows,
     * the transposed keys of every head, the attention scores of every (head, row chunk) task, and the cached
     * resized position table.
     */
    public static long visionEncoderBytes(VisionConfig v, int n, int threads) {
        long d = v.hidden();
        int heads = v.heads();
        int wanted = Math.max(1, Math.ceilDiv(2 * Math.max(1, threads), heads));
        int rowsPerChunk = Math.max(16, Math.ceilDiv(Math.ceilDiv(n, wanted), AttentionTiles.ROW_BLOCK) * AttentionTiles.ROW_BLOCK);
        int chunks = Math.ceilDiv(n, rowsPerChunk);
        long floats = (long) n * v.patchValues()
                + 7L * n * d
                + (long) n * v.ffnDim()
                + (long) heads * AttentionTiles.keysTransposedSize(n, v.headDim())
                + (long) heads * chunks * BidirectionalAttention.bidirectionalScoresSize(n)
                + (long) n * d;                             // position table resized to this grid
        return floats * Float.BYTES;
    }

    /**
     * Vision memory for one {@code width x height} entry: the encoder ({@link #visionEncoderBytes}), the post-LN
     * features {@link VisionModel} keeps, the projector's unshuffled and hidden rows, and the entry's image vectors.
     */
    public static long visionBytes(VisionConfig v, int projectorHidden, int width, int height, int threads) {
        int n = patches(v, width, height);
        int s = v.scaleFactor();
        long tokens = (long) Math.ceilDiv(width / v.patchSize(), s) * Math.ceilDiv(height / v.patchSize(), s);
        long floats = (long) n * v.hidden()                 // features
                + tokens * v.mergedDim()                    // projector: unshuffled rows
                + tokens * projectorHidden                  // projector: hidden rows
                + tokens * v.projectionDim();               // the image vectors handed to the text model
        return visionEncoderBytes(v, n, threads) + floats * Float.BYTES;
    }
}
