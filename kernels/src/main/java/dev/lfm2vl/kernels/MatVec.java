package dev.lfm2vl.kernels;

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
        RowsTask t = TASK.get();
        float[] sums = null;
        if (w.usesBlockSums()) {
            sums = t.sums = WeightMatrix.blockSums(x, xOff, w.cols(), t.sums);
        }
        if (pool.threads() == 1 || (long) rows * w.cols() < SEQUENTIAL_WEIGHTS) {
            for (int r = 0; r < rows; r++) {
                y[yOff + r] = w.dot(r, x, xOff, sums);
            }
            return;
        }
        // ~8 chunks per thread so a thread slowed by a neighbour does not stall the barrier
        int chunk = Math.max(8, (rows + pool.threads() * 8 - 1) / (pool.threads() * 8));
        t.set(w, x, xOff, sums, y, yOff, chunk);
        try {
            pool.run((rows + chunk - 1) / chunk, t);
        } finally {
            t.clear();
        }
    }

    private static final ThreadLocal<BatchTask> BATCH_TASK = ThreadLocal.withInitial(BatchTask::new);
    /** Per thread (caller and pool workers): the row being multiplied, decoded once for all vectors. */
    private static final ThreadLocal<DecodedRow> DECODED = ThreadLocal.withInitial(DecodedRow::new);

    /**
     * ys[i][yOff + r] = row r · xs[i][xOff..xOff+cols) for i &lt; n and every row r: n independent activation
     * vectors (n sequences decoding together) against one matrix, each weight row decoded once for all n
     * ({@link WeightMatrix#decodeRow}) and then multiplied with each vector in turn, one parallel dispatch split over
     * rows. Each ys[i][yOff + r] has exactly the bits {@link #matVec} gives for xs[i] alone, whatever n and the
     * other vectors (batch invariance, issue 18). n = 1 is {@link #matVec}. The xs must not be written and the ys
     * ranges must not overlap the xs or each other. Allocates nothing once the calling thread has seen n vectors
     * (and each pool thread a row this wide).
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
        float[][] sums = null;
        if (w.usesBlockSums()) {
            sums = t.sums(n);
            for (int i = 0; i < n; i++) {
                sums[i] = WeightMatrix.blockSums(xs[i], xOff, cols, sums[i]);
            }
        }
        boolean alone = pool.threads() == 1 || (long) rows * cols < SEQUENTIAL_WEIGHTS;
        int chunk = alone ? rows : Math.max(8, (rows + pool.threads() * 8 - 1) / (pool.threads() * 8));
        t.set(w, xs, xOff, n, sums, ys, yOff, chunk);
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

    /** Rows [index·chunk, ..) of a {@link #matVecBatch}: decode a row, then one decoded dot per vector. */
    private static final class BatchTask implements Parallel.Task {
        /** The caller thread's block sums, one array per vector (grown, never shrunk). */
        private float[][] keptSums = new float[0][];
        private WeightMatrix w;
        private float[][] xs, ys, xBlockSums;
        private int xOff, n, yOff, chunk;

        float[][] sums(int n) {
            if (keptSums.length < n) {
                float[][] grown = java.util.Arrays.copyOf(keptSums, n);
                for (int i = keptSums.length; i < n; i++) {
                    grown[i] = new float[0];
                }
                keptSums = grown;
            }
            return keptSums;
        }

        void set(WeightMatrix w, float[][] xs, int xOff, int n, float[][] xBlockSums, float[][] ys, int yOff, int chunk) {
            this.w = w;
            this.xs = xs;
            this.xOff = xOff;
            this.n = n;
            this.xBlockSums = xBlockSums;
            this.ys = ys;
            this.yOff = yOff;
            this.chunk = chunk;
        }

        void clear() {
            w = null;
            xs = ys = xBlockSums = null;
        }

        @Override
        public void run(int index) {
            WeightMatrix w = this.w;
            float[][] xs = this.xs, ys = this.ys, sums = this.xBlockSums;
            int xOff = this.xOff, yOff = this.yOff, n = this.n;
            DecodedRow decoded = DECODED.get();
            int end = Math.min(w.rows(), (index + 1) * chunk);
            for (int r = index * chunk; r < end; r++) {
                w.decodeRow(r, decoded);
                for (int i = 0; i < n; i++) {
                    ys[i][yOff + r] = w.dotDecoded(r, decoded, xs[i], xOff, sums == null ? null : sums[i]);
                }
            }
        }
    }

    /** Rows [index·chunk, min(rows, (index+1)·chunk)). Fields are published to the workers by Parallel.run. */
    private static final class RowsTask implements Parallel.Task {
        /** The caller thread's block sums of x (see {@link WeightMatrix#usesBlockSums}), grown, never shrunk. */
        float[] sums = new float[0];
        private WeightMatrix w;
        private float[] x, y, xBlockSums;
        private int xOff, yOff, chunk;

        void set(WeightMatrix w, float[] x, int xOff, float[] xBlockSums, float[] y, int yOff, int chunk) {
            this.w = w;
            this.x = x;
            this.xOff = xOff;
            this.xBlockSums = xBlockSums;
            this.y = y;
            this.yOff = yOff;
            this.chunk = chunk;
        }

        void clear() {
            w = null;
            x = y = xBlockSums = null;
        }

        @Override
        public void run(int index) {
            WeightMatrix w = this.w;
            float[] x = this.x, y = this.y, sums = this.xBlockSums;
            int xOff = this.xOff, yOff = this.yOff;
            int end = Math.min(w.rows(), (index + 1) * chunk);
            for (int r = index * chunk; r < end; r++) {
                y[yOff + r] = w.dot(r, x, xOff, sums);
            }
        }
    }
}
