package dev.lfm2vl.runtime;

import dev.lfm2vl.kernels.Activations;
import dev.lfm2vl.kernels.AttentionTiles;
import dev.lfm2vl.kernels.BidirectionalAttention;
import dev.lfm2vl.kernels.Elementwise;
import dev.lfm2vl.kernels.MatMul;
import dev.lfm2vl.kernels.Norms;
import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.kernels.Resize;
import dev.lfm2vl.kernels.WeightMatrix;
import dev.lfm2vl.loader.GgufFile;
import dev.lfm2vl.loader.GgufFormatException;
import dev.lfm2vl.loader.GgufTensor;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

/**
 * The SigLIP2 NaFlex vision tower of an mmproj GGUF (docs/MODEL.md §4): patch embedding, learned position grid
 * resized to the patch grid, {@code block_count} pre-norm encoder layers with bidirectional attention, post-LayerNorm.
 * Weights stay in the memory-mapped GGUF.
 *
 * <p>Memory: the activation buffers are sized for the largest image seen so far and grow (once) when a larger one
 * arrives; a 512x512 tile of the 3B (1024 patches) needs about 1024·(6·1152 + 4304)·4 B ≈ 46 MB plus the attention
 * scratch. Resized position grids are cached per patch-grid size. Not thread-safe: one {@link #encode} at a time.
 */
final class SiglipEncoder {
    private final VisionConfig config;
    private final Parallel pool;
    private final WeightMatrix patchWeight;  // [hidden][3·p·p], input index c·p² + ky·p + kx (docs/MODEL.md pitfall 11)
    private final float[] patchBias;
    private final float[] positionTable;     // [16·16][hidden], row y·16 + x
    private final Block[] blocks;
    private final float[] postNormW;
    private final float[] postNormB;
    private final Map<Long, float[]> positionCache = new HashMap<>();

    private record Block(float[] ln1W, float[] ln1B, WeightMatrix q, float[] qB, WeightMatrix k, float[] kB,
                         WeightMatrix v, float[] vB, WeightMatrix out, float[] outB, float[] ln2W, float[] ln2B,
                         WeightMatrix up, float[] upB, WeightMatrix down, float[] downB) {}

    // grow-once scratch (capacity in patches)
    private int capacity;
    private float[] patches; // [n][3·p·p]
    private float[] x;       // residual stream [n][hidden]
    private float[] a;       // normed input [n][hidden]
    private float[] q, k, v; // [n][hidden] each
    private float[] attn;    // attention output [n][hidden]
    private float[] tmp;     // projection output [n][hidden]
    private float[] ff;      // [n][ffn]
    private float[] keysT;   // per head: transposed keys
    private float[] scores;  // per attention task: ROW_BLOCK·n
    private final AttentionTasks attentionTasks = new AttentionTasks();
    private volatile VisionNumerics numerics = VisionNumerics.EXACT;

    /** The numerics of the products' inputs and of the GELU ({@link VisionNumerics}; parity tests swap them). */
    void setNumerics(VisionNumerics numerics) {
        this.numerics = java.util.Objects.requireNonNull(numerics, "numerics");
    }

