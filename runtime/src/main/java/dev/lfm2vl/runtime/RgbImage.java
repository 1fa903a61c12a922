package dev.lfm2vl.runtime;

import java.util.Objects;

/**
 * An 8-bit RGB image: {@code rgb} holds {@code width·height·3} bytes, row-major, interleaved R, G, B (values are
 * unsigned: read them with {@code & 0xFF}).
 */
public record RgbImage(int width, int height, byte[] rgb) {
    public RgbImage {
        Objects.requireNonNull(rgb, "rgb");
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive: " + width + "x" + height);
        }
        if (rgb.length != 3L * width * height) {
            throw new IllegalArgumentException("RGB buffer has " + rgb.length + " bytes, expected 3x" + width + "x" + height);
        }
    }

    /** Channel {@code c} (0 = R, 1 = G, 2 = B) of pixel (x, y), 0..255. */
    public int get(int x, int y, int c) {
        return rgb[3 * (y * width + x) + c] & 0xFF;
    }

    @Override
    public String toString() {
        return "RgbImage[" + width + "x" + height + "]";
    }
}
