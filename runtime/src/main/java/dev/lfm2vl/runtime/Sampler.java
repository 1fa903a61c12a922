package dev.lfm2vl.runtime;

import java.util.Random;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits with llama.cpp's sampler chain (docs/MODEL.md §9.1), in its order:
 * repetition penalty (distinct ids among the last {@code repeatLastN} accepted tokens) -> top-k -> top-p ->
 * min-p (relative to the max logit, before temperature) -> temperature -> draw. Temperature {@code <= 0} is greedy
 * (argmax after the penalty, lowest id wins ties). Seeded: the same seed and logits give the same tokens.
 * All buffers are sized to the vocabulary once; sampling allocates nothing.
 */
public final class Sampler {

    /** Sampling settings; defaults are the model card's (temperature 0.1, min-p 0.15, repetition penalty 1.05). */
    public record Settings(float temperature, float minP, int topK, float topP, float repeatPenalty, int repeatLastN, long seed) {
        public static final float DEFAULT_TEMPERATURE = 0.1f;
        public static final float DEFAULT_MIN_P = 0.15f;
        public static final int DEFAULT_TOP_K = 40;
        public static final float DEFAULT_TOP_P = 0.95f;
        public static final float DEFAULT_REPEAT_PENALTY = 1.05f;
        public static final int DEFAULT_REPEAT_LAST_N = 64;

        public Settings {
            if (!(temperature >= 0) || !Float.isFinite(temperature)) {
                throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
            }
            if (!(minP >= 0 && minP <= 1)) {
                throw new IllegalArgumentException("min-p must be in [0, 1], got " + minP);
            }
            if (topK < 0) {
                throw new IllegalArgumentException("top-k must be >= 0 (0 = off), got " + topK);
            }
            if (!(topP > 0 && topP <= 1)) {
                throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
            }
            if (!(repeatPenalty > 0) || !Float.isFinite(repeatPenalty)) {
                throw new IllegalArgumentException("repeat penalty must be > 0, got " + repeatPenalty);
            }
            if (repeatLastN < 0) {
                throw new IllegalArgumentException("repeat-last-n must be >= 0, got " + repeatLastN);
            }
        }

        /** The model card's defaults with a random seed. */
        public static Settings defaults() {
            return new Settings(DEFAULT_TEMPERATURE, DEFAULT_MIN_P, DEFAULT_TOP_K, DEFAULT_TOP_P, DEFAULT_REPEAT_PENALTY,
                    DEFAULT_REPEAT_LAST_N, new Random().nextLong());
        }

        /** Plain argmax: no penalty, no randomness. */
        public static Settings greedy() {
            return new Settings(0f, 0f, 0, 1f, 1f, 0, 0);
        }

        public Settings withSeed(long s) {
            return new Settings(temperature, minP, topK, topP, repeatPenalty, repeatLastN, s);
        }
    }

    private final Settings settings;
    private final int vocab;
    /** The allowed-token mask of a constrained answer (one bit per token), made on first use. */
    private long[] allowedMask;
    private final float[] values;   // candidate logits (then probabilities), parallel to ids
    private final int[] ids;
    private final int[] seenStamp;  // per token id: the stamp of the last penalty pass that touched it
    private int stamp;
    private final int[] history;    // ring buffer of the last repeatLastN accepted tokens
    private int historyCount;
    private int historyNext;
    private SplittableRandom random;

    public Sampler(int vocabSize, Settings settings) {
        this.settings = settings;
        this.vocab = vocabSize;
        this.values = new float[vocabSize];
        this.ids = new int[vocabSize];
        this.seenStamp = new int[vocabSize];
        this.history = new int[Math.max(1, settings.repeatLastN())];
        this.random = new SplittableRandom(settings.seed());
    }

    public Settings settings() {
        return settings;
    }

    /** Forgets the accepted tokens and restarts the random sequence from the seed. */
    public void reset() {
        historyCount = 0;
        historyNext = 0;
        random = new SplittableRandom(settings.seed());
    }

    /** Records a generated token for the repetition penalty (llama-mtmd-cli accepts generated tokens only). */
    public void accept(int token) {
        if (settings.repeatLastN() == 0) {
            return;
        }
        history[historyNext] = token;
        historyNext = (historyNext + 1) % history.length;
        historyCount = Math.min(historyCount + 1, history.length);
    }

    /** The index of the largest value in {@code logits[off, off+n)}; the lowest index wins ties. */
    public static int argmax(float[] logits, int off, int n) {
        int best = 0;
        float bestValue = logits[off];
        for (int i = 1; i < n; i++) {
            if (logits[off + i] > bestValue) {
                bestValue = logits[off + i];
                best = i;
            }
        }
        return best;
    }

    /** Samples a token from {@code logits[off, off+vocab)}; the caller's array is not modified. */
    public int sample(float[] logits, int off) {
        return sample(logits, off, null);
    }

    /**
     * As {@link #sample(float[], int)}, drawing only among the tokens {@code constraint} allows with {@code budget}
     * tokens left (null: any), and recording the pick in it. The allowed-token mask is this sampler's, made on first
     * use.
     */
    public int sample(float[] logits, int off, TokenConstraint constraint, int budget) {
        if (constraint == null) {
            return sample(logits, off);
        }
        if (allowedMask == null) {
            allowedMask = new long[(vocab + 63) >> 6];
        }
        constraint.allowed(allowedMask, budget);
        int id = sample(logits, off, allowedMask);
        constraint.accept(id);
        return id;
    }

