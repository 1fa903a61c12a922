package dev.lfm2vl.kernels;

import static dev.lfm2vl.kernels.Vec.F;
import static dev.lfm2vl.kernels.Vec.L;

import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Y = X·Wᵀ for a batch of tokens (prefill, vision tower): x is [tokens][cols], y is [tokens][rows], both
 * row-major. Each task owns a tile of {@link #MR} weight rows. For every {@link #KC}-column slice the tile is
 * dequantized once (vectorized) into a per-thread scratch of MR·KC floats (32 KiB, L1/L2) and then
 * reused by every token: a 2-row x 4-token register kernel loads 2 weight and 4 activation vectors per step
 * and issues 8 independent FMAs (kernel-techniques.md §4).
 *
 * <p>Results do not depend on the thread count (each y element is summed by one task in a fixed order).
 * Threading contract as {@link MatVec}: any thread may call; per-thread cached task and scratch; no
 * allocation per call after a thread's first call.
 */
public final class MatMul {
    private MatMul() {}

    /** Weight rows per task tile. */
    static final int MR = 16;
    /** Columns per slice: a multiple of every block size (32, 256); 512 halves the per-slice reductions vs 256. */
    static final int KC = 512;
    /** Below this many multiply-adds the caller computes alone. */
    static final long SEQUENTIAL_MACS = 1 << 16;

    private static final ThreadLocal<TileTask> TASK = ThreadLocal.withInitial(TileTask::new);
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[MR * KC]);

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
        t.set(w, x, tokens, y);
        try {
            if (pool.threads() == 1 || (long) rows * cols * tokens < SEQUENTIAL_MACS) {
                for (int i = 0; i < tiles; i++) {
                    t.run(i);
                }
            } else {
                pool.run(tiles, t);
            }
        } finally {
            t.clear();
        }
    }

    private static final class TileTask implements Parallel.Task {
        private WeightMatrix w;
        private float[] x, y;
        private int tokens;

        void set(WeightMatrix w, float[] x, int tokens, float[] y) {
            this.w = w;
            this.x = x;
            this.tokens = tokens;
            this.y = y;
        }

        void clear() {
            w = null;
            x = y = null;
        }

        @Override
        public void run(int tile) {
            tile(w, x, tokens, y, tile * MR, SCRATCH.get());
        }
    }

    /** Rows [r0, r0+MR) for all tokens. */
    static void tile(WeightMatrix w, float[] x, int tokens, float[] y, int r0, float[] ws) {
        int rows = w.rows(), cols = w.cols();
        int mr = Math.min(MR, rows - r0);
        for (int k0 = 0; k0 < cols; k0 += KC) {
            int kc = Math.min(KC, cols - k0);
            for (int i = 0; i < mr; i++) {
                w.dequantizeRange(r0 + i, k0, kc, ws, i * KC);
            }
            boolean first = k0 == 0;
            int t = 0;
            for (; t + 4 <= tokens; t += 4) {
                int i = 0;
                for (; i + 2 <= mr; i += 2) {
                    kernel2x4(ws, i * KC, kc, x, t * cols + k0, cols, y, t * rows + r0 + i, rows, first);
                }
                for (; i < mr; i++) {
                    for (int u = t; u < t + 4; u++) {
                        kernel1x1(ws, i * KC, kc, x, u * cols + k0, y, u * rows + r0 + i, first);
                    }
                }
            }
            for (; t < tokens; t++) {
                for (int i = 0; i < mr; i++) {
                    kernel1x1(ws, i * KC, kc, x, t * cols + k0, y, t * rows + r0 + i, first);
                }
            }
        }
    }

    /**
     * 2 weight rows (ws[w0..], ws[w0+KC..]) x 4 tokens (x[x0..], x[x0+xs..], ...) over kc columns, added to
     * y[y0 + {0,1} + {0,1,2,3}·ys] (or stored when {@code first}).
     */
    private static void kernel2x4(float[] ws, int w0, int kc, float[] x, int x0, int xs, float[] y, int y0, int ys,
            boolean first) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c02 = c00, c03 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        int w1 = w0 + KC;
        int k = 0;
        for (int end = kc - L; k <= end; k += L) {
            FloatVector a = FloatVector.fromArray(F, ws, w0 + k);
            FloatVector b = FloatVector.fromArray(F, ws, w1 + k);
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + k);
            FloatVector v1 = FloatVector.fromArray(F, x, x0 + xs + k);
            FloatVector v2 = FloatVector.fromArray(F, x, x0 + 2 * xs + k);
            FloatVector v3 = FloatVector.fromArray(F, x, x0 + 3 * xs + k);
            c00 = a.fma(v0, c00);
            c01 = a.fma(v1, c01);
            c02 = a.fma(v2, c02);
            c03 = a.fma(v3, c03);
            c10 = b.fma(v0, c10);
            c11 = b.fma(v1, c11);
            c12 = b.fma(v2, c12);
            c13 = b.fma(v3, c13);
        }
        float s00 = Vec.sum(c00), s01 = Vec.sum(c01);
        float s02 = Vec.sum(c02), s03 = Vec.sum(c03);
        float s10 = Vec.sum(c10), s11 = Vec.sum(c11);
        float s12 = Vec.sum(c12), s13 = Vec.sum(c13);
        for (; k < kc; k++) { // scalar tail (F32/F16/BF16 with cols not a multiple of L)
            float a = ws[w0 + k], b = ws[w1 + k];
            float v0 = x[x0 + k], v1 = x[x0 + xs + k], v2 = x[x0 + 2 * xs + k], v3 = x[x0 + 3 * xs + k];
            s00 += a * v0;
            s01 += a * v1;
            s02 += a * v2;
            s03 += a * v3;
            s10 += b * v0;
            s11 += b * v1;
            s12 += b * v2;
            s13 += b * v3;
        }
        put(y, y0, first, s00);
        put(y, y0 + ys, first, s01);
        put(y, y0 + 2 * ys, first, s02);
        put(y, y0 + 3 * ys, first, s03);
        put(y, y0 + 1, first, s10);
        put(y, y0 + 1 + ys, first, s11);
        put(y, y0 + 1 + 2 * ys, first, s12);
        put(y, y0 + 1 + 3 * ys, first, s13);
    }

    /** One weight row x one token: the edges of the tile. */
    private static void kernel1x1(float[] ws, int w0, int kc, float[] x, int x0, float[] y, int yi, boolean first) {
        FloatVector c0 = FloatVector.zero(F), c1 = c0;
        int k = 0;
        for (int end = kc - 2 * L; k <= end; k += 2 * L) {
            c0 = FloatVector.fromArray(F, ws, w0 + k).fma(FloatVector.fromArray(F, x, x0 + k), c0);
            c1 = FloatVector.fromArray(F, ws, w0 + k + L).fma(FloatVector.fromArray(F, x, x0 + k + L), c1);
        }
        for (int end = kc - L; k <= end; k += L) {
            c0 = FloatVector.fromArray(F, ws, w0 + k).fma(FloatVector.fromArray(F, x, x0 + k), c0);
        }
        float s = Vec.sum(c0.add(c1));
        for (; k < kc; k++) {
            s += ws[w0 + k] * x[x0 + k];
        }
        put(y, yi, first, s);
    }

    private static void put(float[] y, int i, boolean first, float v) {
        y[i] = first ? v : y[i] + v;
    }
}
