package dev.lfm2vl.runtime;

/**
 * One item of an image span in the prompt (docs/MODEL.md §8.3): either a special-token marker, given by its
 * text so the caller maps it to an id with the tokenizer, or the image vectors of one pre-processed entry.
 */
public sealed interface ImageLayoutItem {
    String IMAGE_START = "<|image_start|>";
    String IMAGE_END = "<|image_end|>";
    String THUMBNAIL = "<|img_thumbnail|>";

    /** The tile marker {@code <|img_row_R_col_C|>} for 1-based row and column. */
    static String tileMarker(int row, int col) {
        return "<|img_row_" + row + "_col_" + col + "|>";
    }

    /** A special token, e.g. {@code <|image_start|>}. */
    record Marker(String tokenText) implements ImageLayoutItem {
        @Override
        public String toString() {
            return tokenText;
        }
    }

    /** The image vectors of entry {@code index} of the pre-processed image (one position per vector). */
    record Entry(int index) implements ImageLayoutItem {
        @Override
        public String toString() {
            return "IMG#" + index;
        }
    }
}
