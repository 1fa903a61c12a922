package dev.lfm2vl.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.runtime.Sampler.Settings;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SamplerTest {

    private static Settings settings(float temp, float minP, int topK, float topP, float penalty, int lastN, long seed) {
        return new Settings(temp, minP, topK, topP, penalty, lastN, seed);
    }

    @Test
    void greedyPicksTheLargestLogitAndTheLowestIdOnTies() {
        Sampler s = new Sampler(5, Settings.greedy());
        assertEquals(3, s.sample(new float[] {1, 2, 0, 5, 4}, 0));
        assertEquals(1, s.sample(new float[] {1, 7, 0, 7, 7}, 0));
        assertEquals(2, Sampler.argmax(new float[] {9, 9, 1, 2, 3, 3}, 2, 4), "offset respected, first of the tied 3s");
    }

    @Test
    void doesNotModifyTheCallersLogits() {
        float[] logits = {1, 2, 3, 4};
        Sampler s = new Sampler(4, settings(1f, 0.05f, 2, 0.9f, 1.3f, 8, 1));
        s.accept(3);
        s.sample(logits, 0);
        assertArrayEquals(new float[] {1, 2, 3, 4}, logits);
    }

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOncePerDistinctToken() {
        // Greedy after the penalty: token 0 (2.0) vs token 1 (1.9); penalising 0 by 1.1 gives 1.818 < 1.9.
        Sampler s = new Sampler(3, settings(0f, 0f, 0, 1f, 1.1f, 64, 0));
        float[] logits = {2.0f, 1.9f, -5f};
        assertEquals(0, s.sample(logits, 0));
        s.accept(0);
        s.accept(0);
        s.accept(0);
        assertEquals(1, s.sample(logits, 0), "penalised once, not three times: 2.0/1.1 < 1.9 but 2.0/1.1^3 would be too");
        // Negative logits are multiplied: -1.0 * 2 = -2 < -1.5.
        Sampler n = new Sampler(2, settings(0f, 0f, 0, 1f, 2f, 64, 0));
        n.accept(0);
        assertEquals(1, n.sample(new float[] {-1.0f, -1.5f}, 0));
        Sampler once = new Sampler(2, settings(0f, 0f, 0, 1f, 1.1f, 64, 0));
        once.accept(0);
        once.accept(0);
        assertEquals(0, once.sample(new float[] {2.0f, 1.8f}, 0), "2.0/1.1 = 1.818 > 1.8: a second penalty would flip it");
    }

    @Test
    void repetitionPenaltyOnlyCoversTheLastNAcceptedTokens() {
        Sampler s = new Sampler(3, settings(0f, 0f, 0, 1f, 2f, 2, 0));
        s.accept(0);
        s.accept(2);
        s.accept(2);
        assertEquals(0, s.sample(new float[] {1.0f, 0.9f, 0f}, 0), "token 0 fell out of the 2-token window");
        s.reset();
        s.accept(0);
        assertEquals(1, s.sample(new float[] {1.0f, 0.9f, 0f}, 0));
    }

    @Test
    void minPDropsTokensBelowTheThresholdBeforeTemperature() {
        // min-p 0.15: keep logit >= max + ln 0.15 = 3 - 1.897 = 1.103. Token 2 (1.2) stays, token 3 (1.0) goes.
        float[] logits = {3f, 2f, 1.2f, 1.0f, -4f};
        Sampler s = new Sampler(5, settings(5f, 0.15f, 0, 1f, 1f, 0, 42));
        Set<Integer> drawn = new HashSet<>();
        for (int i = 0; i < 3000; i++) {
            drawn.add(s.sample(logits, 0));
        }
        assertEquals(Set.of(0, 1, 2), drawn);
    }

    @Test
    void topKKeepsTheKLargest() {
        float[] logits = {0f, 5f, 1f, 4f, 3f, 2f};
        Sampler s = new Sampler(6, settings(100f, 0f, 2, 1f, 1f, 0, 7));
        Set<Integer> drawn = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            drawn.add(s.sample(logits, 0));
        }
        assertEquals(Set.of(1, 3), drawn);
    }

    @Test
    void topPKeepsTheSmallestPrefixReachingTheMass() {
        // softmax of {2, 1, 0, -10}: 0.665, 0.245, 0.090, ~0. top-p 0.8 keeps {0, 1}; 0.95 keeps {0, 1, 2}.
        float[] logits = {2f, 1f, 0f, -10f};
        for (float p : new float[] {0.8f, 0.95f}) {
            Sampler s = new Sampler(4, settings(1f, 0f, 0, p, 1f, 0, 3));
            Set<Integer> drawn = new HashSet<>();
            for (int i = 0; i < 4000; i++) {
                drawn.add(s.sample(logits, 0));
            }
            assertEquals(p == 0.8f ? Set.of(0, 1) : Set.of(0, 1, 2), drawn, "top-p " + p);
        }
    }

    @Test
    void drawsFollowTheTemperatureScaledSoftmax() {
        float[] logits = {1f, 0f, -1f};
        Sampler s = new Sampler(3, settings(2f, 0f, 0, 1f, 1f, 0, 11));
        int[] counts = new int[3];
        int n = 60_000;
        for (int i = 0; i < n; i++) {
            counts[s.sample(logits, 0)]++;
        }
        double z = Math.exp(0.5) + 1 + Math.exp(-0.5);
        double[] expected = {Math.exp(0.5) / z, 1 / z, Math.exp(-0.5) / z};
        for (int i = 0; i < 3; i++) {
            assertEquals(expected[i], counts[i] / (double) n, 0.01, "token " + i);
        }
    }

    @Test
    void sameSeedSameTokensOtherSeedOtherTokens() {
        float[] logits = new float[640];
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) r.nextGaussian();
        }
        int[] a = run(new Sampler(640, settings(1.5f, 0f, 0, 1f, 1.05f, 64, 99)), logits);
        int[] b = run(new Sampler(640, settings(1.5f, 0f, 0, 1f, 1.05f, 64, 99)), logits);
        int[] c = run(new Sampler(640, settings(1.5f, 0f, 0, 1f, 1.05f, 64, 100)), logits);
        assertArrayEquals(a, b);
        assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(c));
    }

    private static int[] run(Sampler s, float[] logits) {
        int[] out = new int[50];
        for (int i = 0; i < out.length; i++) {
            out[i] = s.sample(logits, 0);
            s.accept(out[i]);
        }
        return out;
    }

    @Test
    void defaultsAreTheModelCards() {
        Settings d = Settings.defaults();
        assertEquals(0.1f, d.temperature());
        assertEquals(0.15f, d.minP());
        assertEquals(1.05f, d.repeatPenalty());
        assertEquals(40, d.topK());
        assertEquals(0.95f, d.topP());
        assertEquals(64, d.repeatLastN());
    }

    @Test
    void outOfRangeSettingsAreRejectedWithAClearMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> settings(-1f, 0f, 0, 1f, 1f, 0, 0));
        assertTrue(e.getMessage().contains("temperature"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> settings(1f, 2f, 0, 1f, 1f, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> settings(1f, 0f, -1, 1f, 1f, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> settings(1f, 0f, 0, 0f, 1f, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> settings(1f, 0f, 0, 1f, 0f, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> settings(Float.NaN, 0f, 0, 1f, 1f, 0, 0));
    }
}
