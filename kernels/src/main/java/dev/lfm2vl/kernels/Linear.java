package dev.lfm2vl.kernels;

/**
 * A linear layer without bias, y = W·x for {@code tokens} rows of x: one row is a mat-vec (decode, weights streamed
 * once), several are a mat-mat (prefill, each weight tile reused by every row).
 */
public final class Linear {
    private Linear() {}

    /** y[t·rows ..] = W · x[t·cols ..] for {@code t < tokens}. */
    public static void apply(WeightMatrix w, float[] x, int tokens, float[] y, Parallel pool) {
        if (tokens == 1) {
            MatVec.matVec(w, x, 0, y, 0, pool);
        } else {
            MatMul.matMul(w, x, tokens, y, pool);
        }
    }
}
