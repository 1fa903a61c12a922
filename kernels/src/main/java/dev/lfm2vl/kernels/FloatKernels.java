package dev.lfm2vl.kernels;

import static dev.lfm2vl.kernels.Vec.F;
import static dev.lfm2vl.kernels.Vec.L;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** Vector kernels for the unquantized rows F32, F16 and BF16 (docs/MODEL.md §2.4): any column count, scalar tails. */
final class FloatKernels {
    private FloatKernels() {}

    static final int F32 = 0, F16 = 1, BF16 = 2;

    /** L elements of {@code kind} at element {@code col} of a row starting at byte {@code row}. */
    private static FloatVector load(int kind, MemorySegment s, long row, int col) {
        return switch (kind) {
            case F32 -> FloatVector.fromMemorySegment(F, s, row + 4L * col, Vec.LE);
            case F16 -> Vec.halves(s, row + 2L * col);
            default -> Vec.bfloats(s, row + 2L * col);
        };
    }

    private static float scalar(int kind, MemorySegment s, long row, int col) {
        return switch (kind) {
            case F32 -> s.get(Vec.F32, row + 4L * col);
            case F16 -> Vec.f16(s, row + 2L * col);
            default -> Float.intBitsToFloat((s.get(Vec.U16, row + 2L * col) & 0xFFFF) << 16);
        };
    }

    /**
     * Row · x[xOff..xOff+n): four independent accumulators (FP adds cannot be reassociated by the JIT);
     * one loop per kind so the element conversion is fixed inside the loop.
     */
    static float dot(int kind, MemorySegment s, long row, int n, float[] x, int xOff) {
        return switch (kind) {
            case F32 -> dotF32(s, row, n, x, xOff);
            case F16 -> dotF16(s, row, n, x, xOff);
            default -> dotBF16(s, row, n, x, xOff);
        };
    }

