package dev.lfm2vl.kernels;

/**
 * One weight row decoded once so that several activation vectors can be multiplied with it
 * ({@link MatVec#matVecBatch}, for the types and widths without register batch kernels: all but Q8_0 and Q4_0,
 * and those two at 128 bits, see {@link Block32BatchKernels}): {@code values} holds, per element, the float the
 * row's single-vector dot kernel forms in a register before it meets x (the quant integer for Q8_0, Q4_0, Q5_0 and
 * Q6_K, the weight q·d + m for the affine types, the converted float for F16/BF16), and {@code scales} the
 * per-block factors that kernel applies after (Q8_0, Q4_0, Q5_0: d per block; Q6_K: d·scale per 16 elements). Every float is exactly what the single
 * kernel computes, so the batched dot, which repeats that kernel's operations in the same order, returns the same
 * bits (batch invariance, issue 18). One per thread, grown to the widest row, never shrunk.
 */
final class DecodedRow {
    float[] values = new float[0];
    float[] scales = new float[0];

    /** Room for a row of {@code cols} elements with {@code scaleCount} scales. */
    void ensure(int cols, int scaleCount) {
        if (values.length < cols) {
            values = new float[cols];
        }
        if (scales.length < scaleCount) {
            scales = new float[scaleCount];
        }
    }
}
