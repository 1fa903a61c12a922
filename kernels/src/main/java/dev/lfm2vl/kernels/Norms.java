package dev.lfm2vl.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * RMSNorm and LayerNorm over contiguous float rows.
 *
 * <p>Precision (mirrors llama.cpp {@code ggml_compute_forward_rms_norm_f32} / {@code norm_f32}, which
 * accumulate in {@code ggml_float} = double): the vectorized versions accumulate squares (or values) in
 * four float vector accumulators (each lane sums about n/(4·lanes) terms, e.g. 64 terms per lane for
 * n = 2048 on 256-bit), reduce the lanes in float and add that and the scalar tail in <b>double</b>. The scalar twins
 * accumulate every term in double. The per-element output math is float:
 * {@code out_i = (x_i · scale) · w_i} (RMSNorm) and {@code out_i = ((x_i − mean) · scale) · w_i + b_i}
 * (LayerNorm), with {@code scale} rounded to float, as in llama.cpp.
 *
 * <p>All methods allow {@code out == x} with the same offset (in-place); other partial overlaps are not
 * supported. No allocation.
 */
public final class Norms {
    private Norms() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();

    // ---------------------------------------------------------------- RMSNorm

    /**
     * RMSNorm of one row: {@code out[i] = x[i] · 1/sqrt(mean(x²) + eps) · w[i]} for i in [0, n).
     * Plain weight {@code w} (not {@code 1 + w}); {@code w} is read from index 0.
     */
    public static void rmsNorm(float[] x, int xOff, float[] w, float[] out, int outOff, int n, float eps) {
        float scale = rmsScale(sumSquares(x, xOff, n), n, eps);
        scaleByWeight(x, xOff, w, 0, out, outOff, n, scale);
    }

    /**
     * RMSNorm of {@code rows} consecutive rows of {@code n} values each (row stride {@code n} for both
     * input and output), all with the same weight {@code w[0..n)}.
     */
    public static void rmsNormRows(float[] x, int xOff, float[] w, float[] out, int outOff, int rows, int n, float eps) {
        for (int r = 0; r < rows; r++) {
            rmsNorm(x, xOff + r * n, w, out, outOff + r * n, n, eps);
        }
    }

    /**
     * Per-head RMSNorm (attention q/k norm, docs/MODEL.md §3.6 step 2): the vector at {@code x[xOff ..]} holds
     * {@code heads} heads of {@code headDim} values (head-major); each head is normalised on its own with
     * the same {@code headDim} weights {@code w[0..headDim)}. Same as {@link #rmsNormRows} with
     * rows = heads; named separately for readability at the call site.
     */
    public static void rmsNormHeads(float[] x, int xOff, float[] w, float[] out, int outOff, int heads, int headDim, float eps) {
        rmsNormRows(x, xOff, w, out, outOff, heads, headDim, eps);
    }

    static float rmsScale(double sumSquares, int n, float eps) {
        float mean = (float) (sumSquares / n);
        return (float) (1.0 / Math.sqrt(mean + eps));
    }

