package dev.lfm2vl.runtime;

/**
 * One image fed to the vision tower: {@code pixels} is planar {@code [3][height][width]} float, already normalised
 * with {@code (u8/255 - mean)/std}. {@code imageTokens} is the number of vectors it yields after the projector
 * ({@code (width/32)·(height/32)} for patch 16 and downsample 2). {@code thumbnail} marks the overview image of a
 * tiled layout (tiles have {@code row}/{@code col} 1-based, a single or thumbnail entry 0/0).
 */
public record ImageEntry(int width, int height, float[] pixels, int imageTokens, int row, int col, boolean thumbnail) {
    public ImageEntry {
        if (pixels.length != 3L * width * height) {
            throw new IllegalArgumentException("pixels has " + pixels.length + " values, expected 3x" + width + "x" + height);
        }
    }

    @Override
    public String toString() {
        String what = thumbnail ? "thumbnail" : row > 0 ? "tile r" + row + "c" + col : "image";
        return what + " " + width + "x" + height + " (" + imageTokens + " tokens)";
    }
}
