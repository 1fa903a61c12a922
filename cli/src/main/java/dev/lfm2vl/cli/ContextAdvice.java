package dev.lfm2vl.cli;

import dev.lfm2vl.runtime.ImagePlan;
import dev.lfm2vl.runtime.ImagePreprocessor;
import dev.lfm2vl.runtime.PromptTooLongException;
import java.util.ArrayList;
import java.util.List;

/**
 * What to say when an image prompt does not fit the context: the options that would make it fit, each with the
 * positions the prompt would then take, worked out with the planning code the request used (and {@code plan}
 * prints), so the advice can be followed. Raising {@code --ctx-size} is only offered up to the model's context (more
 * is capped), and {@code --max-image-tokens} only where it helps: it sets the thumbnail's budget, not the number of
 * tiles, so a very wide panorama needs {@code --no-image-split}.
 */
final class ContextAdvice {
    /** One way to make the prompt fit: the flags to give and the positions the prompt would take. */
    record Remedy(String flags, int positions) {
        @Override
        public String toString() {
            return flags + (positions > 0 ? " (" + positions + " positions)" : "");
        }
    }

    private ContextAdvice() {}

    /**
     * The error message for {@code e}: the runtime's, then what fits. {@code used} are the pre-processing options of
     * the request, {@code answerTokens} the -n given (-1: until the end), {@code modelContext} the model's maximum.
     */
    static String message(PromptTooLongException e, ImagePreprocessor.Options used, int modelContext, int answerTokens) {
        // the answer needs room after the prompt: -n tokens, or at least one
        int room = Math.max(1, answerTokens);
        int limit = e.capacity() - room;
        StringBuilder m = new StringBuilder(e.getMessage());
        if (e.capacity() >= modelContext) {
            m.append(" (the model's maximum)");
        }
        List<Remedy> fits = new ArrayList<>();
        if (e.capacity() < modelContext && e.positions() + room <= modelContext) {
            fits.add(new Remedy("--ctx-size " + (e.positions() + room), 0)); // the prompt as it is
        }
        Remedy smallest = null;
        for (List<Remedy> group : remedies(e, used)) {
            for (Remedy r : group) {
                if (r.positions() <= limit) {
                    fits.add(r); // the first that fits keeps the most detail
                    break;
                }
                if (smallest == null || r.positions() < smallest.positions()) {
                    smallest = r;
                }
            }
        }
        if (!fits.isEmpty()) {
            m.append("; it fits with ");
            for (int i = 0; i < fits.size(); i++) {
                m.append(i == 0 ? "" : " or with ").append(fits.get(i));
            }
            if (answerTokens > 0) {
                m.append(", leaving room for -n ").append(answerTokens);
            }
        } else if (smallest != null) {
            m.append("; even ").append(smallest).append(" does not fit: use a smaller image");
        } else {
            m.append("; use a smaller image or a shorter prompt");
        }
        return m.toString();
    }

    /**
     * Smaller pre-processing options in two groups, most detailed first in each: halving {@code --max-image-tokens}
     * with the splitting as it is (the budget also decides which images are split), then {@code --no-image-split}
     * with the budget given and halved.
     */
    static List<List<Remedy>> remedies(PromptTooLongException e, ImagePreprocessor.Options used) {
        List<Remedy> asSplit = new ArrayList<>();
        String split = used.imageSplitting() ? "" : "--no-image-split ";
        for (int k = used.maxImageTokens() / 2; k >= used.minImageTokens(); k /= 2) {
            asSplit.add(new Remedy(split + "--max-image-tokens " + k, positions(e, used.withImageTokens(used.minImageTokens(), k))));
        }
        List<Remedy> unsplit = new ArrayList<>();
        if (used.imageSplitting()) {
            ImagePreprocessor.Options whole = used.withImageSplitting(false);
            unsplit.add(new Remedy("--no-image-split", positions(e, whole)));
            for (int k = used.maxImageTokens() / 2; k >= used.minImageTokens(); k /= 2) {
                unsplit.add(new Remedy("--no-image-split --max-image-tokens " + k,
                        positions(e, whole.withImageTokens(used.minImageTokens(), k))));
            }
        }
        return List.of(asSplit, unsplit);
    }

    /** The positions of the prompt of {@code e} with its images planned with {@code options}. */
    static int positions(PromptTooLongException e, ImagePreprocessor.Options options) {
        ImagePreprocessor pre = new ImagePreprocessor(options);
        int n = e.textPositions();
        for (ImagePlan p : e.plans()) {
            n += pre.plan(p.originalWidth(), p.originalHeight()).totalPositions();
        }
        return n;
    }
}
