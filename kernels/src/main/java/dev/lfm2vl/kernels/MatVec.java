package dev.lfm2vl.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * y = W·x for one activation vector (decode), or for a few independent ones at once ({@link #matVecBatch}). Rows are split into chunks claimed by the pool's threads;
 * each y[r] is one {@link WeightMatrix#dot} so the result does not depend on the thread count.
 *
 * <p>Threading contract: any thread may call {@link #matVec}; each calling thread reuses its own cached
 * task object (a thread-local, created on its first call), so a call allocates nothing. x must not be
 * written and y[yOff..yOff+rows) must not be read by anyone else during the call.
 */
public final class MatVec {
    private MatVec() {}

    /** Below this many weights a call runs on the caller alone: waking workers would cost more. */
    static final long SEQUENTIAL_WEIGHTS = 1 << 15;

    private static final ThreadLocal<RowsTask> TASK = ThreadLocal.withInitial(RowsTask::new);

    /** y[yOff + r] = row r · x[xOff..xOff+cols) for every row r. */
    public static void matVec(WeightMatrix w, float[] x, int xOff, float[] y, int yOff, Parallel pool) {
        int rows = w.rows();
        Objects.checkFromIndexSize(xOff, w.cols(), x.length);
        Objects.checkFromIndexSize(yOff, rows, y.length);
        if (pool.threads() == 1 || (long) rows * w.cols() < SEQUENTIAL_WEIGHTS) {
            rows(w, x, xOff, y, yOff, 0, rows);
            return;
        }
        // ~8 chunks per thread so a thread slowed by a neighbour does not stall the barrier
        int chunk = Math.max(8, (rows + pool.threads() * 8 - 1) / (pool.threads() * 8));
        RowsTask t = TASK.get();
        t.set(w, x, xOff, y, yOff, chunk);
        try {
            pool.run((rows + chunk - 1) / chunk, t);
        } finally {
            t.clear();
        }
    }

    /**
     * y[yOff + r] = row r · x for r in [start, end): four rows at a time where they share their activation loads
     * ({@link WeightMatrix#dotRows4}, the same bits as one at a time), else one by one.
     */
    private static void rows(WeightMatrix w, float[] x, int xOff, float[] y, int yOff, int start, int end) {
        int r = start;
        if (w.rowsShareActivations()) {
            float[] lanes = LANES.get();
            for (; r + 4 <= end; r += 4) {
                w.dotRows4(r, x, xOff, lanes);
                for (int i = 0; i < 4; i++) {
                    y[yOff + r + i] = Vec.sum(lanes, i * Vec.L);
                }
            }
        }
        for (; r < end; r++) {
            y[yOff + r] = w.dot(r, x, xOff);
        }
    }

    private static final ThreadLocal<BatchTask> BATCH_TASK = ThreadLocal.withInitial(BatchTask::new);
    /** Per thread (caller and pool workers): the row being multiplied, decoded once for all vectors. */
    private static final ThreadLocal<DecodedRow> DECODED = ThreadLocal.withInitial(DecodedRow::new);
    /** Per thread (caller and pool workers): the lane sums of up to four vectors from {@link WeightMatrix#dot4}. */
    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[4 * Vec.L]);

    /**
     * ys[i][yOff + r] = row r · xs[i][xOff..xOff+cols) for i &lt; n and every row r: n independent activation
     * vectors (n sequences decoding together) against one matrix, one parallel dispatch split over rows. Q8_0 and
     * Q4_0 rows (at 256 and 512 bits) meet up to four vectors at once in registers ({@link WeightMatrix#dot4}: each
     * block unpacked once, one FMA per vector and piece); other rows are decoded once
     * ({@link WeightMatrix#decodeRow}) and then multiplied with each vector in turn. Each ys[i][yOff + r] has exactly
     * the bits {@link #matVec} gives for xs[i] alone, whatever n and the other vectors (batch invariance, issue 18).
     * n = 1 is {@link #matVec}. The xs must not be written and the ys ranges must not overlap the xs or each other.
     * Allocates nothing once the calling thread has seen n vectors this wide (and each pool thread a row this wide).
     */
    public static void matVecBatch(WeightMatrix w, float[][] xs, int xOff, int n, float[][] ys, int yOff, Parallel pool) {
        int rows = w.rows(), cols = w.cols();
        if (n < 1 || n > xs.length || n > ys.length) {
            throw new IllegalArgumentException("n = " + n + " vectors, xs holds " + xs.length + ", ys " + ys.length);
        }
        for (int i = 0; i < n; i++) {
            Objects.checkFromIndexSize(xOff, cols, xs[i].length);
            Objects.checkFromIndexSize(yOff, rows, ys[i].length);
        }
        if (n == 1) {
            matVec(w, xs[0], xOff, ys[0], yOff, pool);
            return;
        }
        BatchTask t = BATCH_TASK.get();
        if (w.dotsInRegisters()) {
            t.interleave(xs, xOff, n, cols);
        }
        boolean alone = pool.threads() == 1 || (long) rows * cols < SEQUENTIAL_WEIGHTS;
        int chunk = alone ? rows : Math.max(8, (rows + pool.threads() * 8 - 1) / (pool.threads() * 8));
        t.set(w, xs, xOff, n, ys, yOff, chunk);
        try {
            if (alone) {
                t.run(0);
            } else {
                pool.run((rows + chunk - 1) / chunk, t);
            }
        } finally {
            t.clear();
        }
    }

    /**
     * Rows [index·chunk, ..) of a {@link #matVecBatch}: per row, the vectors four at a time through
     * {@link WeightMatrix#dot4} (three left: the fourth slot's sum unused), then two ({@link WeightMatrix#dot2}) or
     * one ({@link WeightMatrix#dot}); or, for the other types, one decode and one decoded dot per vector.
     */
    private static final class BatchTask implements Parallel.Task {
        /**
         * The caller's vectors for {@link WeightMatrix#dot4}/{@link WeightMatrix#dot2}, interleaved in groups of four
         * (the last group of two when two are left) in 64-byte aligned memory (Block32BatchKernels); grown, never shrunk.
         */
        private MemorySegment interleaved = MemorySegment.NULL;
        private int groupBytes;
        private WeightMatrix w;
        private float[][] xs, ys;
        private int xOff, n, yOff, chunk;

        void interleave(float[][] xs, int xOff, int n, int cols) {
            long need = 4L * cols * 4 * ((n + 3) / 4);
            if (interleaved.byteSize() < need) {
                interleaved = Arena.ofAuto().allocate(need, 64);
            }
            groupBytes = 16 * cols; // four vectors of cols floats
            for (int i = 0; i < n; i += 4) {
                int have = Math.min(4, n - i);
                if (have > 1) { // one left over runs the single dot on its own array
                    long base = (long) (i / 4) * groupBytes;
                    Block32BatchKernels.interleave(xs, i, have, have == 2 ? 2 : 4, xOff, cols, interleaved, base);
                }
            }
        }

        void set(WeightMatrix w, float[][] xs, int xOff, int n, float[][] ys, int yOff, int chunk) {
            this.w = w;
            this.xs = xs;
            this.xOff = xOff;
            this.n = n;
            this.ys = ys;
            this.yOff = yOff;
            this.chunk = chunk;
        }

        void clear() {
            w = null;
            xs = ys = null;
        }

        @Override
        public void run(int index) {
            WeightMatrix w = this.w;
            int start = index * chunk, end = Math.min(w.rows(), (index + 1) * chunk);
            if (w.dotsInRegisters()) {
                inRegisters(w, start, end);
            } else {
                decoded(w, start, end);
            }
        }

        private void inRegisters(WeightMatrix w, int start, int end) {
            float[][] xs = this.xs, ys = this.ys;
            MemorySegment x = interleaved;
            int xOff = this.xOff, yOff = this.yOff, n = this.n, groupBytes = this.groupBytes;
            float[] lanes = LANES.get();
            for (int r = start; r < end; r++) {
                for (int i = 0; i < n; i += 4) {
                    int have = Math.min(4, n - i);
                    long x0 = (long) (i / 4) * groupBytes;
                    if (have == 1) {
                        ys[i][yOff + r] = w.dot(r, xs[i], xOff);
                        continue;
                    }
                    if (have == 2) {
                        w.dot2(r, x, x0, lanes);
                    } else {
                        w.dot4(r, x, x0, lanes); // three left: the fourth slot's sum is not read
                    }
                    for (int k = 0; k < have; k++) {
                        ys[i + k][yOff + r] = Vec.sum(lanes, k * Vec.L);
                    }
                }
            }
        }

        private void decoded(WeightMatrix w, int start, int end) {
            float[][] xs = this.xs, ys = this.ys;
            int xOff = this.xOff, yOff = this.yOff, n = this.n;
            DecodedRow decoded = DECODED.get();
            for (int r = start; r < end; r++) {
                w.decodeRow(r, decoded);
                for (int i = 0; i < n; i++) {
                    ys[i][yOff + r] = w.dotDecoded(r, decoded, xs[i], xOff);
                }
            }
        }
    }

    /** Rows [index·chunk, min(rows, (index+1)·chunk)). Fields are published to the workers by Parallel.run. */
    private static final class RowsTask implements Parallel.Task {
        private WeightMatrix w;
        private float[] x, y;
        private int xOff, yOff, chunk;

        void set(WeightMatrix w, float[] x, int xOff, float[] y, int yOff, int chunk) {
            this.w = w;
            this.x = x;
            this.xOff = xOff;
            this.y = y;
            this.yOff = yOff;
            this.chunk = chunk;
        }

        void clear() {
            w = null;
            x = y = null;
        }

        @Override
        public void run(int index) {
            WeightMatrix w = this.w;
            float[] x = this.x, y = this.y;
            int xOff = this.xOff, yOff = this.yOff;
            rows(w, x, xOff, y, yOff, index * chunk, Math.min(w.rows(), (index + 1) * chunk));
        }
    }
}
