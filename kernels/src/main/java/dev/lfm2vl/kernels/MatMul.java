package dev.lfm2vl.kernels;

import static dev.lfm2vl.kernels.Vec.F;
import static dev.lfm2vl.kernels.Vec.L;

import java.util.Objects;
import jdk.incubator.vector.FloatVector;

/**
 * Y = X·Wᵀ for a batch of tokens (prefill, vision tower): x is [tokens][cols], y is [tokens][rows], both
 * row-major. Each task owns a tile of {@link #MR} = 2 vectors' worth of weight rows. For every {@link #KC}-column
 * slice the tile is dequantized once (vectorized) and packed column-major (MR floats per column, 16 KiB on
 * AVX2: it stays in L1) and then reused by every token. The register kernel is the outer-product form
 * (kernel-techniques.md §4): per column it loads 2 weight vectors, broadcasts one activation of each of
 * {@link #NT} tokens and issues 2·NT independent FMAs into accumulators that are columns of y, so a token's
 * MR outputs are stored as 2 plain vectors with no horizontal sums.
 *
 * <p>NT = 4, not the 6 of BLIS's AVX2 kernel: 8 accumulators + 2 weights + 4 broadcasts fit the 16 AVX2
 * registers however C2 schedules the loop. With 6 tokens C2 sometimes hoists all 6 broadcasts above the FMAs and
 * spills accumulators to the stack; whether it does depended on loop strip mining, i.e. on the GC
 * (G1: 125 GFLOP/s, ParallelGC: 60 GFLOP/s, 2 threads, 10752x2048 Q4_0 x 512 tokens); NT = 4 ran at
 * 100-140 under both.
 *
 * <p>Results do not depend on the thread count (each y element is summed by one task in a fixed order).
 * Threading contract as {@link MatVec}: any thread may call; per-thread cached task and scratch; no
 * allocation per call after a thread's first call.
 */
public final class MatMul {
    private MatMul() {}

    /** Weight rows per task tile: two float vectors (16 on AVX2, 8 on NEON, 32 on AVX-512). */
    static final int MR = 2 * L;
    /** Tokens per register kernel call ({@link #kernel} is written out for exactly 4). */
    static final int NT = 4;
    /** Columns per slice: a multiple of every block size (32, 256); MR·KC floats stay in L1. */
    static final int KC = 256;
    /** Below this many multiply-adds the caller computes alone. */
    static final long SEQUENTIAL_MACS = 1 << 16;

    private static final ThreadLocal<TileTask> TASK = ThreadLocal.withInitial(TileTask::new);
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Per-thread buffers: dequantized rows, the packed column-major panel, and outputs of a partial tile. */
    private static final class Scratch {
        final float[] rows = new float[MR * KC];
        final float[] panel = new float[MR * KC];
        final float[] edge = new float[NT * MR];
    }

