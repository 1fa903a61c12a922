package dev.lfm2vl.runtime;

import java.util.List;

/**
 * A request's prompt (text, image tokens and markers) takes more positions than the context holds: thrown before
 * any image is encoded. It carries each image's plan so a caller can work out, with the same planning code
 * ({@link ImagePreprocessor#plan}), which other pre-processing options would fit.
 */
public final class PromptTooLongException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final int positions;
    private final int imageTokens;
    private final int capacity;
    private final transient List<ImagePlan> plans;

    public PromptTooLongException(int positions, int imageTokens, int capacity, List<ImagePlan> plans) {
        super("the prompt takes " + positions + " positions (" + imageTokens + " for images) but the context holds " + capacity);
        this.positions = positions;
        this.imageTokens = imageTokens;
        this.capacity = capacity;
        this.plans = List.copyOf(plans);
    }

    /** Positions the prompt takes. */
    public int positions() {
        return positions;
    }

    /** Image vectors among them. */
    public int imageTokens() {
        return imageTokens;
    }

    /** Positions the context holds. */
    public int capacity() {
        return capacity;
    }

    /** The plan of each image, in prompt order. */
    public List<ImagePlan> plans() {
        return plans;
    }

    /** Positions of the prompt that are not image spans: its text tokens. */
    public int textPositions() {
        int n = positions;
        for (ImagePlan p : plans) {
            n -= p.totalPositions();
        }
        return n;
    }
}
