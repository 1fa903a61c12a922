package dev.lfm2vl.runtime;

import java.util.List;

/**
 * A pre-processed image: the entries for the vision tower in order (tiles row-major then thumbnail, or the single
 * image) and the {@link ImagePlan} with the decisions and the marker layout.
 */
public record PreprocessedImage(ImagePlan plan, List<ImageEntry> entries) {
    public PreprocessedImage {
        entries = List.copyOf(entries);
        if (entries.size() != plan.entryCount()) {
            throw new IllegalArgumentException("plan has " + plan.entryCount() + " entries, got " + entries.size());
        }
    }

    public List<ImageLayoutItem> layout() {
        return plan.layout();
    }

    public int totalImageTokens() {
        return plan.totalImageTokens();
    }
}
