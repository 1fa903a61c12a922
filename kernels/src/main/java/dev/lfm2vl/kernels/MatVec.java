package dev.lfm2vl.kernels;

import java.util.Objects;

/**
 * y = W·x for one activation vector (decode). Rows are split into chunks claimed by the pool's threads;
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
