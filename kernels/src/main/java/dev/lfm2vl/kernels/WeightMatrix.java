package dev.lfm2vl.kernels;

import dev.lfm2vl.loader.GgmlType;
import dev.lfm2vl.loader.GgufTensor;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A rows x cols view of a 2-D weight read in place from its (mapped) segment: row r is output r, cols is
 * the input size (ggml ne0, docs/MODEL.md pitfall 24). Nothing is copied or cached; the type is resolved once here
 * and {@link #dot} switches on it once per row. Immutable and safe to share between threads.
 */
public final class WeightMatrix {
    private final String name;
    private final GgmlType type;
    private final MemorySegment data;
    private final int rows;
    private final int cols;
    private final long rowBytes;
    private final int blocksPerRow;
    /** log2 of the block size (1, 32 or 256): MatMul calls {@link #dequantizeRange} per 8 blocks, where an idiv shows. */
    private final int blockShift;

    private WeightMatrix(String name, GgmlType type, MemorySegment data, int rows, int cols) {
        this.name = name;
        this.type = type;
        this.data = data;
        this.rows = rows;
        this.cols = cols;
        this.blocksPerRow = cols / type.blockSize;
        this.rowBytes = (long) blocksPerRow * type.bytesPerBlock;
        this.blockShift = Integer.numberOfTrailingZeros(type.blockSize);
        if (1 << blockShift != type.blockSize) {
            throw new AssertionError(type + " block size " + type.blockSize + " is not a power of two");
        }
    }

    /** The weight of a GGUF tensor: rows = product of dims 1.., cols = ne0. */
    public static WeightMatrix of(GgufTensor t) {
        return create(t.name(), t.type(), t.data(), t.rows(), t.columns());
    }

    public static WeightMatrix of(GgmlType type, MemorySegment data, int rows, int cols) {
        return create("<segment>", type, data, rows, cols);
    }

    private static WeightMatrix create(String name, GgmlType type, MemorySegment data, long rows, long cols) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
        if (!isSupported(type)) {
            throw new IllegalArgumentException("tensor " + name + ": weight type " + type + " is not supported"
                    + " (supported: F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q4_K Q5_K Q6_K)");
        }
        if (rows <= 0 || cols <= 0 || rows > Integer.MAX_VALUE || cols > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tensor " + name + ": bad shape " + rows + " x " + cols);
        }
        if (cols % type.blockSize != 0) {
            throw new IllegalArgumentException("tensor " + name + ": " + cols + " columns is not a multiple of the "
                    + type + " block size " + type.blockSize);
        }
        long need = rows * (cols / type.blockSize) * type.bytesPerBlock;
        if (data.byteSize() < need) {
            throw new IllegalArgumentException("tensor " + name + ": " + data.byteSize() + " bytes, " + type + " "
                    + rows + " x " + cols + " needs " + need);
        }
        return new WeightMatrix(name, type, data, (int) rows, (int) cols);
    }

    /** Whether this class has kernels for {@code type}. */
    public static boolean isSupported(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public GgmlType type() {
        return type;
    }

    public String name() {
        return name;
    }

    /** The backing bytes (read-only view of the file). */
    public MemorySegment data() {
        return data;
    }

    /** Bytes of one row. */
    public long rowBytes() {
        return rowBytes;
    }

    /** Total weight bytes (what one mat-vec must stream from memory). */
    public long byteSize() {
        return rowBytes * rows;
    }

    /**
     * The scalar oracle: row {@code row} as cols floats into out[off..], straight from the formulas of
     * docs/MODEL.md §2.4.
     */
    public void dequantizeRow(int row, float[] out, int off) {
        Objects.checkIndex(row, rows);
        Objects.checkFromIndexSize(off, cols, out.length);
        ScalarDequant.blocks(type, data, rowBytes * row, blocksPerRow, out, off);
    }

    /**
     * Row {@code row} · x[xOff .. xOff+cols), vectorized; x is read-only.
     *
     * <p>JIT note (a precaution): the bytecode is kept above C2's FreqInlineSize (325 bytes) so callers never
     * inline this method and each kernel is compiled here, in a small unit. Vector API code expands to many
     * nodes before its intrinsics collapse; past C2's inlining node budget the vector ops fall back to
     * allocating Java code (measured 20-50x slower while tuning, see QuantMath). Re-check with
     * -XX:+PrintInlining before shrinking it.
     */
    public float dot(int row, float[] x, int xOff) {
        if (row < 0 || row >= rows) {
            throw new IndexOutOfBoundsException("row " + row + " out of [0, " + rows + ") in " + name);
        }
        if (xOff < 0 || xOff > x.length - cols) {
            throw new IndexOutOfBoundsException("x[" + xOff + " .. +" + cols + ") out of " + x.length + " in " + name);
        }
        long p = rowBytes * row;
        int nb = blocksPerRow;
        return switch (type) {
            case F32 -> FloatKernels.dot(FloatKernels.F32, data, p, cols, x, xOff);
            case F16 -> FloatKernels.dot(FloatKernels.F16, data, p, cols, x, xOff);
            case BF16 -> FloatKernels.dot(FloatKernels.BF16, data, p, cols, x, xOff);
            case Q8_0 -> Block32Kernels.dotQ8_0(data, p, nb, x, xOff);
            case Q4_0 -> Block32Kernels.dotQ4_0(data, p, nb, x, xOff);
            case Q4_1 -> Block32Kernels.dotQ4_1(data, p, nb, x, xOff);
            case Q5_0 -> Block32Kernels.dotQ5_0(data, p, nb, x, xOff);
            case Q5_1 -> Block32Kernels.dotQ5_1(data, p, nb, x, xOff);
            case Q4_K -> KQuantKernels.dotQ4K(data, p, nb, x, xOff);
            case Q5_K -> KQuantKernels.dotQ5K(data, p, nb, x, xOff);
            case Q6_K -> KQuantKernels.dotQ6K(data, p, nb, x, xOff);
            default -> throw new AssertionError(type);
        };
    }

    /**
     * Whether {@link #dot4}/{@link #dot2} serve this matrix: Q8_0 and Q4_0 at 256 and 512 bits, whose batch kernels
     * keep a block's weights in registers for all vectors (Block32BatchKernels). Other types and 128 bits go through
     * {@link #decodeRow} and {@link #dotDecoded}.
     */
    boolean dotsInRegisters() {
        return Block32BatchKernels.AVAILABLE && (type == GgmlType.Q8_0 || type == GgmlType.Q4_0);
    }

    /**
     * Row {@code row} with the 4 vectors interleaved from byte {@code x0} of {@code xs} (Block32BatchKernels.interleave),
     * for {@link #dotsInRegisters} matrices: vector i's L lane sums go to lanes[i·L ..) and {@code Vec.sum(lanes, i·L)}
     * is then bit for bit {@link #dot} of that vector.
     */
    void dot4(int row, MemorySegment xs, long x0, float[] lanes) {
        checkRow(row);
        long p = rowBytes * row;
        switch (type) {
            case Q8_0 -> Block32BatchKernels.dotQ8_0x4(data, p, blocksPerRow, xs, x0, lanes);
            case Q4_0 -> Block32BatchKernels.dotQ4_0x4(data, p, blocksPerRow, xs, x0, lanes);
            default -> throw new IllegalStateException(type + " has no register batch kernel");
        }
    }

    /** {@link #dot4} for a group of two vectors: lanes[0 .. 2L). */
    void dot2(int row, MemorySegment xs, long x0, float[] lanes) {
        checkRow(row);
        long p = rowBytes * row;
        switch (type) {
            case Q8_0 -> Block32BatchKernels.dotQ8_0x2(data, p, blocksPerRow, xs, x0, lanes);
            case Q4_0 -> Block32BatchKernels.dotQ4_0x2(data, p, blocksPerRow, xs, x0, lanes);
            default -> throw new IllegalStateException(type + " has no register batch kernel");
        }
    }

    /** Columns from which a row's activations no longer stay in L1 beside the weights streaming through it. */
    static final int LONG_ROW = 4096;

    /**
     * Whether {@link #dotRows4} serves this matrix: Q8_0 rows of at least {@link #LONG_ROW} columns at 256 and 512 bits
     * (the FFN's down projection, 10752 columns in the 3B model). One core from DRAM, 8192x10752: 3.6-3.8 ns per block
     * for four rows at once against 4.6-5.2 for one; 2 threads 1.56-1.61x (docs/PERFORMANCE.md, "The long rows"). A
     * Q4_0 version was slower end to end and is not here.
     */
    boolean rowsShareActivations() {
        return Block32BatchKernels.AVAILABLE && type == GgmlType.Q8_0 && cols >= LONG_ROW;
    }

    /**
     * Rows row .. row+3 · x[xOff ..), for {@link #rowsShareActivations} matrices: row row+i's L lane sums go to
     * lanes[i·L ..) and {@code Vec.sum(lanes, i·L)} is then bit for bit {@link #dot} of that row.
     */
    void dotRows4(int row, float[] x, int xOff, float[] lanes) {
        checkRow(row);
        checkRow(row + 3);
        Objects.checkFromIndexSize(xOff, cols, x.length);
        Block32BatchKernels.dotQ8_0Rows4(data, rowBytes * row, rowBytes, blocksPerRow, x, xOff, lanes);
    }

    private void checkRow(int row) {
        if (row < 0 || row >= rows) {
            throw new IndexOutOfBoundsException("row " + row + " out of [0, " + rows + ") in " + name);
        }
    }

    /**
     * Decodes row {@code row} into {@code into} once, for {@link #dotDecoded} with several activation vectors
     * (MatVec.matVecBatch): see {@link DecodedRow} for what is kept per type. F32 rows are read in place (nothing to
     * decode: the row is in L1 after the first vector).
     *
     * <p>JIT note: kept, with {@link #dotDecoded}, above C2's FreqInlineSize so that the batch task does not inline
     * a decode and a dot kernel into one compile unit (the node budget, see {@link #dot(int, float[], int, float[])}).
     */
    void decodeRow(int row, DecodedRow into) {
        if (row < 0 || row >= rows) {
            throw new IndexOutOfBoundsException("row " + row + " out of [0, " + rows + ") in " + name);
        }
        long p = rowBytes * row;
        int nb = blocksPerRow;
        switch (type) {
            case F32 -> { }
            case F16 -> {
                into.ensure(cols, 0);
                FloatKernels.decodeF16(data, p, cols, into.values);
            }
            case BF16 -> {
                into.ensure(cols, 0);
                FloatKernels.decodeBF16(data, p, cols, into.values);
            }
            case Q8_0 -> {
                into.ensure(cols, nb);
                Block32Kernels.decodeQ8_0(data, p, nb, into.values, into.scales);
            }
            case Q4_0 -> {
                into.ensure(cols, nb);
                Block32Kernels.decodeQ4_0(data, p, nb, into.values, into.scales);
            }
            case Q4_1 -> {
                into.ensure(cols, 0);
                Block32Kernels.dequantQ4_1(data, p, nb, into.values, 0);
            }
            case Q5_0 -> {
                into.ensure(cols, nb);
                Block32Kernels.decodeQ5_0(data, p, nb, into.values, into.scales);
            }
            case Q5_1 -> {
                into.ensure(cols, 0);
                Block32Kernels.dequantQ5_1(data, p, nb, into.values, 0);
            }
            case Q4_K -> {
                into.ensure(cols, 0);
                KQuantKernels.dequantQ4K(data, p, nb, into.values, 0);
            }
            case Q5_K -> {
                into.ensure(cols, 0);
                KQuantKernels.dequantQ5K(data, p, nb, into.values, 0);
            }
            case Q6_K -> {
                into.ensure(cols, 16 * nb);
                KQuantKernels.decodeQ6K(data, p, nb, into.values, into.scales);
            }
            default -> throw new AssertionError(type);
        }
    }

    /**
     * Row {@code row} · x[xOff .. xOff+cols) from the row {@link #decodeRow} decoded into {@code decoded}: bit for
     * bit what {@link #dot(int, float[], int, float[])} returns (each type's decoded dot repeats its kernel's
     * operations in the same order), so a sequence's numbers do not depend on the others in its batch.
     */
    float dotDecoded(int row, DecodedRow decoded, float[] x, int xOff) {
        if (xOff < 0 || xOff > x.length - cols) {
            throw new IndexOutOfBoundsException("x[" + xOff + " .. +" + cols + ") out of " + x.length + " in " + name);
        }
        float[] v = decoded.values, ds = decoded.scales;
        int nb = blocksPerRow;
        return switch (type) {
            case F32 -> FloatKernels.dot(FloatKernels.F32, data, rowBytes * row, cols, x, xOff);
            case F16, BF16 -> FloatKernels.dotDecoded(v, cols, x, xOff);
            case Q8_0 -> Block32Kernels.dotDecodedQ8_0Narrow(v, ds, nb, x, xOff); // 128 bits: see dotsInRegisters
            case Q4_0 -> Block32Kernels.dotDecodedQ4_0Narrow(v, ds, nb, x, xOff);
            case Q4_1, Q5_1 -> Block32Kernels.dotDecodedAffine(v, cols, 16, x, xOff);
            case Q5_0 -> Block32Kernels.dotDecodedQ5_0(v, ds, nb, x, xOff);
            case Q4_K -> KQuantKernels.dotDecodedQ4K(v, nb, x, xOff);
            case Q5_K -> Block32Kernels.dotDecodedAffine(v, cols, 32, x, xOff);
            case Q6_K -> KQuantKernels.dotDecodedQ6K(v, ds, nb, x, xOff);
            default -> throw new AssertionError(type);
        };
    }

    /** Block granule for {@link #dequantizeRange}: column ranges must start and end on a multiple of it. */
    public int blockSize() {
        return type.blockSize;
    }

    /**
     * Vectorized dequantization of columns [col, col+n) of a row into out[off..off+n) (MatMul packing);
     * col and n must be multiples of {@link #blockSize()} (n may end at cols). Agrees with
     * {@link #dequantizeRow} up to float rounding of the scale products.
     */
    public void dequantizeRange(int row, int col, int n, float[] out, int off) {
        Objects.checkIndex(row, rows);
        Objects.checkFromIndexSize(col, n, cols);
        Objects.checkFromIndexSize(off, n, out.length);
        if (((col | n) & ((1 << blockShift) - 1)) != 0) {
            throw new IllegalArgumentException("range " + col + "+" + n + " not aligned to " + type + " blocks");
        }
        long p = rowBytes * row + (long) (col >> blockShift) * type.bytesPerBlock;
        int nb = n >> blockShift;
        switch (type) {
            case F32 -> FloatKernels.dequant(FloatKernels.F32, data, rowBytes * row, col, n, out, off);
            case F16 -> FloatKernels.dequant(FloatKernels.F16, data, rowBytes * row, col, n, out, off);
            case BF16 -> FloatKernels.dequant(FloatKernels.BF16, data, rowBytes * row, col, n, out, off);
            case Q8_0 -> Block32Kernels.dequantQ8_0(data, p, nb, out, off);
            case Q4_0 -> Block32Kernels.dequantQ4_0(data, p, nb, out, off);
            case Q4_1 -> Block32Kernels.dequantQ4_1(data, p, nb, out, off);
            case Q5_0 -> Block32Kernels.dequantQ5_0(data, p, nb, out, off);
            case Q5_1 -> Block32Kernels.dequantQ5_1(data, p, nb, out, off);
            case Q4_K -> KQuantKernels.dequantQ4K(data, p, nb, out, off);
            case Q5_K -> KQuantKernels.dequantQ5K(data, p, nb, out, off);
            case Q6_K -> KQuantKernels.dequantQ6K(data, p, nb, out, off);
            default -> throw new AssertionError(type);
        }
    }

    @Override
    public String toString() {
        return "WeightMatrix[" + name + " " + type + " " + rows + "x" + cols + "]";
    }
}