    private static float dotF32(MemorySegment s, long row, int n, float[] x, int xOff) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (int end = n - 4 * L; i <= end; i += 4 * L) {
            a0 = loadF32(s, row, i).fma(FloatVector.fromArray(F, x, xOff + i), a0);
            a1 = loadF32(s, row, i + L).fma(FloatVector.fromArray(F, x, xOff + i + L), a1);
            a2 = loadF32(s, row, i + 2 * L).fma(FloatVector.fromArray(F, x, xOff + i + 2 * L), a2);
            a3 = loadF32(s, row, i + 3 * L).fma(FloatVector.fromArray(F, x, xOff + i + 3 * L), a3);
        }
        for (int end = n - L; i <= end; i += L) {
            a0 = loadF32(s, row, i).fma(FloatVector.fromArray(F, x, xOff + i), a0);
        }
        float sum = Vec.sum(a0.add(a1).add(a2.add(a3)));
        for (; i < n; i++) {
            sum += scalar(F32, s, row, i) * x[xOff + i];
        }
        return sum;
    }

    private static float dotF16(MemorySegment s, long row, int n, float[] x, int xOff) {
        // Two chains, not four: four conversions per loop body pushed C2 past NodeCountInliningCutoff, which
        // left castShape and Vec.sum as calls on boxed vectors (~750 KB allocated per token, measured).
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        int i = 0;
        for (int end = n - 2 * L; i <= end; i += 2 * L) {
            a0 = loadF16(s, row, i).fma(FloatVector.fromArray(F, x, xOff + i), a0);
            a1 = loadF16(s, row, i + L).fma(FloatVector.fromArray(F, x, xOff + i + L), a1);
        }
        for (int end = n - L; i <= end; i += L) {
            a0 = loadF16(s, row, i).fma(FloatVector.fromArray(F, x, xOff + i), a0);
        }
        float sum = Vec.sum(a0.add(a1));
        for (; i < n; i++) {
            sum += scalar(F16, s, row, i) * x[xOff + i];
        }
        return sum;
    }

    private static float dotBF16(MemorySegment s, long row, int n, float[] x, int xOff) {
        // Two chains, not four: four conversions per loop body pushed C2 past NodeCountInliningCutoff, which
        // left castShape and Vec.sum as calls on boxed vectors (~750 KB allocated per token, measured).
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        int i = 0;
        for (int end = n - 2 * L; i <= end; i += 2 * L) {
            a0 = loadBF16(s, row, i).fma(FloatVector.fromArray(F, x, xOff + i), a0);
            a1 = loadBF16(s, row, i + L).fma(FloatVector.fromArray(F, x, xOff + i + L), a1);
        }
        for (int end = n - L; i <= end; i += L) {
            a0 = loadBF16(s, row, i).fma(FloatVector.fromArray(F, x, xOff + i), a0);
        }
        float sum = Vec.sum(a0.add(a1));
        for (; i < n; i++) {
            sum += scalar(BF16, s, row, i) * x[xOff + i];
        }
        return sum;
    }

    /**
     * A whole F16 (or BF16) row to floats for {@link #dotDecoded}: {@link #dequant}'s conversions and vector/scalar
     * split, one loop per kind with its load written in (the shared {@link #load} switch, once C2 compiled it on its
     * own, was left a call on boxed vectors at 128 bits: 40 MB allocated per batched step, DecodeAllocationTest).
     */
    static void decodeF16(MemorySegment s, long row, int n, float[] out) {
        int i = 0;
        for (int end = n - L; i <= end; i += L) {
            Vec.halves(s, row + 2L * i).intoArray(out, i);
        }
        for (; i < n; i++) {
            out[i] = Vec.f16(s, row + 2L * i);
        }
    }

    /** {@link #decodeF16} for BF16 rows. */
    static void decodeBF16(MemorySegment s, long row, int n, float[] out) {
        int i = 0;
        for (int end = n - L; i <= end; i += L) {
            Vec.bfloats(s, row + 2L * i).intoArray(out, i);
        }
        for (; i < n; i++) {
            out[i] = scalar(BF16, s, row, i);
        }
    }

    /**
     * {@link #dotF16} / {@link #dotBF16} over a row already converted to floats by {@link #dequant} (exact
     * conversions, the same vector/scalar split): the same operations in the same order, so the same bits
     * (MatVec.matVecBatch; batch invariance, issue 18).
     */
    static float dotDecoded(float[] w, int n, float[] x, int xOff) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        int i = 0;
        for (int end = n - 2 * L; i <= end; i += 2 * L) {
            a0 = FloatVector.fromArray(F, w, i).fma(FloatVector.fromArray(F, x, xOff + i), a0);
            a1 = FloatVector.fromArray(F, w, i + L).fma(FloatVector.fromArray(F, x, xOff + i + L), a1);
        }
        for (int end = n - L; i <= end; i += L) {
            a0 = FloatVector.fromArray(F, w, i).fma(FloatVector.fromArray(F, x, xOff + i), a0);
        }
        float sum = Vec.sum(a0.add(a1));
        for (; i < n; i++) {
            sum += w[i] * x[xOff + i];
        }
        return sum;
    }

    private static FloatVector loadF32(MemorySegment s, long row, int col) {
        return FloatVector.fromMemorySegment(F, s, row + 4L * col, Vec.LE);
    }

    private static FloatVector loadF16(MemorySegment s, long row, int col) {
        return Vec.halves(s, row + 2L * col);
    }

    private static FloatVector loadBF16(MemorySegment s, long row, int col) {
        return Vec.bfloats(s, row + 2L * col);
    }

    /** Elements [col, col+n) of the row into out[o..o+n) (packing for MatMul). */
    static void dequant(int kind, MemorySegment s, long row, int col, int n, float[] out, int o) {
        int i = 0;
        if (kind == F32) { // plain copy: bulk copy is faster than lane loads
            MemorySegment.copy(s, Vec.F32, row + 4L * col, out, o, n);
            return;
        }
        for (int end = n - L; i <= end; i += L) {
            load(kind, s, row, col + i).intoArray(out, o + i);
        }
        for (; i < n; i++) {
            out[o + i] = scalar(kind, s, row, col + i);
        }
    }
}
