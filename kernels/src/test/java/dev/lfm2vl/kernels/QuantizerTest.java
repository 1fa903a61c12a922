package dev.lfm2vl.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.loader.Fixtures;
import dev.lfm2vl.loader.GgmlType;
import dev.lfm2vl.loader.GgufFile;
import dev.lfm2vl.loader.GgufTensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class QuantizerTest {

    private static float[] dequantize(GgmlType type, byte[] q, int n) {
        float[] out = new float[n];
        WeightMatrix.of(type, MemorySegment.ofArray(q), 1, n).dequantizeRow(0, out, 0);
        return out;
    }

    private static float[] gaussianRow(Random rnd, int n, double sigma) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextGaussian() * sigma);
        }
        return x;
    }

    private static double rms(float[] x) {
        double s = 0;
        for (float v : x) {
            s += (double) v * v;
        }
        return Math.sqrt(s / x.length);
    }

    private static double rmsError(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            s += d * d;
        }
        return Math.sqrt(s / a.length);
    }

    @Test
    void q8_0ErrorIsWithinHalfAStepPerBlock() {
        Random rnd = new Random(1);
        for (int trial = 0; trial < 50; trial++) {
            float[] x = gaussianRow(rnd, 512, Math.pow(10, rnd.nextInt(7) - 4));
            float[] y = dequantize(GgmlType.Q8_0, Quantizer.quantizeRow(GgmlType.Q8_0, x), x.length);
            for (int b = 0; b < x.length / 32; b++) {
                float amax = 0;
                for (int j = 0; j < 32; j++) {
                    amax = Math.max(amax, Math.abs(x[32 * b + j]));
                }
                // half a step, plus the F16 rounding of the scale (2^-11 relative, 2^-25 absolute when
                // subnormal) times up to 127 steps
                double d = amax / 127.0;
                double bound = (0.5 * d + 127 * Math.max(d * 0x1p-11, 0x1p-25)) * 1.001;
                for (int j = 0; j < 32; j++) {
                    int i = 32 * b + j;
                    assertTrue(Math.abs(x[i] - y[i]) <= bound, "element " + i + ": " + x[i] + " -> " + y[i]);
                }
            }
        }
    }

    @Test
    void q4_0ErrorIsWithinOneStepPerBlock() {
        Random rnd = new Random(2);
        for (int trial = 0; trial < 50; trial++) {
            float[] x = gaussianRow(rnd, 512, Math.pow(10, rnd.nextInt(7) - 4));
            float[] y = dequantize(GgmlType.Q4_0, Quantizer.quantizeRow(GgmlType.Q4_0, x), x.length);
            for (int b = 0; b < x.length / 32; b++) {
                float amax = 0;
                for (int j = 0; j < 32; j++) {
                    amax = Math.max(amax, Math.abs(x[32 * b + j]));
                }
                // the step is amax/8; -max maps to +7 steps, so the worst case is one whole step
                double d = amax / 8.0;
                double bound = (d + 8 * Math.max(d * 0x1p-11, 0x1p-25)) * 1.001;
                for (int j = 0; j < 32; j++) {
                    int i = 32 * b + j;
                    assertTrue(Math.abs(x[i] - y[i]) <= bound, "element " + i + ": " + x[i] + " -> " + y[i]);
                }
            }
            assertTrue(rmsError(x, y) < 0.12 * rms(x), "rms error " + rmsError(x, y) + " vs rms " + rms(x));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q4_K", "Q6_K"})
    void kQuantErrorIsBounded(String typeName) {
        GgmlType type = GgmlType.valueOf(typeName);
        // Q4_K: 15 levels over each 32-value sub-block's range; Q6_K: 63 levels over each 16-value range
        double maxRel = type == GgmlType.Q4_K ? 0.10 : 0.03;
        double stepFraction = type == GgmlType.Q4_K ? 1.0 / 15 : 1.0 / 31;
        Random rnd = new Random(3);
        for (int trial = 0; trial < 30; trial++) {
            float[] x = gaussianRow(rnd, 1024, Math.pow(10, rnd.nextInt(4) - 2));
            float[] y = dequantize(type, Quantizer.quantizeRow(type, x), x.length);
            assertTrue(rmsError(x, y) < maxRel * rms(x), type + " rms error " + rmsError(x, y) + " vs rms " + rms(x));
            for (int sb = 0; sb < x.length / 256; sb++) {
                float lo = Float.MAX_VALUE;
                float hi = -Float.MAX_VALUE;
                for (int j = 0; j < 256; j++) {
                    lo = Math.min(lo, x[256 * sb + j]);
                    hi = Math.max(hi, x[256 * sb + j]);
                }
                // every element within a (generous) two steps of the super-block's range
                double bound = 2 * stepFraction * (hi - Math.min(lo, 0));
                for (int j = 0; j < 256; j++) {
                    int i = 256 * sb + j;
                    assertTrue(Math.abs(x[i] - y[i]) <= bound, type + " element " + i + ": " + x[i] + " -> " + y[i]);
                }
            }
        }
    }

    @Test
    void floatConversionsRoundToNearestEven() {
        Random rnd = new Random(4);
        float[] x = gaussianRow(rnd, 1000, 3);
        x[0] = 0f;
        x[1] = -0f;
        x[2] = 65504f;
        x[3] = 1e-7f;
        float[] f16 = dequantize(GgmlType.F16, Quantizer.quantizeRow(GgmlType.F16, x), x.length);
        float[] bf16 = dequantize(GgmlType.BF16, Quantizer.quantizeRow(GgmlType.BF16, x), x.length);
        float[] f32 = dequantize(GgmlType.F32, Quantizer.quantizeRow(GgmlType.F32, x), x.length);
        assertArrayEquals(x, f32);
        for (int i = 0; i < x.length; i++) {
            assertEquals(Float.float16ToFloat(Float.floatToFloat16(x[i])), f16[i]);
            assertTrue(Math.abs(x[i] - bf16[i]) <= Math.abs(x[i]) * 0x1p-8, x[i] + " -> " + bf16[i]);
        }
        // ties: 1 + 2^-8 is halfway between two bfloat16 values and rounds to the even one (1.0)
        assertEquals(Float.floatToRawIntBits(1f) >>> 16, Quantizer.bf16(1f + 0x1p-8f) & 0xFFFF);
        // 1 + 3·2^-8 is halfway between 1 + 2^-7 (odd mantissa) and 1 + 2^-6 (even): rounds up to the even one
        assertEquals(Float.floatToRawIntBits(1f + 0x1p-6f) >>> 16, Quantizer.bf16(1f + 3 * 0x1p-8f) & 0xFFFF);
        assertTrue(Float.isNaN(Float.intBitsToFloat((Quantizer.bf16(Float.NaN) & 0xFFFF) << 16)));
    }

    @Test
    void zeroRowsQuantizeToZero() {
        for (GgmlType t : new GgmlType[] {GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K}) {
            float[] y = dequantize(t, Quantizer.quantizeRow(t, new float[256]), 256);
            for (float v : y) {
                assertEquals(0f, v, 0f, t.toString());
            }
        }
    }

    @Test
    void rejectsUnsupportedTypesAndPartialBlocks() {
        assertThrows(IllegalArgumentException.class, () -> Quantizer.quantizeRow(GgmlType.Q5_K, new float[256]));
        assertThrows(IllegalArgumentException.class, () -> Quantizer.quantizeRow(GgmlType.Q8_0, new float[40]));
    }

    @Test
    void nearestIntRoundsHalfToEven() {
        assertEquals(2, Quantizer.nearestInt(2.5f));
        assertEquals(4, Quantizer.nearestInt(3.5f));
        assertEquals(-2, Quantizer.nearestInt(-2.5f));
        assertEquals(-3, Quantizer.nearestInt(-2.6f));
    }

    /**
     * The fixture's quantized files were made by {@code llama-quantize --pure} from the F32 file. Quantizing the
     * F32 tensors here must reproduce their bytes; the reference quantizers are deterministic, so any difference
     * would be a divergence from ggml (the count is printed for the report).
     */
    @ParameterizedTest
    @ValueSource(strings = {"Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void reproducesLlamaQuantizeBytesOfTheFixture(String typeName) throws IOException {
        GgmlType type = GgmlType.valueOf(typeName);
        try (GgufFile f32 = GgufFile.open(Fixtures.textModel("F32"));
                GgufFile q = GgufFile.open(Fixtures.textModel(typeName))) {
            long blocks = 0;
            long differing = 0;
            int tensors = 0;
            for (GgufTensor t : q.tensors()) {
                if (t.type() != type) {
                    continue;
                }
                tensors++;
                GgufTensor src = f32.tensor(t.name());
                int rows = (int) src.rows();
                int cols = (int) src.columns();
                float[] row = new float[cols];
                byte[] mine = new byte[(int) type.bytesFor(cols)];
                WeightMatrix w = WeightMatrix.of(src);
                for (int r = 0; r < rows; r++) {
                    w.dequantizeRow(r, row, 0);
                    Quantizer.quantizeRow(type, row, 0, cols, MemorySegment.ofArray(mine), 0);
                    byte[] theirs = t.data().asSlice((long) r * mine.length, mine.length).toArray(ValueLayout.JAVA_BYTE);
                    for (int b = 0; b < cols / type.blockSize; b++) {
                        blocks++;
                        int o = b * type.bytesPerBlock;
                        if (!java.util.Arrays.equals(mine, o, o + type.bytesPerBlock, theirs, o, o + type.bytesPerBlock)) {
                            differing++;
                        }
                    }
                }
                if (t.name().equals("token_embd.weight")) {
                    // the embedding's blocks dequantize within the type's bound of the original
                    float[] a = new float[cols];
                    float[] b = new float[cols];
                    WeightMatrix wq = WeightMatrix.of(t);
                    for (int r = 0; r < rows; r++) {
                        w.dequantizeRow(r, a, 0);
                        wq.dequantizeRow(r, b, 0);
                        assertTrue(rmsError(a, b) < 0.12 * rms(a), t.name() + " row " + r);
                    }
                }
            }
            System.out.printf("quantizer vs llama-quantize %s: %d tensors, %d of %d blocks differ%n", type, tensors, differing, blocks);
            assertTrue(tensors > 0);
            assertEquals(0, differing, type + ": " + differing + " of " + blocks + " blocks differ from llama-quantize");
        }
    }
}