    /**
     * As {@link #sample(float[], int)}, drawing only among the tokens whose bit is set in {@code allowed} (one bit per
     * id, null: all): the others' logits count as -infinity, so the whole chain (penalty, top-k, top-p, min-p,
     * temperature) works within the allowed set and greedy stays its argmax. At least one token must be allowed.
     */
    public int sample(float[] logits, int off, long[] allowed) {
        System.arraycopy(logits, off, values, 0, vocab);
        if (allowed != null) {
            for (int i = 0; i < vocab; i++) {
                if ((allowed[i >> 6] >>> i & 1) == 0) {
                    values[i] = Float.NEGATIVE_INFINITY;
                }
            }
        }
        applyRepetitionPenalty();
        if (settings.temperature() <= 0) {
            return argmax(values, 0, vocab);
        }
        for (int i = 0; i < vocab; i++) {
            ids[i] = i;
        }
        int n = vocab;
        int k = settings.topK();
        if (k > 0 && k < n) {
            n = selectTop(k);
        }
        sortDescending(n);
        n = topP(n);
        n = minP(n);
        return draw(n);
    }

    private void applyRepetitionPenalty() {
        float penalty = settings.repeatPenalty();
        if (penalty == 1f || historyCount == 0) {
            return;
        }
        stamp++;
        for (int i = 0; i < historyCount; i++) {
            int t = history[i];
            if (t < 0 || t >= vocab || seenStamp[t] == stamp) {
                continue; // once per distinct id, however often it occurs
            }
            seenStamp[t] = stamp;
            values[t] = values[t] <= 0 ? values[t] * penalty : values[t] / penalty;
        }
    }

    /** Moves the k largest candidates (ids and values) to the front; returns k. Quickselect, O(n). */
    private int selectTop(int k) {
        int lo = 0;
        int hi = vocab - 1;
        while (lo < hi) {
            int p = partition(lo, hi, lo + (hi - lo) / 2);
            if (p == k - 1) {
                break;
            } else if (p < k - 1) {
                lo = p + 1;
            } else {
                hi = p - 1;
            }
        }
        return k;
    }

    /** Partitions [lo, hi] around values[pivot] so larger values come first (ties broken by lower id first). */
    private int partition(int lo, int hi, int pivot) {
        float pv = values[pivot];
        int pid = ids[pivot];
        swap(pivot, hi);
        int store = lo;
        for (int i = lo; i < hi; i++) {
            if (before(values[i], ids[i], pv, pid)) {
                swap(i, store++);
            }
        }
        swap(store, hi);
        return store;
    }

    private static boolean before(float v, int id, float pv, int pid) {
        return v > pv || (v == pv && id < pid);
    }

    private void swap(int a, int b) {
        float v = values[a];
        values[a] = values[b];
        values[b] = v;
        int t = ids[a];
        ids[a] = ids[b];
        ids[b] = t;
    }

    /** Sorts the first n candidates by descending value (then ascending id): insertion sort for small n, else quicksort. */
    private void sortDescending(int n) {
        quicksort(0, n - 1);
    }

    private void quicksort(int lo, int hi) {
        while (hi - lo > 16) {
            int p = partition(lo, hi, lo + (hi - lo) / 2);
            if (p - lo < hi - p) {
                quicksort(lo, p - 1);
                lo = p + 1;
            } else {
                quicksort(p + 1, hi);
                hi = p - 1;
            }
        }
        for (int i = lo + 1; i <= hi; i++) {
            float v = values[i];
            int id = ids[i];
            int j = i - 1;
            while (j >= lo && before(v, id, values[j], ids[j])) {
                values[j + 1] = values[j];
                ids[j + 1] = ids[j];
                j--;
            }
            values[j + 1] = v;
            ids[j + 1] = id;
        }
    }

    /** Keeps the smallest prefix whose softmax mass (temperature 1) reaches top-p; at least one. */
    private int topP(int n) {
        float p = settings.topP();
        if (p >= 1f) {
            return n;
        }
        float max = values[0];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp(values[i] - max);
        }
        double cum = 0;
        for (int i = 0; i < n; i++) {
            cum += Math.exp(values[i] - max) / sum;
            if (cum >= p) {
                return i + 1;
            }
        }
        return n;
    }

    /** Keeps candidates with logit >= max + ln(min-p), i.e. p >= min-p * p_max before temperature; at least one. */
    private int minP(int n) {
        float mp = settings.minP();
        if (mp <= 0f) {
            return n;
        }
        float threshold = values[0] + (float) Math.log(mp);
        int keep = 1;
        while (keep < n && values[keep] >= threshold) {
            keep++;
        }
        return keep;
    }

    /** Temperature, softmax (max-subtracted, float exp, double sum) and a draw from the seeded generator. */
    private int draw(int n) {
        float inv = 1f / settings.temperature();
        float max = values[0] * inv;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(values[i] * inv - max);
            values[i] = e;
            sum += e;
        }
        double r = random.nextDouble() * sum;
        double cum = 0;
        int lastLive = 0; // rounding fallback: never a candidate of weight 0 (masked out)
        for (int i = 0; i < n; i++) {
            cum += values[i];
            if (values[i] > 0) {
                lastLive = i;
            }
            if (r < cum) {
                return ids[i];
            }
        }
        return ids[lastLive];
    }
}
