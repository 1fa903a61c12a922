package dev.lfm2vl.runtime;

/**
 * The scratch rows of the sequences in one {@link Lfm2Model#decode} step, gathered into arrays so that one
 * {@link dev.lfm2vl.kernels.MatVec#matVecBatch} call multiplies every sequence's row with a weight matrix read once.
 * The rows stay each state's own ({@link Lfm2State}): this only points at them, for the length of one step.
 * Grown to the largest batch seen, never shrunk; one step at a time per model.
 */
final class DecodeRows {
    Lfm2State[] states = new Lfm2State[0];
    int count;
    float[][] normed = new float[0][], mixed = normed, bcx = normed, gated = normed, q = normed, k = normed, v = normed,
            gate = normed, up = normed;

    /** Points at the rows of {@code states[0..count)}. */
    void gather(Lfm2State[] from, int count) {
        if (states.length < count) {
            states = new Lfm2State[count];
            normed = new float[count][];
            mixed = new float[count][];
            bcx = new float[count][];
            gated = new float[count][];
            q = new float[count][];
            k = new float[count][];
            v = new float[count][];
            gate = new float[count][];
            up = new float[count][];
        }
        this.count = count;
        for (int i = 0; i < count; i++) {
            Lfm2State s = from[i];
            states[i] = s;
            normed[i] = s.normed;
            mixed[i] = s.mixed;
            bcx[i] = s.bcx;
            gated[i] = s.gated;
            q[i] = s.q;
            k[i] = s.k;
            v[i] = s.v;
            gate[i] = s.gate;
            up[i] = s.up;
        }
    }

    /** Drops the references so that finished conversations can be collected. */
    void clear() {
        for (int i = 0; i < count; i++) {
            states[i] = null;
            normed[i] = mixed[i] = bcx[i] = gated[i] = q[i] = k[i] = v[i] = gate[i] = up[i] = null;
        }
        count = 0;
    }
}
