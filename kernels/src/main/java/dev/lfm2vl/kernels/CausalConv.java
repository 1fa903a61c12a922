package dev.lfm2vl.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Core of the LFM2 gated short-conv block (docs/MODEL.md §3.5, pitfall 4) for one layer: given the already
 * projected rows {@code z_t = [B_t | C_t | x_t]} (3·d values each) of T new positions, computes
 * <pre>
 *   g_t      = B_t ⊙ x_t
 *   out_t[c] = C_t[c] · Σ_{k=0}^{L−1} w[c][k] · g_{t−(L−1)+k}[c]      (tap L−1 = current token)
 * </pre>
 * where {@code g} at negative times comes from the conv state, then updates the state.
 *
 * <p><b>Weights</b>: the constructor takes the GGUF tensor {@code shortconv.conv.weight} (ggml shape
 * {@code [L, d]}): {@code w[c·L + k]}, the L taps of channel c contiguous. It keeps a tap-major copy
 * {@code [L][d]} so the channel loop is contiguous and vectorizable. Build one instance per layer at
 * load time.
 *
 * <p><b>State</b>: a caller-owned {@code float[(L−1)·d]} (see {@link #stateSize()}), row-major, row r
 * = the gated values {@code g} (= B⊙x, <i>not</i> x) of an earlier position, <b>oldest first</b>: row
 * L−2 is the position just before the current batch. All zeros at the start of a sequence (use
 * {@link #reset}). Snapshot it (copy) to rewind a sequence; it cannot be recomputed from the KV cache.
 *
 * <p><b>Layout</b>: row t of {@code z} starts at {@code z[zOff + t·zStride]} with B at +0, C at +d, x at
 * +2d; row t of {@code out} (d values) at {@code out[outOff + t·outStride]}. {@code out} may alias the
 * C chunk of {@code z} exactly ({@code out == z, outOff = zOff + d, outStride = zStride}); any other
 * overlap with {@code z} is not allowed.
 *
 * <p><b>Threading</b>: all channels are independent; {@link #forward(float[], int, int, int, float[],
 * float[], int, int, int, int)} processes a channel range {@code [cStart, cEnd)} (output and state), so
 * the runtime can split d over threads. Instances are immutable and thread-safe. No allocation per call.
 */
public final class CausalConv {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int LANES = S.length();

    private final int d;
    private final int taps;
    private final float[] wT; // [taps][d]

    /**
     * @param weight GGUF-layout conv weight, {@code weight[c·taps + k]}, length ≥ d·taps
     * @param d      channels (hidden size, 2048 for LFM2-2.6B)
     * @param taps   kernel length L ({@code lfm2.shortconv.l_cache}, 3), ≥ 1
     */
    public CausalConv(float[] weight, int d, int taps) {
        if (d <= 0 || taps <= 0) {
            throw new IllegalArgumentException("d and taps must be positive: d=" + d + " taps=" + taps);
        }
        if (weight.length < d * taps) {
            throw new IllegalArgumentException("weight too short: " + weight.length + " < " + d * taps);
        }
        this.d = d;
        this.taps = taps;
        this.wT = new float[d * taps];
        for (int c = 0; c < d; c++) {
            for (int k = 0; k < taps; k++) {
                wT[k * d + c] = weight[c * taps + k];
            }
        }
    }

    public int channels() {
        return d;
    }

    public int taps() {
        return taps;
    }

    /** Length of the state array: (L−1)·d floats. */
    public int stateSize() {
        return (taps - 1) * d;
    }

    /** Zeroes a state (start of a sequence). */
    public static void reset(float[] state) {
        java.util.Arrays.fill(state, 0f);
    }

    /** Runs T positions over all channels and updates the state. See the class comment for layouts. */
    public void forward(float[] z, int zOff, int zStride, int T, float[] state, float[] out, int outOff, int outStride) {
        forward(z, zOff, zStride, T, state, out, outOff, outStride, 0, d);
    }

    /**
     * Runs T positions for channels {@code [cStart, cEnd)} only, and updates those channels of the
     * state. Calls on disjoint channel ranges may run concurrently.
     */
    public void forward(float[] z, int zOff, int zStride, int T, float[] state, float[] out, int outOff, int outStride,
                        int cStart, int cEnd) {
        checkArgs(z, zOff, zStride, T, state, d, taps, cStart, cEnd);
        final int d = this.d;
        final int K = taps - 1;
        final float[] wT = this.wT;
        for (int t = 0; t < T; t++) {
            final int zRow = zOff + t * zStride;
            final int oRow = outOff + t * outStride;
            int c = cStart;
            for (; c + LANES <= cEnd; c += LANES) {
                // A vector local must never merge with null: C2 then cannot remove the box and allocates
                // per iteration. fma(w, g, +0) equals w*g (one rounding; only a -0 product becomes +0).
                FloatVector acc = FloatVector.zero(S);
                for (int k = 0; k <= K; k++) {
                    int j = t - K + k;
                    FloatVector g;
                    if (j >= 0) {
                        int r = zOff + j * zStride;
                        g = FloatVector.fromArray(S, z, r + c).mul(FloatVector.fromArray(S, z, r + 2 * d + c));
                    } else {
                        g = FloatVector.fromArray(S, state, (K + j) * d + c);
                    }
                    FloatVector w = FloatVector.fromArray(S, wT, k * d + c);
                    acc = w.fma(g, acc);
                }
                FloatVector.fromArray(S, z, zRow + d + c).mul(acc).intoArray(out, oRow + c);
            }
            for (; c < cEnd; c++) {
                float acc = 0f;
                for (int k = 0; k <= K; k++) {
                    int j = t - K + k;
                    float g;
                    if (j >= 0) {
                        int r = zOff + j * zStride;
                        g = z[r + c] * z[r + 2 * d + c];
                    } else {
                        g = state[(K + j) * d + c];
                    }
                    acc = k == 0 ? wT[k * d + c] * g : Math.fma(wT[k * d + c], g, acc);
                }
                out[oRow + c] = z[zRow + d + c] * acc;
            }
        }
        // State update: new state = last K rows of (state ++ g_0 .. g_{T-1}).
        if (K == 0) {
            return;
        }
        int keep = Math.max(K - T, 0); // old rows that survive, shifted to the front
        for (int r = 0; r < keep; r++) {
            System.arraycopy(state, (r + T) * d + cStart, state, r * d + cStart, cEnd - cStart);
        }
        for (int r = keep; r < K; r++) {
            int j = T - K + r;
            int zr = zOff + j * zStride;
            Elementwise.mul(z, zr + cStart, z, zr + 2 * d + cStart, state, r * d + cStart, cEnd - cStart);
        }
    }

    static void checkArgs(float[] z, int zOff, int zStride, int T, float[] state, int d, int taps,
                                  int cStart, int cEnd) {
        if (T < 0) {
            throw new IllegalArgumentException("T < 0: " + T);
        }
        if (T > 0 && zStride < 3 * d) {
            throw new IllegalArgumentException("zStride " + zStride + " < 3·d = " + 3 * d);
        }
        if (state.length < (taps - 1) * d) {
            throw new IllegalArgumentException("state too short: " + state.length + " < " + (taps - 1) * d);
        }
        if (cStart < 0 || cEnd > d || cStart > cEnd) {
            throw new IllegalArgumentException("bad channel range [" + cStart + ", " + cEnd + ") for d=" + d);
        }
    }
}
