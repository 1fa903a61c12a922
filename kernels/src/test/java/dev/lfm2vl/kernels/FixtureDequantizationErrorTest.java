package dev.lfm2vl.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.loader.Fixtures;
import dev.lfm2vl.loader.GgmlType;
import dev.lfm2vl.loader.GgufFile;
import java.io.IOException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Dequantizing {@code token_embd.weight} (640 x 256) of each llama-quantize'd fixture stays within that
 * type's quantization error of the F32 original; a wrong nibble order or scale packing gives errors of the
 * order of the values themselves and fails both the max and the mean bound. Dequantizing twice is
 * bit-identical.
 */
class FixtureDequantizationErrorTest {

    /**
     * Max |error| allowed, as a fraction of the max |value| of the block (32 elements; 256 for K-quants).
     * Every bound = rounding step of the format + a 1% allowance for the F16 scale/min rounding (2^-11
     * relative, times at most ~2·amax/d quant steps) and, for K-quants, for the 6-bit scale quantization.
     * <ul>
     * <li>Q8_0: d = amax/127, round to nearest: ≤ d/2 = amax/254.</li>
     * <li>Q4_0: d = max/-8; the end opposite to max is clamped from 16 to 15: ≤ d = amax/8.</li>
     * <li>Q5_0: d = max/-16, same clamp: ≤ d = amax/16.</li>
     * <li>Q4_1: d = (max-min)/15, nearest: ≤ d/2 ≤ 2·amax/30 = amax/15.</li>
     * <li>Q5_1: d = (max-min)/31: ≤ amax/31.</li>
     * <li>Q4_K: per 32 sub-block step ≈ (range)/15 ≤ 2·amax_sub/15, ≤ half a step after the search, plus
     *     6-bit quantized scale/min (relative to the super-block max scale); bound amax/7 of the super-block.</li>
     * <li>Q5_K: steps of range/31: bound amax/14.</li>
     * <li>Q6_K: d·sc step ≈ amax_16/32 with an 8-bit signed scale: bound amax/24.</li>
     * <li>F16: relative 2^-11 (half an ulp), absolute 2^-25 for half subnormals; BF16: relative 2^-8.</li>
     * </ul>
     */
    static double maxBound(String type) {
        return switch (type) {
            case "F16" -> 1.0 / 2048;
            case "BF16" -> 1.0 / 256;
            case "Q8_0" -> 1.0 / 254 + 0.01;
            case "Q4_0" -> 1.0 / 8 + 0.01;
            case "Q5_0" -> 1.0 / 16 + 0.01;
            case "Q4_1" -> 1.0 / 15 + 0.01;
            case "Q5_1" -> 1.0 / 31 + 0.01;
            case "Q4_K" -> 1.0 / 7 + 0.01;
            case "Q5_K" -> 1.0 / 14 + 0.01;
            case "Q6_K" -> 1.0 / 24 + 0.01;
            default -> throw new IllegalArgumentException(type);
        };
    }

    /**
     * Mean |error| / mean block amax allowed: rounding errors are spread over [0, max], so their mean is at
     * most about half the max bound. A permuted layout instead makes errors |x_i - x_j| of two unrelated
     * values, about half the block amax for this Gaussian-like data (checked below to exceed 3x the bound).
     */
    static double meanBound(String type) {
        return maxBound(type) / 2;
    }

    /** Element k of a 32-group read with the wrong (interleaved, 2j/2j+1) nibble order of docs/MODEL.md pitfall 1. */
    static int interleaved(int k) {
        int g = k - k % 32, j = k % 32;
        return g + (j % 2 == 0 ? j / 2 : 16 + j / 2);
    }

    @ParameterizedTest
    @ValueSource(strings = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void tokenEmbeddingIsWithinQuantizationErrorOfF32(String type) throws IOException {
        try (GgufFile ref = GgufFile.open(Fixtures.textModel("F32"));
                GgufFile q = GgufFile.open(Fixtures.textModel(type))) {
            WeightMatrix wr = WeightMatrix.of(ref.tensor("token_embd.weight"));
            WeightMatrix wq = WeightMatrix.of(q.tensor("token_embd.weight"));
            assertEquals(GgmlType.valueOf(type), wq.type());
            assertEquals(640, wq.rows());
            assertEquals(256, wq.cols());
            int group = wq.blockSize() == 1 ? 1 : wq.blockSize();
            float[] a = new float[256], b = new float[256], again = new float[256];
            double worst = 0, sumErr = 0, sumAmax = 0, sumWrong = 0;
            for (int r = 0; r < 640; r++) {
                wr.dequantizeRow(r, a, 0);
                wq.dequantizeRow(r, b, 0);
                wq.dequantizeRow(r, again, 0);
                assertArrayEquals(b, again, "row " + r + " dequantized twice");
                for (int g = 0; g < 256; g += group) {
                    double amax = 0;
                    for (int i = g; i < g + group; i++) {
                        amax = Math.max(amax, Math.abs(a[i]));
                    }
                    for (int i = g; i < g + group; i++) {
                        double err = Math.abs(a[i] - b[i]);
                        double scale = group == 1 ? Math.abs(a[i]) : amax;
                        if (type.equals("F16") && Math.abs(a[i]) < 0x1p-14) {
                            err = Math.max(0, err - 0x1p-25); // subnormal half: absolute half-ulp 2^-25
                        }
                        worst = Math.max(worst, scale == 0 ? err : err / scale);
                        sumErr += err;
                        sumAmax += scale;
                        sumWrong += Math.abs(a[interleaved(i)] - b[i]);
                    }
                }
            }
            double mean = sumErr / sumAmax;
            double wrong = sumWrong / sumAmax;
            assertTrue(worst <= maxBound(type), type + " max error/amax " + worst + " > " + maxBound(type));
            assertTrue(mean <= meanBound(type), type + " mean error/amax " + mean + " > " + meanBound(type));
            // the bound discriminates: the same data read in the wrong element order is far outside it
            assertTrue(wrong > 3 * meanBound(type), type + " wrong-order mean error " + wrong);
        }
    }
}
