package dev.lfm2vl.loader;

import java.util.Arrays;
import java.util.Objects;

/**
 * One metadata value with its GGUF type. Scalars hold a boxed number, Boolean or String; arrays hold
 * {@link GgufArray}. Integers of any width are exposed as {@code long} (unsigned 64-bit values as raw bits).
 */
public record GgufValue(GgufValueType type, Object value) {

    public GgufValue {
        Objects.requireNonNull(type);
        Objects.requireNonNull(value);
    }

    public static GgufValue ofString(String s) {
        return new GgufValue(GgufValueType.STRING, s);
    }

    public static GgufValue ofUInt32(long v) {
        return new GgufValue(GgufValueType.UINT32, v);
    }

    public static GgufValue ofInt32(int v) {
        return new GgufValue(GgufValueType.INT32, (long) v);
    }

    public static GgufValue ofFloat32(float v) {
        return new GgufValue(GgufValueType.FLOAT32, (double) v);
    }

    public static GgufValue ofBool(boolean v) {
        return new GgufValue(GgufValueType.BOOL, v);
    }

    public static GgufValue ofArray(GgufArray a) {
        return new GgufValue(GgufValueType.ARRAY, a);
    }

    /**
     * A typed array. {@code values} is a {@code long[]} for every integer element type, {@code double[]} for
     * FLOAT32/FLOAT64, {@code boolean[]} for BOOL, {@code String[]} for STRING and {@code GgufArray[]} for
     * nested arrays.
     */
    public record GgufArray(GgufValueType elementType, Object values) {
        public int length() {
            return switch (values) {
                case long[] a -> a.length;
                case double[] a -> a.length;
                case boolean[] a -> a.length;
                case String[] a -> a.length;
                case GgufArray[] a -> a.length;
                default -> throw new IllegalStateException("unexpected array storage " + values.getClass());
            };
        }

        public static GgufArray ofStrings(String... s) {
            return new GgufArray(GgufValueType.STRING, s);
        }

        public static GgufArray ofInts(GgufValueType type, long... v) {
            return new GgufArray(type, v);
        }

        public static GgufArray ofFloats(double... v) {
            return new GgufArray(GgufValueType.FLOAT32, v);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof GgufArray a && a.elementType == elementType && Objects.deepEquals(values, a.values);
        }

        @Override
        public int hashCode() {
            return elementType.hashCode() * 31 + Arrays.deepHashCode(new Object[] {values});
        }

        @Override
        public String toString() {
            return elementType + "[" + length() + "]";
        }
    }
}
