package dev.lfm2vl.runtime;

import java.util.Locale;

/**
 * An image needs more memory than the JVM has: found from its header before decoding (the estimate of
 * {@link ImageLoader}), or from an {@link OutOfMemoryError} while decoding or pre-processing it. Told apart from a
 * corrupt file so the fix (a larger heap, {@code -Xmx}) can be named.
 */
public final class ImageMemoryException extends ImageLoadException {
    private static final long serialVersionUID = 1L;
    private static final long MB = 1L << 20;
    private static final long GB = 1L << 30;

    private final long neededBytes;
    private final long maxHeapBytes;
    private final long freeHeapBytes;

    /**
     * @param what          what ran out, e.g. {@code "decode a 30000x30000 PNG image"}
     * @param neededBytes   the estimate of what it needs (0: unknown)
     * @param maxHeapBytes  the JVM's heap limit
     * @param freeHeapBytes what was free of it (the limit less what is in use)
     */
    ImageMemoryException(String prefix, String what, long neededBytes, long maxHeapBytes, long freeHeapBytes) {
        super(prefix + "not enough memory to " + what + " (" + (neededBytes > 0 ? "needs ~" + mb(neededBytes) + "; " : "") + "the JVM has "
                + (freeHeapBytes < maxHeapBytes * 9 / 10 ? mb(freeHeapBytes) + " free of " : "") + mb(maxHeapBytes) + ")");
        this.neededBytes = neededBytes;
        this.maxHeapBytes = maxHeapBytes;
        this.freeHeapBytes = freeHeapBytes;
    }

    private static String mb(long bytes) {
        return String.format(Locale.ROOT, "%d MB", (bytes + MB - 1) / MB);
    }

    public long neededBytes() {
        return neededBytes;
    }

    public long maxHeapBytes() {
        return maxHeapBytes;
    }

    /**
     * A heap limit, in whole gigabytes, that would hold what is in use now plus the image with a quarter to spare:
     * what to suggest for {@code -Xmx}; at least one gigabyte more than now.
     */
    public long suggestedHeapGigabytes() {
        long inUse = Math.max(0, maxHeapBytes - freeHeapBytes);
        long want = (long) ((inUse + neededBytes) * 1.25);
        return Math.max((want + GB - 1) / GB, maxHeapBytes / GB + 1);
    }
}
