package dev.lfm2vl.runtime;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.SampleModel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.FileImageInputStream;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Loads an image file as 8-bit RGB through {@code javax.imageio}, in the {@link ImageFormats}: PNG, JPEG, BMP, GIF
 * (first frame), TIFF (first page) from the JDK, WebP through the TwelveMonkeys plugin on the class path. The reader
 * is chosen by the file's content, not its name.
 *
 * <p>Conversion follows llama.cpp, which decodes with stb_image asking for 3 channels:
 * <ul>
 *   <li>alpha is <b>dropped without compositing</b> (stb's {@code convert_format} 4→3 copies R, G, B; 2→3 replicates
 *       the grey value) — a transparent pixel keeps whatever colour it stores;</li>
 *   <li>grey is replicated to R = G = B, taken from the raw samples (no gamma conversion, unlike
 *       {@code BufferedImage.getRGB} on linear-grey images);</li>
 *   <li>16-bit channels keep their <b>top byte</b> ({@code v >> 8}, stb's {@code convert_16_to_8}); other bit depths
 *       are scaled to 0..255 with rounding;</li>
 *   <li>palette images use their palette RGB (palette alpha dropped); colour samples are taken as stored, no ICC
 *       colour management and no EXIF orientation (stb does neither).</li>
 * </ul>
 * The header is read first and an image with more than {@code maxPixels} pixels, or needing more memory than the
 * JVM has free ({@link ImageMemoryException}), is rejected before any pixel data is decoded. The file is opened read-only. Every failure is an {@link ImageLoadException} with a one-line
 * message.
 */
public final class ImageLoader {
    /** Default pixel limit: 100 megapixels. */
    public static final long DEFAULT_MAX_PIXELS = 100_000_000L;

    /** Hard limit: the RGB buffer is one Java array. */
    private static final long ARRAY_LIMIT_PIXELS = (Integer.MAX_VALUE - 16) / 3;

    private ImageLoader() {}

    /** Loads {@code file} with the {@link #DEFAULT_MAX_PIXELS} limit. */
    public static RgbImage load(Path file) throws ImageLoadException {
        return load(file, DEFAULT_MAX_PIXELS);
    }

    /** Loads {@code file}, rejecting images with more than {@code maxPixels} pixels before decoding them. */
    public static RgbImage load(Path file, long maxPixels) throws ImageLoadException {
        if (maxPixels <= 0) {
            throw new IllegalArgumentException("maxPixels must be positive: " + maxPixels);
        }
        if (!Files.exists(file)) {
            throw fail(file, "file not found");
        }
        if (!Files.isRegularFile(file)) {
            throw fail(file, "not a regular file");
        }
        if (!Files.isReadable(file)) {
            throw fail(file, "file is not readable");
        }
        try (ImageInputStream in = new FileImageInputStream(file.toFile())) {
            return decode(file.toString(), in, maxPixels);
        } catch (ImageLoadException e) {
            throw e;
        } catch (IOException e) {
            throw fail(file.toString(), "corrupt or unreadable image: " + reason(e));
        }
    }

    /**
     * Loads an image held in memory (e.g. the bytes of a data URL sent to a server), rejecting images with more than
     * {@code maxPixels} pixels before decoding them; {@code name} stands for the image in error messages.
     */
    public static RgbImage load(byte[] bytes, String name, long maxPixels) throws ImageLoadException {
        if (maxPixels <= 0) {
            throw new IllegalArgumentException("maxPixels must be positive: " + maxPixels);
        }
        if (bytes.length == 0) {
            throw fail(name, "empty image data");
        }
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            return decode(name, in, maxPixels);
        } catch (ImageLoadException e) {
            throw e;
        } catch (IOException e) {
            throw fail(name, "corrupt or unreadable image: " + reason(e));
        }
    }

    /** Reads the header, checks the pixel limit and the free heap, then decodes; {@code name} is for messages. */
    private static RgbImage decode(String name, ImageInputStream in, long maxPixels) throws ImageLoadException {
        // what is known of the image when something fails: for the out-of-memory message
        String format = "image";
        int w = 0;
        int h = 0;
        long needed = 0;
        try {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw fail(name, "unsupported or unrecognised image format (readable: " + ImageFormats.names() + ")");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                format = reader.getFormatName().toUpperCase(java.util.Locale.ROOT);
                w = reader.getWidth(0);
                h = reader.getHeight(0);
                if (w <= 0 || h <= 0) {
                    throw fail(name, format + " header declares an empty image (" + w + "x" + h + ")");
                }
                long pixels = (long) w * h;
                long limit = Math.min(maxPixels, ARRAY_LIMIT_PIXELS);
                if (pixels > limit) {
                    throw fail(name, String.format(java.util.Locale.ROOT, "%s image is %dx%d = %d pixels, over the limit of %d pixels",
                            format, w, h, pixels, limit));
                }
                needed = decodeBytes(reader, pixels);
                checkHeap(name, format, w, h, needed);
                List<String> warnings = new ArrayList<>();
                reader.addIIOReadWarningListener((src, warning) -> warnings.add(warning));
                BufferedImage img = reader.read(0);
                for (String warning : warnings) {
                    if (warning != null && warning.toLowerCase(java.util.Locale.ROOT).contains("premature end")) {
                        throw fail(name, format + " data is truncated (" + oneLine(warning) + ")");
                    }
                }
                if (img == null) {
                    throw fail(name, format + " decoder returned no image");
                }
                return toRgb(img);
            } finally {
                reader.dispose();
            }
        } catch (ImageLoadException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            if (causedByOutOfMemory(e)) { // the JDK's PNG reader wraps any Throwable, OutOfMemoryError too, in an IIOException
                throw outOfMemory(name, decoding(format, w, h), needed);
            }
            throw fail(name, "corrupt or unreadable image: " + reason(e));
        } catch (OutOfMemoryError e) {
            throw outOfMemory(name, decoding(format, w, h), needed);
        }
    }

    /**
     * Heap bytes decoding a {@code pixels}-pixel image takes at its peak: the decoded image as the reader stores it
     * (its raw type's bytes per pixel; 4 when it does not say) and the RGB copy (3). Pre-processing afterwards needs
     * less: the decoded image is garbage by then, and the resized copies are no larger than the RGB one.
     */
    static long decodeBytes(ImageReader reader, long pixels) {
        long bytesPerPixel = 4;
        try {
            ImageTypeSpecifier raw = reader.getRawImageType(0);
            if (raw != null) {
                SampleModel sm = raw.getSampleModel();
                bytesPerPixel = Math.max(1, DataBuffer.getDataTypeSize(sm.getDataType()) / 8 * (long) sm.getNumDataElements());
            }
        } catch (IOException | RuntimeException e) {
            // keep the guess: the header was read, the image may still decode
        }
        return pixels * (bytesPerPixel + 3);
    }

    /**
     * Refuses, before any pixel is decoded, an image that needs more than the free heap: decoding it would end in an
     * OutOfMemoryError after a long wait, or leave too little for the rest. Garbage counts as used until collected,
     * so a collection is asked for before refusing.
     */
    private static void checkHeap(String file, String format, int w, int h, long needed) throws ImageMemoryException {
        if (needed <= freeHeap()) {
            return;
        }
        System.gc();
        if (needed > freeHeap()) {
            throw outOfMemory(file, decoding(format, w, h), needed);
        }
    }

    private static String decoding(String format, int w, int h) {
        return w > 0 && h > 0 ? "decode a " + w + "x" + h + " " + format + " image" : "decode the image";
    }

    /** Heap bytes the JVM can still allocate: its limit less what is in use. */
    static long freeHeap() {
        Runtime rt = Runtime.getRuntime();
        return rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
    }

    /**
     * The error for an image that needs more memory than the JVM has to do {@code what} (e.g. "pre-process a 9000x9000
     * image"), {@code needed} bytes (0: unknown); for callers that catch an OutOfMemoryError after loading too.
     */
    public static ImageMemoryException outOfMemory(Path file, String what, long needed) {
        return outOfMemory(file.toString(), what, needed);
    }

    /** As {@link #outOfMemory(Path, String, long)} for an image named {@code name} (e.g. one held in memory). */
    public static ImageMemoryException outOfMemory(String file, String what, long needed) {
        return new ImageMemoryException("cannot load image " + file + ": ", what, needed, Runtime.getRuntime().maxMemory(), freeHeap());
    }

    /** Whether {@code e} or one of its causes is an OutOfMemoryError. */
    static boolean causedByOutOfMemory(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof OutOfMemoryError) {
                return true;
            }
        }
        return false;
    }

    /** Converts a decoded image to 8-bit RGB with the rules in the class comment. */
    static RgbImage toRgb(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        byte[] out = new byte[3 * w * h];
        ColorModel cm = img.getColorModel();
        Raster raster = img.getRaster();
        int bands = raster.getNumBands();
        int dataType = raster.getDataBuffer().getDataType();
        boolean integerSamples = dataType == DataBuffer.TYPE_BYTE || dataType == DataBuffer.TYPE_USHORT
                || dataType == DataBuffer.TYPE_INT;
        if (cm instanceof IndexColorModel icm && bands == 1) {
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    int o = 3 * (y * w + x);
                    int idx = row[x];
                    out[o] = (byte) icm.getRed(idx);
                    out[o + 1] = (byte) icm.getGreen(idx);
                    out[o + 2] = (byte) icm.getBlue(idx);
                }
            }
        } else if (cm instanceof ComponentColorModel && integerSamples
                && (cm.getNumColorComponents() == 1 || cm.getNumColorComponents() == 3)) {
            int colours = cm.getNumColorComponents();
            int[] row = new int[w * bands];
            for (int y = 0; y < h; y++) {
                raster.getPixels(0, y, w, 1, row);
                for (int x = 0; x < w; x++) {
                    int o = 3 * (y * w + x);
                    int base = x * bands;
                    if (colours == 1) {
                        byte g = (byte) to8(row[base], cm.getComponentSize(0));
                        out[o] = g;
                        out[o + 1] = g;
                        out[o + 2] = g;
                    } else {
                        out[o] = (byte) to8(row[base], cm.getComponentSize(0));
                        out[o + 1] = (byte) to8(row[base + 1], cm.getComponentSize(1));
                        out[o + 2] = (byte) to8(row[base + 2], cm.getComponentSize(2));
                    }
                }
            }
        } else {
            // packed (e.g. BMP 5-6-5), direct or other models: let the colour model unpack to sRGB, ignore alpha
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                img.getRGB(0, y, w, 1, row, 0, w);
                for (int x = 0; x < w; x++) {
                    int o = 3 * (y * w + x);
                    int argb = row[x];
                    out[o] = (byte) (argb >> 16);
                    out[o + 1] = (byte) (argb >> 8);
                    out[o + 2] = (byte) argb;
                }
            }
        }
        return new RgbImage(w, h, out);
    }

    /** Reduces a sample of {@code bits} bits to 8: 16-bit keeps the top byte (as stb_image), others are scaled. */
    static int to8(int v, int bits) {
        if (bits == 8) {
            return v & 0xFF;
        }
        if (bits == 16) {
            return (v >> 8) & 0xFF;
        }
        if (bits > 8) {
            return (v >>> (bits - 8)) & 0xFF;
        }
        int max = (1 << bits) - 1;
        return (v * 255 + max / 2) / max;
    }

    private static ImageLoadException fail(Object file, String reason) {
        return new ImageLoadException("cannot load image " + file + ": " + reason);
    }

    private static String reason(Throwable e) {
        String m = e.getMessage();
        Throwable cause = e.getCause();
        if ((m == null || m.isBlank()) && cause != null) {
            m = cause.getMessage();
        }
        String r = (m == null || m.isBlank()) ? e.getClass().getSimpleName() : m;
        if (cause != null && cause.getMessage() != null && !r.contains(cause.getMessage())) {
            r = r + " (" + cause.getMessage() + ")";
        }
        return oneLine(r);
    }

    private static String oneLine(String s) {
        return s.replaceAll("\\s+", " ").trim();
    }
}