    SiglipEncoder(GgufFile gguf, VisionConfig config, Parallel pool) throws GgufFormatException {
        this.config = config;
        this.pool = pool;
        int d = config.hidden();
        int p = config.patchSize();
        GgufTensor pe = gguf.tensor("v.patch_embd.weight");
        long[] shape = pe.shape();
        if (shape.length != 4 || shape[0] != p || shape[1] != p || shape[2] != 3 || shape[3] != d) {
            throw new GgufFormatException(gguf.source() + ": tensor 'v.patch_embd.weight' has shape " + Arrays.toString(shape)
                    + ", expected [" + p + ", " + p + ", 3, " + d + "]");
        }
        try {
            this.patchWeight = WeightMatrix.of(pe.type(), pe.data(), d, config.patchValues());
        } catch (IllegalArgumentException e) {
            throw new GgufFormatException(gguf.source() + ": " + e.getMessage());
        }
        this.patchBias = GgufWeights.vector(gguf, "v.patch_embd.bias", d);
        int grid = VisionConfig.POSITION_GRID;
        this.positionTable = GgufWeights.vector(gguf, "v.position_embd.weight", grid * grid * d);
        this.blocks = new Block[config.layers()];
        int f = config.ffnDim();
        for (int l = 0; l < config.layers(); l++) {
            String b = "v.blk." + l + ".";
            blocks[l] = new Block(
                    GgufWeights.vector(gguf, b + "ln1.weight", d), GgufWeights.vector(gguf, b + "ln1.bias", d),
                    GgufWeights.matrix(gguf, b + "attn_q.weight", d, d), GgufWeights.vector(gguf, b + "attn_q.bias", d),
                    GgufWeights.matrix(gguf, b + "attn_k.weight", d, d), GgufWeights.vector(gguf, b + "attn_k.bias", d),
                    GgufWeights.matrix(gguf, b + "attn_v.weight", d, d), GgufWeights.vector(gguf, b + "attn_v.bias", d),
                    GgufWeights.matrix(gguf, b + "attn_out.weight", d, d), GgufWeights.vector(gguf, b + "attn_out.bias", d),
                    GgufWeights.vector(gguf, b + "ln2.weight", d), GgufWeights.vector(gguf, b + "ln2.bias", d),
                    GgufWeights.matrix(gguf, b + "ffn_up.weight", d, f), GgufWeights.vector(gguf, b + "ffn_up.bias", f),
                    GgufWeights.matrix(gguf, b + "ffn_down.weight", f, d), GgufWeights.vector(gguf, b + "ffn_down.bias", d));
        }
        this.postNormW = GgufWeights.vector(gguf, "v.post_ln.weight", d);
        this.postNormB = GgufWeights.vector(gguf, "v.post_ln.bias", d);
    }

    public VisionConfig config() {
        return config;
    }

    /**
     * Encodes one entry (planar {@code [3][height][width]} normalised pixels, sides multiples of the patch size) into
     * post-LN features {@code [gh·gw][hidden]}, patches row-major, written to {@code out} (at least that long).
     */
    public void encode(float[] pixels, int width, int height, float[] out) {
        encode(pixels, width, height, out, Stop.NEVER);
    }


    /**
     * As {@link #encode(float[], int, int, float[])}, polling {@code stop} before each block (a 512x512 entry of the
     * 3B tower takes ~0.4 s per block on 2 cores): when it answers true the encoding ends with a
     * {@link CancellationException} and {@code out} holds nothing useful.
     */
    public void encode(float[] pixels, int width, int height, float[] out, BooleanSupplier stop) {
        int p = config.patchSize();
        if (width <= 0 || height <= 0 || width % p != 0 || height % p != 0) {
            throw new IllegalArgumentException("image " + width + "x" + height + " is not a multiple of the patch size " + p);
        }
        if (pixels.length != 3L * width * height) {
            throw new IllegalArgumentException("pixels has " + pixels.length + " values, expected 3x" + width + "x" + height);
        }
        int gw = width / p;
        int gh = height / p;
        int n = gw * gh;
        int d = config.hidden();
        ensureCapacity(n);

        // patch embedding: im2col in the GGUF weight order, one mat-mul, bias
        int pv = config.patchValues();
        int plane = width * height;
        for (int py = 0; py < gh; py++) {
            for (int px = 0; px < gw; px++) {
                int base = (py * gw + px) * pv;
                for (int c = 0; c < 3; c++) {
                    for (int ky = 0; ky < p; ky++) {
                        System.arraycopy(pixels, c * plane + (py * p + ky) * width + px * p, patches, base + c * p * p + ky * p, p);
                    }
                }
            }
        }
        numerics.beforeProduct(patchWeight, patches, n * pv);
        MatMul.matMul(patchWeight, patches, n, x, pool);
        Elementwise.addRows(x, 0, d, n, patchBias, d);
        Elementwise.add(x, 0, positions(gh, gw), 0, n * d);

        int f = config.ffnDim();
        float eps = config.eps();
        for (Block b : blocks) {
            if (stop.getAsBoolean()) {
                throw new CancellationException("image encoding stopped");
            }
            // h = h + out(attn(LN1(h)))
            Norms.layerNormRows(x, 0, b.ln1W, b.ln1B, a, 0, n, d, eps);
            linear(b.q, b.qB, a, n, q);
            linear(b.k, b.kB, a, n, k);
            linear(b.v, b.vB, a, n, v);
            attention(n);
            linear(b.out, b.outB, attn, n, tmp);
            Elementwise.add(x, 0, tmp, 0, n * d);
            // h = h + down(gelu_tanh(up(LN2(h))))
            Norms.layerNormRows(x, 0, b.ln2W, b.ln2B, a, 0, n, d, eps);
            linear(b.up, b.upB, a, n, ff);
            numerics.geluTanh(ff, 0, n * f);
            linear(b.down, b.downB, ff, n, tmp);
            Elementwise.add(x, 0, tmp, 0, n * d);
        }
        Norms.layerNormRows(x, 0, postNormW, postNormB, out, 0, n, d, eps);
    }

