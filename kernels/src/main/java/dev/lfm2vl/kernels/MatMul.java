package dev.lfm2vl.kernels;

import static dev.lfm2vl.kernels.Vec.F;
import static dev.lfm2vl.kernels.Vec.L;

import java.util.Objects;
import jdk.incubator.vector.FloatVector;

/**
 * Y = X·Wᵀ for a batch of tokens (prefill, vision tower): x is [tokens][cols], y is [tokens][rows], both
 * row-major. Each task owns a tile of {@link #MR} weight rows. The tile's rows are dequantized once per
 * {@link #KD} columns (vectorized, row-major) and reused by every token, one {@link #KC}-column slice (16 KiB, in L1)
 * at a time. The register kernel is the outer-product form (kernel-techniques.md §4) with the token as the vector
 * dimension: per column it loads the activations of {@link #NT} tokens as 2 vectors (x is packed once per call, NT
 * tokens interleaved per column), broadcasts one weight of each of {@link #RG} rows straight from the dequantized rows, and issues
 * 2·RG independent FMAs. 8 accumulators + 2 activations + 1 broadcast fit the 16 AVX2 registers.
 *
 * <p>Why this orientation (the former kernel broadcast activations and loaded weight vectors): the weights then
 * had to be transposed into a column-major panel, a scalar shuffle per weight that cost as much as the
 * dequantization and dominated short batches (JFR at 64 tokens: kernel 65 %, dequant 18 %, transpose 16 %).
 * Here the transposition moves to the outputs: a tile's outputs gather in a token-major scratch and are written
 * out once per call, not once per slice. Measured in one JVM, interleaved, 2 threads: Q4_0 6144x2048 at 64
 * tokens 1.18-1.31x, at 20 and 37 tokens 1.10-1.12x; 512-1024 tokens within ±5 %.
 *
 * <p>Why 4 rows x 2 token vectors, not more tokens per broadcast: a kernel that hoists its broadcasts above the
 * FMAs (C2 does, depending on loop strip mining, i.e. on the GC) spills accumulators once more than 16 vector
 * registers are live; with one broadcast live at a time this shape fits however C2 schedules it.
 *
 * <p>Results do not depend on the thread count (each y element is summed by one task in a fixed order).
 * Threading contract as {@link MatVec}: any thread may call; per-thread cached task and scratch; no
 * allocation per call after a thread's first call with that many tokens.
 */
public final class MatMul {
    private MatMul() {}

    /** Weight rows per task tile: {@link #RG}-row groups that share one dequantized slice and activation block. */
    static final int MR = 16;
    /** Weight rows per register kernel call ({@link #kernel} is written out for exactly 4). */
    static final int RG = 4;
    /** Tokens per register kernel call: two float vectors (16 on AVX2, 8 on NEON, 32 on AVX-512). */
    static final int NT = 2 * L;
    /**
     * Rows per call of the narrow kernel, which batches of at most L tokens use (a chat turn, a caption's text, a
     * short prompt at 512 bits): one token vector per column instead of two, so no FMA works on padding (a
     * 16-token batch filled half of the 32 lanes of the wide kernel), and 8 rows per broadcast pass instead of 4 to
     * keep 8 independent chains: 8 accumulators + 1 activation + 1 broadcast fit AVX2's 16 registers.
     */
    static final int RG_NARROW = 8;
    /**
     * Columns per kernel slice: a multiple of every block size (32, 256); the MR·KC floats of a slice stay in L1 while
     * every token block passes over them (128 measured no better). Each output sums its slices in column order.
     */
    static final int KC = 256;
    /**
     * Columns dequantized per pass (KD/KC kernel slices): a {@link WeightMatrix#dequantizeRange} call has a fixed cost
     * that showed over 8 blocks and not over 64 (Q4_0 dequantization per block ~1.5x cheaper, one thread, same JVM;
     * issue 16: short batches spend a third of their time dequantizing). A multiple of KC; the MR·KD floats (128 KiB)
     * stay in L2, and the slice a kernel is on in L1.
     */
    static final int KD = 2048;
    /**
     * Floats from one dequantized row to the next: KD plus one slice. 8 KiB apart, the 16 rows' pieces of a slice would
     * all fall in the same 16 sets of the 8-way L1 (lines 128 apart, 64 sets); 9 KiB apart they spread over all 64.
     */
    static final int ROW_STRIDE = KD + KC;
    /** Below this many multiply-adds the caller computes alone. */
    static final long SEQUENTIAL_MACS = 1 << 16;