    /** Sum of squares: float vector partial sums (4 accumulators), lanes and tail reduced in double. */
    static double sumSquares(float[] x, int off, int n) {
        int i = 0;
        double sum = 0;
        if (n >= L) {
            FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S), a3 = FloatVector.zero(S);
            int bound4 = n - 4 * L;
            for (; i <= bound4; i += 4 * L) {
                FloatVector v0 = FloatVector.fromArray(S, x, off + i);
                FloatVector v1 = FloatVector.fromArray(S, x, off + i + L);
                FloatVector v2 = FloatVector.fromArray(S, x, off + i + 2 * L);
                FloatVector v3 = FloatVector.fromArray(S, x, off + i + 3 * L);
                a0 = v0.fma(v0, a0);
                a1 = v1.fma(v1, a1);
                a2 = v2.fma(v2, a2);
                a3 = v3.fma(v3, a3);
            }
            int bound = n - L;
            for (; i <= bound; i += L) {
                FloatVector v0 = FloatVector.fromArray(S, x, off + i);
                a0 = v0.fma(v0, a0);
            }
            FloatVector acc = a0.add(a1).add(a2.add(a3));
            sum += Vec.sum(acc); // a fixed order: reduceLanes(ADD) differs between JIT tiers
        }
        for (; i < n; i++) {
            double v = x[off + i];
            sum += v * v;
        }
        return sum;
    }

    /** Sum of values: float vector partial sums, lanes and tail reduced in double. */
    static double sum(float[] x, int off, int n) {
        int i = 0;
        double sum = 0;
        if (n >= L) {
            FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S), a3 = FloatVector.zero(S);
            int bound4 = n - 4 * L;
            for (; i <= bound4; i += 4 * L) {
                a0 = FloatVector.fromArray(S, x, off + i).add(a0);
                a1 = FloatVector.fromArray(S, x, off + i + L).add(a1);
                a2 = FloatVector.fromArray(S, x, off + i + 2 * L).add(a2);
                a3 = FloatVector.fromArray(S, x, off + i + 3 * L).add(a3);
            }
            int bound = n - L;
            for (; i <= bound; i += L) {
                a0 = FloatVector.fromArray(S, x, off + i).add(a0);
            }
            FloatVector acc = a0.add(a1).add(a2.add(a3));
            sum += Vec.sum(acc); // a fixed order: reduceLanes(ADD) differs between JIT tiers
        }
        for (; i < n; i++) {
            sum += x[off + i];
        }
        return sum;
    }

    /** Sum of (x − mean)² with the same accumulation scheme as {@link #sumSquares}. */
    static double sumSquaredDeviations(float[] x, int off, int n, float mean) {
        int i = 0;
        double sum = 0;
        if (n >= L) {
            FloatVector m = FloatVector.broadcast(S, mean);
            FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S);
            int bound2 = n - 2 * L;
            for (; i <= bound2; i += 2 * L) {
                FloatVector v0 = FloatVector.fromArray(S, x, off + i).sub(m);
                FloatVector v1 = FloatVector.fromArray(S, x, off + i + L).sub(m);
                a0 = v0.fma(v0, a0);
                a1 = v1.fma(v1, a1);
            }
            int bound = n - L;
            for (; i <= bound; i += L) {
                FloatVector v0 = FloatVector.fromArray(S, x, off + i).sub(m);
                a0 = v0.fma(v0, a0);
            }
            FloatVector acc = a0.add(a1);
            sum += Vec.sum(acc); // a fixed order: reduceLanes(ADD) differs between JIT tiers
        }
        for (; i < n; i++) {
            float d = x[off + i] - mean;
            sum += (double) d * d;
        }
        return sum;
    }

    private static void scaleByWeight(float[] x, int xOff, float[] w, int wOff, float[] out, int outOff, int n, float scale) {
        int i = 0;
        int bound = S.loopBound(n);
        FloatVector s = FloatVector.broadcast(S, scale);
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + i).mul(s);
            v.mul(FloatVector.fromArray(S, w, wOff + i)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = (x[xOff + i] * scale) * w[wOff + i];
        }
    }

    // ---------------------------------------------------------------- LayerNorm

    /**
     * LayerNorm of one row with population (biased) variance, two passes (mean, then variance of the
     * deviations): {@code out[i] = (x[i] − mean) / sqrt(var + eps) · w[i] + b[i]}. {@code w} and
     * {@code b} are read from index 0; {@code b} may be {@code null} (no bias).
     */
    public static void layerNorm(float[] x, int xOff, float[] w, float[] b, float[] out, int outOff, int n, float eps) {
        float mean = (float) (sum(x, xOff, n) / n);
        float variance = (float) (sumSquaredDeviations(x, xOff, n, mean) / n);
        float scale = (float) (1.0 / Math.sqrt(variance + eps));
        int i = 0;
        int bound = S.loopBound(n);
        FloatVector m = FloatVector.broadcast(S, mean);
        FloatVector s = FloatVector.broadcast(S, scale);
        if (b != null) {
            for (; i < bound; i += L) {
                FloatVector v = FloatVector.fromArray(S, x, xOff + i).sub(m).mul(s);
                v.fma(FloatVector.fromArray(S, w, i), FloatVector.fromArray(S, b, i)).intoArray(out, outOff + i);
            }
            for (; i < n; i++) {
                out[outOff + i] = Math.fma((x[xOff + i] - mean) * scale, w[i], b[i]);
            }
        } else {
            for (; i < bound; i += L) {
                FloatVector v = FloatVector.fromArray(S, x, xOff + i).sub(m).mul(s);
                v.mul(FloatVector.fromArray(S, w, i)).intoArray(out, outOff + i);
            }
            for (; i < n; i++) {
                out[outOff + i] = ((x[xOff + i] - mean) * scale) * w[i];
            }
        }
    }

    /** LayerNorm of {@code rows} consecutive rows of {@code n} values each (row stride n). */
    public static void layerNormRows(float[] x, int xOff, float[] w, float[] b, float[] out, int outOff, int rows, int n, float eps) {
        for (int r = 0; r < rows; r++) {
            layerNorm(x, xOff + r * n, w, b, out, outOff + r * n, n, eps);
        }
    }
}
