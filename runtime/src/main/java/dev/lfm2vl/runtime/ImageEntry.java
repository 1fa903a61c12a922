package dev.lfm2vl.runtime;

/**
 * One image fed to the vision tower: its {@link ImagePlan.EntryPlan} (size, image tokens, place in the layout) and
 * its {@code pixels}, planar {@code [3][height][width]} float, already normalised with {@code (u8/255 - mean)/std}.
 */
public record ImageEntry(ImagePlan.EntryPlan plan, float[] pixels) {
    public ImageEntry {
        if (pixels.length != 3L * plan.width() * plan.height()) {
            throw new IllegalArgumentException("pixels has " + pixels.length + " values, expected 3x" + plan.width() + "x" + plan.height());
        }
    }

    public int width() {
        return plan.width();
    }

    public int height() {
        return plan.height();
    }

    /** Vectors this entry yields after the projector (its prompt positions). */
    public int imageTokens() {
        return plan.imageTokens();
    }

    @Override
    public String toString() {
        return plan.toString();
    }
}