    private static final ThreadLocal<TileTask> TASK = ThreadLocal.withInitial(TileTask::new);
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Per-thread buffers: a slice of dequantized rows, and a tile's outputs token-major (grown to the widest batch). */
    private static final class Scratch {
        final float[] rows = new float[MR * ROW_STRIDE];
        float[] out = new float[0];

        float[] out(int n) {
            if (out.length < n) {
                out = new float[n];
            }
            return out;
        }
    }

    /**
     * Bytes of the activation copy a product over {@code tokens} rows of {@code cols} columns packs. Each calling
     * thread keeps one such buffer for reuse, grown to its widest product so far (memory estimates add it).
     */
    public static long packedActivationBytes(int tokens, int cols) {
        int nt = tokensPerBlock(tokens);
        return (long) Float.BYTES * ((tokens + nt - 1) / nt) * nt * cols;
    }

    /** Tokens the packed activations interleave per block: L (the narrow kernel) for at most L tokens, else NT. */
    static int tokensPerBlock(int tokens) {
        return tokens <= L ? L : NT;
    }

    /** Floats in the calling thread's packed-activation buffer (tests). */
    static int packBufferFloats() {
        return TASK.get().xp.length;
    }

    /** y[t·rows + r] = row r of w · x[t·cols ..] for t in [0, tokens). */
    public static void matMul(WeightMatrix w, float[] x, int tokens, float[] y, Parallel pool) {
        int rows = w.rows(), cols = w.cols();
        if (tokens < 0) {
            throw new IllegalArgumentException("tokens < 0: " + tokens);
        }
        Objects.checkFromIndexSize(0, (long) tokens * cols, x.length);
        Objects.checkFromIndexSize(0, (long) tokens * rows, y.length);
        if (tokens == 0) {
            return;
        }
        int tiles = (rows + MR - 1) / MR;
        TileTask t = TASK.get();
        boolean alone = pool.threads() == 1 || (long) rows * cols * tokens < SEQUENTIAL_MACS;
        PackTask pack = t.pack;
        pack.set(x, tokens, cols, t.packBuffer(tokens, cols));
        t.set(w, pack.out, tokens, y);
        try {
            if (alone) {
                for (int b = 0; b < pack.blocks; b++) {
                    pack.run(b);
                }
                for (int i = 0; i < tiles; i++) {
                    t.run(i);
                }
            } else {
                pool.run(pack.blocks, pack); // a serial pack was ~5-10 % of a 1152-row product
                pool.run(tiles, t);
            }
        } finally {
            t.clear();
            pack.clear();
        }
    }

    /**
     * Packs x as token blocks of NT interleaved rows, out[(b·cols + k)·NT + u] = x[(b·NT + u)·cols + k], the
     * missing tokens of the last block zero: the kernel then reads NT activations of a column from one address.
     * Task index = token block.
     */
    private static final class PackTask implements Parallel.Task {
        private float[] x;
        float[] out;
        int blocks;
        private int tokens, cols, nt;

        void set(float[] x, int tokens, int cols, float[] out) {
            this.x = x;
            this.tokens = tokens;
            this.cols = cols;
            this.out = out;
            this.nt = tokensPerBlock(tokens);
            this.blocks = (tokens + nt - 1) / nt;
        }

        void clear() {
            x = out = null;
        }