    /** y = W·x + bias for n rows. */
    private void linear(WeightMatrix w, float[] bias, float[] in, int n, float[] y) {
        numerics.beforeProduct(w, in, n * w.cols());
        MatMul.matMul(w, in, n, y, pool);
        Elementwise.addRows(y, 0, w.rows(), n, bias, w.rows());
    }

    /**
     * The position embeddings for a {@code gh x gw} patch grid: the learned 16x16 grid resized with antialiased
     * bilinear (docs/MODEL.md §4.3, pitfall 12), identity for 16x16. Cached per size.
     */
    float[] positions(int gh, int gw) {
        int g = VisionConfig.POSITION_GRID;
        if (gh == g && gw == g) {
            return positionTable;
        }
        return positionCache.computeIfAbsent(((long) gh << 32) | gw,
                key -> Resize.bilinearAntialias(positionTable, config.hidden(), g, g, gh, gw));
    }

    private void ensureCapacity(int n) {
        if (n <= capacity) {
            return;
        }
        int d = config.hidden();
        patches = new float[Math.multiplyExact(n, config.patchValues())];
        x = new float[n * d];
        a = new float[n * d];
        q = new float[n * d];
        k = new float[n * d];
        v = new float[n * d];
        attn = new float[n * d];
        tmp = new float[n * d];
        ff = new float[Math.multiplyExact(n, config.ffnDim())];
        keysT = new float[Math.multiplyExact(config.heads(), AttentionTiles.keysTransposedSize(n, config.headDim()))];
        scores = null; // sized per call by the task split
        capacity = n;
    }

    /** Bidirectional multi-head attention of q/k/v into attn over the pool: keys transposed per head, then (head, row chunk) tasks. */
    private void attention(int n) {
        AttentionTasks t = attentionTasks;
        int heads = config.heads();
        int wanted = Math.max(1, Math.ceilDiv(2 * pool.threads(), heads)); // about two tasks per thread
        int rowsPerChunk = Math.max(16, Math.ceilDiv(Math.ceilDiv(n, wanted), AttentionTiles.ROW_BLOCK) * AttentionTiles.ROW_BLOCK);
        int chunks = Math.ceilDiv(n, rowsPerChunk);
        int scoreSize = BidirectionalAttention.bidirectionalScoresSize(n);
        int need = Math.multiplyExact(heads * chunks, scoreSize);
        if (scores == null || scores.length < need) {
            scores = new float[need];
        }
        t.n = n;
        t.chunks = chunks;
        t.rowsPerChunk = rowsPerChunk;
        t.phase = 0;
        pool.run(heads, t);
        t.phase = 1;
        pool.run(heads * chunks, t);
    }

    private final class AttentionTasks implements Parallel.Task {
        int n, chunks, rowsPerChunk, phase;

        @Override
        public void run(int index) {
            int hd = config.headDim();
            int d = config.hidden();
            int kts = AttentionTiles.keysTransposedSize(n, hd);
            if (phase == 0) {
                BidirectionalAttention.transposeKeys(k, 0, d, n, index, hd, keysT, index * kts);
                return;
            }
            int head = index / chunks;
            int chunk = index % chunks;
            int r0 = chunk * rowsPerChunk;
            int r1 = Math.min(n, r0 + rowsPerChunk);
            if (r0 >= r1) {
                return;
            }
            BidirectionalAttention.bidirectionalRows(head, r0, r1, q, 0, keysT, head * kts, v, 0, d, n, hd, attn, 0, d,
                    scores, index * BidirectionalAttention.bidirectionalScoresSize(n));
        }
    }
}