    /**
     * Bytes of the activation copy a product over {@code tokens} rows of {@code cols} columns packs. Each calling
     * thread keeps one such buffer for reuse, grown to its widest product so far (memory estimates add it).
     */
    public static long packedActivationBytes(int tokens, int cols) {
        return (long) Float.BYTES * ((tokens + NT - 1) / NT) * NT * cols;
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
        private int tokens, cols;

        void set(float[] x, int tokens, int cols, float[] out) {
            this.x = x;
            this.tokens = tokens;
            this.cols = cols;
            this.out = out;
            this.blocks = (tokens + NT - 1) / NT;
        }

        void clear() {
            x = out = null;
        }

        @Override
        public void run(int b) {
            float[] x = this.x, out = this.out;
            int cols = this.cols;
            int o = b * NT * cols;
            for (int u = 0; u < NT; u++) {
                int t = b * NT + u;
                if (t < tokens) {
                    for (int k = 0, xi = t * cols; k < cols; k++) {
                        out[o + k * NT + u] = x[xi + k];
                    }
                } else {
                    for (int k = 0; k < cols; k++) {
                        out[o + k * NT + u] = 0;
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
            long need = (long) ((tokens + NT - 1) / NT) * NT * cols;
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

    /** Rows [r0, r0+MR) for all tokens; xp is the token-interleaved activations ({@link PackTask}). */
    static void tile(WeightMatrix w, float[] xp, int tokens, float[] y, int r0, Scratch sc) {
        int rows = w.rows(), cols = w.cols();
        int mr = Math.min(MR, rows - r0);
        float[] ws = sc.rows, panel = sc.panel, edge = sc.edge;
        for (int k0 = 0; k0 < cols; k0 += KC) {
            int kc = Math.min(KC, cols - k0);
            for (int i = 0; i < mr; i++) {
                w.dequantizeRange(r0 + i, k0, kc, ws, i * KC);
            }
            pack(ws, mr, kc, panel);
            boolean first = k0 == 0;
            for (int t = 0; t < tokens; t += NT) {
                int nt = Math.min(NT, tokens - t);
                int x0 = t * cols + k0 * NT;
                if (mr == MR && nt == NT) {
                    kernel(panel, kc, xp, x0, y, t * rows + r0, rows, first);
                } else {
                    // a partial tile (the last < NT tokens, or rows past the end): compute all MR rows x NT
                    // tokens into scratch (missing rows and tokens are zeros) and keep the real ones
                    kernel(panel, kc, xp, x0, edge, 0, MR, true);
                    for (int u = 0; u < nt; u++) {
                        for (int i = 0; i < mr; i++) {
                            int yi = (t + u) * rows + r0 + i;
                            y[yi] = first ? edge[u * MR + i] : y[yi] + edge[u * MR + i];
                        }
                    }
                }
            }
        }
    }

    /** panel[k·MR + i] = ws[i·KC + k]: column-major, rows mr..MR-1 zero. */
    private static void pack(float[] ws, int mr, int kc, float[] panel) {
        for (int k = 0; k < kc; k++) {
            int o = k * MR;
            for (int i = 0; i < mr; i++) {
                panel[o + i] = ws[i * KC + k];
            }
            for (int i = mr; i < MR; i++) {
                panel[o + i] = 0;
            }
        }
    }

    /**
     * MR rows (panel) x NT tokens (xp[x0 + k·NT + u]) over kc columns, added to y[y0 + u·ys .. +MR) (or stored
     * when {@code first}): the outer-product register kernel.
     */
    private static void kernel(float[] panel, int kc, float[] xp, int x0, float[] y, int y0, int ys, boolean first) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c02 = c00, c03 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        for (int k = 0; k < kc; k++) {
            FloatVector a = FloatVector.fromArray(F, panel, k * MR);
            FloatVector b = FloatVector.fromArray(F, panel, k * MR + L);
            int xk = x0 + k * NT;
            FloatVector v = FloatVector.broadcast(F, xp[xk]);
            c00 = a.fma(v, c00);
            c10 = b.fma(v, c10);
            v = FloatVector.broadcast(F, xp[xk + 1]);
            c01 = a.fma(v, c01);
            c11 = b.fma(v, c11);
            v = FloatVector.broadcast(F, xp[xk + 2]);
            c02 = a.fma(v, c02);
            c12 = b.fma(v, c12);
            v = FloatVector.broadcast(F, xp[xk + 3]);
            c03 = a.fma(v, c03);
            c13 = b.fma(v, c13);
        }
        put(y, y0, first, c00, c10);
        put(y, y0 + ys, first, c01, c11);
        put(y, y0 + 2 * ys, first, c02, c12);
        put(y, y0 + 3 * ys, first, c03, c13);
    }

    private static void put(float[] y, int i, boolean first, FloatVector lo, FloatVector hi) {
        if (!first) {
            lo = lo.add(FloatVector.fromArray(F, y, i));
            hi = hi.add(FloatVector.fromArray(F, y, i + L));
        }
        lo.intoArray(y, i);
        hi.intoArray(y, i + L);
    }
}
