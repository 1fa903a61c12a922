package dev.lfm2vl.runtime;

import dev.lfm2vl.kernels.WeightMatrix;
import dev.lfm2vl.loader.GgmlType;
import dev.lfm2vl.loader.GgufFile;
import dev.lfm2vl.loader.GgufFormatException;
import dev.lfm2vl.loader.GgufTensor;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Weight lookup by GGUF tensor name, shared by the text tower, the vision tower and the projector: each weight is
 * checked against the shape its model implies, so a wrong or truncated file fails at load with the tensor's name
 * instead of in the middle of a forward pass.
 */
final class GgufWeights {
    private GgufWeights() {}

    /** A 2-D weight checked against the shape the config implies ({@code in} columns, {@code out} rows). */
    static WeightMatrix matrix(GgufFile gguf, String name, int in, int out) throws GgufFormatException {
        GgufTensor t = gguf.tensor(name);
        if (t.columns() != in || t.rows() != out) {
            throw new GgufFormatException(gguf.source() + ": tensor '" + name + "' has shape " + Arrays.toString(t.shape())
                    + ", expected [" + in + ", " + out + "]");
        }
        try {
            return WeightMatrix.of(t);
        } catch (IllegalArgumentException e) {
            throw new GgufFormatException(gguf.source() + ": " + e.getMessage());
        }
    }

    /** A small F32 vector copied to the heap (norm weights, conv taps). */
    static float[] vector(GgufFile gguf, String name, int length) throws GgufFormatException {
        GgufTensor t = gguf.tensor(name);
        if (t.elementCount() != length) {
            throw new GgufFormatException(gguf.source() + ": tensor '" + name + "' has " + t.elementCount() + " values, expected " + length);
        }
        if (t.type() != GgmlType.F32) {
            float[] out = new float[length];
            WeightMatrix.of(t.type(), t.data(), 1, length).dequantizeRow(0, out, 0);
            return out;
        }
        return t.data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
    }
}