        @Override
        public void run(int b) {
            float[] x = this.x, out = this.out;
            int cols = this.cols, nt = this.nt;
            int o = b * nt * cols;
            for (int u = 0; u < nt; u++) {
                int t = b * nt + u;
                if (t < tokens) {
                    for (int k = 0, xi = t * cols; k < cols; k++) {
                        out[o + k * nt + u] = x[xi + k];
                    }
                } else {
                    for (int k = 0; k < cols; k++) {
                        out[o + k * nt + u] = 0;
                    }
                }
            }
        }
    }

    /** One call's work; the caller thread's instance also owns the packed activations (grown, never shrunk). */
    private static final class TileTask implements Parallel.Task {
        final PackTask pack = new PackTask();
        private WeightMatrix w;
        private float[] xp = new float[0], y;
        private float[] packed;
        private int tokens;

        /** The caller's buffer for the packed activations of tokens x cols (whole token blocks). */
        float[] packBuffer(int tokens, int cols) {
            long need = packedActivationBytes(tokens, cols) / Float.BYTES;
            if (need > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException(tokens + " tokens x " + cols + " columns is too large a batch");
            }
            if (xp.length < need) {
                xp = new float[(int) need];
            }
            return xp;
        }

        void set(WeightMatrix w, float[] packed, int tokens, float[] y) {
            this.w = w;
            this.packed = packed;
            this.tokens = tokens;
            this.y = y;
        }

        void clear() {
            w = null;
            packed = y = null;
        }

        @Override
        public void run(int tile) {
            tile(w, packed, tokens, y, tile * MR, SCRATCH.get());
        }
    }

    /**
     * Rows [r0, r0+MR) for all tokens; xp is the token-interleaved activations ({@link PackTask}). A row group
     * reaching past the last row computes garbage from stale scratch rows that is never copied out; missing tokens
     * of the last block are zeros in xp.
     */
    static void tile(WeightMatrix w, float[] xp, int tokens, float[] y, int r0, Scratch sc) {
        int rows = w.rows(), cols = w.cols();
        int mr = Math.min(MR, rows - r0);
        int nt = tokensPerBlock(tokens);
        int blocks = (tokens + nt - 1) / nt, tp = blocks * nt;
        float[] ws = sc.rows, out = sc.out(MR * tp);
        for (int k0 = 0; k0 < cols; k0 += KD) {
            int kd = Math.min(KD, cols - k0);
            for (int i = 0; i < mr; i++) {
                w.dequantizeRange(r0 + i, k0, kd, ws, i * ROW_STRIDE);
            }
            for (int k1 = 0; k1 < kd; k1 += KC) {
                int kc = Math.min(KC, kd - k1), k = k0 + k1;
                if (nt == L) { // at most L tokens: one block
                    for (int g = 0; g < mr; g += RG_NARROW) {
                        kernelNarrow(ws, g * ROW_STRIDE + k1, kc, xp, k * L, out, g * tp, tp, k == 0);
                    }
                    continue;
                }
                for (int b = 0; b < blocks; b++) { // a 16 KiB activation block stays in L1 for the tile's row groups
                    for (int g = 0; g < mr; g += RG) {
                        kernel(ws, g * ROW_STRIDE + k1, kc, xp, (b * cols + k) * NT, out, g * tp + b * NT, tp, k == 0);
                    }
                }
            }
        }
        for (int t = 0; t < tokens; t++) { // token-major: one cache line of y per token
            for (int i = 0, yt = t * rows + r0; i < mr; i++) {
                y[yt + i] = out[i * tp + t];
            }
        }
    }

