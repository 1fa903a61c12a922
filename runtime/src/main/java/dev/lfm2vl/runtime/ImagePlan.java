package dev.lfm2vl.runtime;

import java.util.List;

/**
 * The resize/tiling decisions for one image, computable from its size alone (for {@code --verbose} and
 * {@code plan}).
 *
 * @param mode           the behaviour reproduced
 * @param originalWidth  decoded width
 * @param originalHeight decoded height
 * @param resizedWidth   smart-resize width: the single image, or the thumbnail when tiled
 * @param resizedHeight  smart-resize height
 * @param tiled          whether the image is split into tiles
 * @param gridCols       tile columns (0 when not tiled)
 * @param gridRows       tile rows (0 when not tiled)
 * @param canvasWidth    the width of the tile canvas the image is resized into ({@code tileSize·gridCols}, 0 when not
 *                       tiled)
 * @param canvasHeight   the tile canvas height
 * @param entries        the entries in order (tiles row-major, then the thumbnail; or the single image)
 * @param layout         the image span: markers and entries in prompt order
 */
public record ImagePlan(
        PreprocessMode mode,
        int originalWidth,
        int originalHeight,
        int resizedWidth,
        int resizedHeight,
        boolean tiled,
        int gridCols,
        int gridRows,
        int canvasWidth,
        int canvasHeight,
        List<EntryPlan> entries,
        List<ImageLayoutItem> layout) {

    /**
     * One entry fed to the vision tower: its pixel size, the image tokens it yields after the projector
     * ({@code (width/32)·(height/32)} for patch 16 and downsample 2) and its place: tiles have {@code row}/{@code col}
     * 1-based, the thumbnail of a tiled layout or a single image 0/0.
     */
    public record EntryPlan(int width, int height, int imageTokens, int row, int col, boolean thumbnail) {
        @Override
        public String toString() {
            String what = thumbnail ? "thumbnail" : row > 0 ? "tile r" + row + "c" + col : "image";
            return what + " " + width + "x" + height + " (" + imageTokens + " tokens)";
        }
    }

    public ImagePlan {
        entries = List.copyOf(entries);
        layout = List.copyOf(layout);
    }

    public int entryCount() {
        return entries.size();
    }

    /** Total image vectors (sum over entries). */
    public int totalImageTokens() {
        int n = 0;
        for (EntryPlan e : entries) {
            n += e.imageTokens();
        }
        return n;
    }

    /** Number of marker tokens in the span. */
    public int markerCount() {
        int n = 0;
        for (ImageLayoutItem item : layout) {
            if (item instanceof ImageLayoutItem.Marker) {
                n++;
            }
        }
        return n;
    }

    /** Sequence positions the span occupies: image vectors plus markers. */
    public int totalPositions() {
        return totalImageTokens() + markerCount();
    }

    /** A one-line human summary, e.g. {@code 1000x3000 -> tiles 1x3 (512x1536) + thumbnail 288x864: 1011 image tokens}. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append(originalWidth).append('x').append(originalHeight).append(" -> ");
        if (tiled) {
            sb.append("tiles ").append(gridCols).append('x').append(gridRows)
                    .append(" (").append(canvasWidth).append('x').append(canvasHeight).append(") + thumbnail ")
                    .append(resizedWidth).append('x').append(resizedHeight);
        } else {
            sb.append(resizedWidth).append('x').append(resizedHeight);
        }
        sb.append(": ").append(totalImageTokens()).append(" image tokens, ").append(totalPositions())
                .append(" positions with markers [").append(mode).append(']');
        return sb.toString();
    }
}
