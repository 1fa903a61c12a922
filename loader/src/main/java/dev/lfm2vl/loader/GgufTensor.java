package dev.lfm2vl.loader;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * One tensor of a GGUF file: a zero-copy slice of the mapped file.
 *
 * @param name       tensor name, e.g. {@code blk.0.ffn_up.weight}
 * @param type       element type; rows of quantized types are whole blocks
 * @param shape      dims in ggml order: {@code shape[0]} is the contiguous axis (docs/MODEL.md §2.1)
 * @param fileOffset absolute byte offset of the data in the file
 * @param data       the bytes, {@code byteSize()} long, read-only
 */
public record GgufTensor(String name, GgmlType type, long[] shape, long fileOffset, MemorySegment data) {

    public GgufTensor {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of dims (1..4). */
    public int rank() {
        return shape.length;
    }

    /** Size of dim {@code i} in ggml order, 1 past the rank. */
    public long dim(int i) {
        return i < shape.length ? shape[i] : 1;
    }

    /** Elements per row: {@code shape[0]}. For a linear weight this is the input size. */
    public long columns() {
        return shape[0];
    }

    /** Number of rows: the product of every dim but the first. For a linear weight this is the output size. */
    public long rows() {
        long r = 1;
        for (int i = 1; i < shape.length; i++) {
            r *= shape[i];
        }
        return r;
    }

    public long elementCount() {
        return columns() * rows();
    }

    public long byteSize() {
        return data.byteSize();
    }

    /** Bytes of one row. */
    public long rowBytes() {
        return type.bytesFor(shape[0]);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensor t && t.name.equals(name) && t.type == type && Arrays.equals(t.shape, shape)
                && t.fileOffset == fileOffset;
    }

    @Override
    public int hashCode() {
        return name.hashCode();
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(shape);
    }
}
