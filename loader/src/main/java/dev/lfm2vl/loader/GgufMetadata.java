package dev.lfm2vl.loader;

import dev.lfm2vl.loader.GgufValue.GgufArray;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The key/value metadata of a GGUF file, in file order, with typed accessors. Integer keys accept any
 * integer width (converters differ, docs/MODEL.md §2.2); a missing key or a wrong type is a
 * {@link GgufFormatException} naming the key.
 */
public final class GgufMetadata {
    private final Map<String, GgufValue> values;

    public GgufMetadata(Map<String, GgufValue> values) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** Every key and value in file order. */
    public Map<String, GgufValue> asMap() {
        return values;
    }

    public Set<String> keys() {
        return values.keySet();
    }

    public boolean has(String key) {
        return values.containsKey(key);
    }

    public GgufValue get(String key) throws GgufFormatException {
        GgufValue v = values.get(key);
        if (v == null) {
            throw new GgufFormatException("metadata key '" + key + "' is missing");
        }
        return v;
    }

    public String getString(String key) throws GgufFormatException {
        GgufValue v = get(key);
        if (v.type() != GgufValueType.STRING) {
            throw wrongType(key, v, "a string");
        }
        return (String) v.value();
    }

    public String getString(String key, String fallback) throws GgufFormatException {
        return has(key) ? getString(key) : fallback;
    }

    /** Any integer-typed value as a long (UINT64 values above Long.MAX_VALUE are rejected). */
    public long getLong(String key) throws GgufFormatException {
        GgufValue v = get(key);
        if (!v.type().isInteger()) {
            throw wrongType(key, v, "an integer");
        }
        long x = (Long) v.value();
        if (v.type() == GgufValueType.UINT64 && x < 0) {
            throw new GgufFormatException("metadata key '" + key + "' = " + Long.toUnsignedString(x) + " is too large");
        }
        return x;
    }

    /** An integer value that must fit an int. */
    public int getInt(String key) throws GgufFormatException {
        long x = getLong(key);
        if (x < Integer.MIN_VALUE || x > Integer.MAX_VALUE) {
            throw new GgufFormatException("metadata key '" + key + "' = " + x + " is out of range");
        }
        return (int) x;
    }

    public int getInt(String key, int fallback) throws GgufFormatException {
        return has(key) ? getInt(key) : fallback;
    }

    /** A FLOAT32 or FLOAT64 value (integers are accepted too). */
    public float getFloat(String key) throws GgufFormatException {
        GgufValue v = get(key);
        return switch (v.type()) {
            case FLOAT32, FLOAT64 -> (float) (double) (Double) v.value();
            default -> {
                if (v.type().isInteger()) {
                    yield (float) getLong(key);
                }
                throw wrongType(key, v, "a float");
            }
        };
    }

    public float getFloat(String key, float fallback) throws GgufFormatException {
        return has(key) ? getFloat(key) : fallback;
    }

    public boolean getBool(String key) throws GgufFormatException {
        GgufValue v = get(key);
        if (v.type() != GgufValueType.BOOL) {
            throw wrongType(key, v, "a bool");
        }
        return (Boolean) v.value();
    }

    public boolean getBool(String key, boolean fallback) throws GgufFormatException {
        return has(key) ? getBool(key) : fallback;
    }

    public GgufArray getArray(String key) throws GgufFormatException {
        GgufValue v = get(key);
        if (v.type() != GgufValueType.ARRAY) {
            throw wrongType(key, v, "an array");
        }
        return (GgufArray) v.value();
    }

    /** An array of any integer element type, each element within int range. */
    public int[] getIntArray(String key) throws GgufFormatException {
        GgufArray a = getArray(key);
        if (!a.elementType().isInteger()) {
            throw new GgufFormatException("metadata key '" + key + "' is an array of " + a.elementType() + ", expected integers");
        }
        long[] src = (long[]) a.values();
        int[] out = new int[src.length];
        for (int i = 0; i < src.length; i++) {
            if (src[i] < Integer.MIN_VALUE || src[i] > Integer.MAX_VALUE) {
                throw new GgufFormatException("metadata key '" + key + "' element " + i + " = " + src[i] + " is out of range");
            }
            out[i] = (int) src[i];
        }
        return out;
    }

    public float[] getFloatArray(String key) throws GgufFormatException {
        GgufArray a = getArray(key);
        if (a.elementType() != GgufValueType.FLOAT32 && a.elementType() != GgufValueType.FLOAT64) {
            throw new GgufFormatException("metadata key '" + key + "' is an array of " + a.elementType() + ", expected floats");
        }
        double[] src = (double[]) a.values();
        float[] out = new float[src.length];
        for (int i = 0; i < src.length; i++) {
            out[i] = (float) src[i];
        }
        return out;
    }

    public String[] getStringArray(String key) throws GgufFormatException {
        GgufArray a = getArray(key);
        if (a.elementType() != GgufValueType.STRING) {
            throw new GgufFormatException("metadata key '" + key + "' is an array of " + a.elementType() + ", expected strings");
        }
        return ((String[]) a.values()).clone();
    }

    private static GgufFormatException wrongType(String key, GgufValue v, String expected) {
        return new GgufFormatException("metadata key '" + key + "' is " + v.type() + ", expected " + expected);
    }
}