    /**
     * RG rows (ws[w0 + i·ROW_STRIDE + k]) x NT tokens (xp[x0 + k·NT + u]) over kc columns, added to out[o0 + i·os ..+NT)
     * (or stored when {@code first}): the outer-product register kernel.
     */
    private static void kernel(float[] ws, int w0, int kc, float[] xp, int x0, float[] out, int o0, int os, boolean first) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00;
        FloatVector c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        for (int k = 0; k < kc; k++) {
            int xk = x0 + k * NT;
            FloatVector a = FloatVector.fromArray(F, xp, xk);
            FloatVector b = FloatVector.fromArray(F, xp, xk + L);
            FloatVector v = FloatVector.broadcast(F, ws[w0 + k]);
            c00 = a.fma(v, c00);
            c01 = b.fma(v, c01);
            v = FloatVector.broadcast(F, ws[w0 + ROW_STRIDE + k]);
            c10 = a.fma(v, c10);
            c11 = b.fma(v, c11);
            v = FloatVector.broadcast(F, ws[w0 + 2 * ROW_STRIDE + k]);
            c20 = a.fma(v, c20);
            c21 = b.fma(v, c21);
            v = FloatVector.broadcast(F, ws[w0 + 3 * ROW_STRIDE + k]);
            c30 = a.fma(v, c30);
            c31 = b.fma(v, c31);
        }
        put(out, o0, first, c00, c01);
        put(out, o0 + os, first, c10, c11);
        put(out, o0 + 2 * os, first, c20, c21);
        put(out, o0 + 3 * os, first, c30, c31);
    }

    /**
     * RG_NARROW rows (ws[w0 + i·ROW_STRIDE + k]) x L tokens (xp[x0 + k·L + u]) over kc columns, added to
     * out[o0 + i·os ..+L) (or stored when {@code first}): {@link #kernel} with one token vector.
     */
    private static void kernelNarrow(float[] ws, int w0, int kc, float[] xp, int x0, float[] out, int o0, int os, boolean first) {
        FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        for (int k = 0; k < kc; k++) {
            FloatVector a = FloatVector.fromArray(F, xp, x0 + k * L);
            c0 = a.fma(FloatVector.broadcast(F, ws[w0 + k]), c0);
            c1 = a.fma(FloatVector.broadcast(F, ws[w0 + ROW_STRIDE + k]), c1);
            c2 = a.fma(FloatVector.broadcast(F, ws[w0 + 2 * ROW_STRIDE + k]), c2);
            c3 = a.fma(FloatVector.broadcast(F, ws[w0 + 3 * ROW_STRIDE + k]), c3);
            c4 = a.fma(FloatVector.broadcast(F, ws[w0 + 4 * ROW_STRIDE + k]), c4);
            c5 = a.fma(FloatVector.broadcast(F, ws[w0 + 5 * ROW_STRIDE + k]), c5);
            c6 = a.fma(FloatVector.broadcast(F, ws[w0 + 6 * ROW_STRIDE + k]), c6);
            c7 = a.fma(FloatVector.broadcast(F, ws[w0 + 7 * ROW_STRIDE + k]), c7);
        }
        put(out, o0, first, c0);
        put(out, o0 + os, first, c1);
        put(out, o0 + 2 * os, first, c2);
        put(out, o0 + 3 * os, first, c3);
        put(out, o0 + 4 * os, first, c4);
        put(out, o0 + 5 * os, first, c5);
        put(out, o0 + 6 * os, first, c6);
        put(out, o0 + 7 * os, first, c7);
    }

    private static void put(float[] y, int i, boolean first, FloatVector c) {
        if (!first) {
            c = FloatVector.fromArray(F, y, i).add(c); // the fresh load as receiver: docs/JIT.md, rule 1
        }
        c.intoArray(y, i);
    }

    private static void put(float[] y, int i, boolean first, FloatVector lo, FloatVector hi) {
        if (!first) {
            lo = FloatVector.fromArray(F, y, i).add(lo); // the fresh load as receiver: docs/JIT.md, rule 1
            hi = FloatVector.fromArray(F, y, i + L).add(hi);
        }
        lo.intoArray(y, i);
        hi.intoArray(y, i + L);
    }
}
