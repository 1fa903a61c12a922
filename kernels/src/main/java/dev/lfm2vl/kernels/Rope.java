package dev.lfm2vl.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * NEOX-style rotary position embedding (docs/MODEL.md §3.3, pitfall 3) over the full head dimension.
 *
 * <p>Within each head of {@code headDim} values, element {@code i} is paired with element
 * {@code i + headDim/2} (not with {@code i+1}): for {@code i < headDim/2},
 * {@code θ_i = pos · base^(−2i/headDim)},
 * {@code v'[i] = v[i]·cos θ_i − v[i+half]·sin θ_i}, {@code v'[i+half] = v[i]·sin θ_i + v[i+half]·cos θ_i}.
 *
 * <p>An instance holds float cos/sin tables {@code [position][headDim/2]}, computed in double (angle
 * {@code pos · base^(−2i/headDim)}, then {@link Math#cos}/{@link Math#sin}, rounded to float) — more
 * accurate than llama.cpp's iterative float θ; no trigonometry runs in the hot path. Tables grow lazily
 * (doubling) when a position beyond the current capacity is requested; call {@link #ensureCapacity}
 * once up front (e.g. with the context size) to keep growth out of the decode loop. Instances are
 * safe to share between threads (tables are immutable snapshots published through a volatile field;
 * growth is synchronized).
 */
public final class Rope {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();

    private final int headDim;
    private final int half;
    private final double base;
    private final double[] invFreq;

    private static final class Tables {
        final int capacity;
        final float[] cos;
        final float[] sin;

        Tables(int capacity, float[] cos, float[] sin) {
            this.capacity = capacity;
            this.cos = cos;
            this.sin = sin;
        }
    }

    private volatile Tables tables;

    /**
     * @param headDim  rotated dimension per head (even; the whole head, e.g. 64)
     * @param base     frequency base θ from the model ({@code lfm2.rope.freq_base}, 1e6 for LFM2)
     * @param initialPositions positions to precompute now (≥ 0; more are added on demand)
     */
    public Rope(int headDim, double base, int initialPositions) {
        if (headDim <= 0 || (headDim & 1) != 0) {
            throw new IllegalArgumentException("headDim must be positive and even: " + headDim);
        }
        if (!(base > 0)) {
            throw new IllegalArgumentException("base must be positive: " + base);
        }
        this.headDim = headDim;
        this.half = headDim / 2;
        this.base = base;
        this.invFreq = new double[half];
        for (int i = 0; i < half; i++) {
            invFreq[i] = Math.pow(base, -2.0 * i / headDim);
        }
        this.tables = new Tables(0, new float[0], new float[0]);
        ensureCapacity(Math.max(initialPositions, 1));
    }

    /** Same as {@code new Rope(headDim, base, 256)}. */
    public Rope(int headDim, double base) {
        this(headDim, base, 256);
    }

    public int headDim() {
        return headDim;
    }

    public double base() {
        return base;
    }

    /** Number of positions currently tabulated. */
    public int capacity() {
        return tables.capacity;
    }

    /** Makes sure positions {@code 0 .. positions−1} are tabulated. */
    public synchronized void ensureCapacity(int positions) {
        Tables t = tables;
        if (positions <= t.capacity) {
            return;
        }
        int cap = Math.max(positions, t.capacity * 2);
        float[] cos = new float[Math.multiplyExact(cap, half)];
        float[] sin = new float[cap * half];
        System.arraycopy(t.cos, 0, cos, 0, t.cos.length);
        System.arraycopy(t.sin, 0, sin, 0, t.sin.length);
        for (int p = t.capacity; p < cap; p++) {
            for (int i = 0; i < half; i++) {
                double theta = p * invFreq[i];
                cos[p * half + i] = (float) Math.cos(theta);
                sin[p * half + i] = (float) Math.sin(theta);
            }
        }
        tables = new Tables(cap, cos, sin);
    }

    private Tables tablesFor(int pos) {
        if (pos < 0) {
            throw new IllegalArgumentException("negative position " + pos);
        }
        Tables t = tables;
        if (pos >= t.capacity) {
            ensureCapacity(pos + 1);
            t = tables;
        }
        return t;
    }

    /**
     * Rotates, in place, {@code heads} consecutive heads of {@code headDim} values starting at
     * {@code v[off]}, all at absolute position {@code pos}.
     */
    public void apply(float[] v, int off, int heads, int pos) {
        Tables t = tablesFor(pos);
        rotate(v, off, heads, t.cos, t.sin, pos * half);
    }

    /**
     * Rotates {@code rows} rows (row {@code r} at {@code v[off + r·stride]}, {@code heads} heads each)
     * at positions {@code pos0 + r} — a prefill batch.
     */
    public void applyRows(float[] v, int off, int stride, int rows, int heads, int pos0) {
        if (rows <= 0) {
            return;
        }
        Tables t = tablesFor(pos0 + rows - 1);
        for (int r = 0; r < rows; r++) {
            rotate(v, off + r * stride, heads, t.cos, t.sin, (pos0 + r) * half);
        }
    }

    private void rotate(float[] v, int off, int heads, float[] cos, float[] sin, int tOff) {
        final int half = this.half;
        final int bound = S.loopBound(half);
        for (int h = 0; h < heads; h++) {
            int a0 = off + h * headDim;
            int b0 = a0 + half;
            int i = 0;
            for (; i < bound; i += L) {
                FloatVector a = FloatVector.fromArray(S, v, a0 + i);
                FloatVector b = FloatVector.fromArray(S, v, b0 + i);
                FloatVector c = FloatVector.fromArray(S, cos, tOff + i);
                FloatVector s = FloatVector.fromArray(S, sin, tOff + i);
                a.mul(c).sub(b.mul(s)).intoArray(v, a0 + i);
                a.mul(s).add(b.mul(c)).intoArray(v, b0 + i);
            }
            for (; i < half; i++) {
                float a = v[a0 + i];
                float b = v[b0 + i];
                float c = cos[tOff + i];
                float s = sin[tOff + i];
                v[a0 + i] = a * c - b * s;
                v[b0 + i] = a * s + b * c;
            }
        }
    }
}
