package dev.lfm2vl.runtime;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The one list of image formats {@link ImageLoader} reads and their file name extensions: what folder scans take,
 * what error messages and help texts name. Each is decoded by {@code javax.imageio}: PNG, JPEG, BMP, GIF and TIFF by
 * the JDK's own readers, WebP by the TwelveMonkeys plugin on the class path (a test checks every extension here has a
 * reader). The JDK's WBMP reader is left out on purpose: WBMP has no signature, so a reader is chosen for it by
 * guessing, and nobody keeps photos in it.
 */
public final class ImageFormats {
    /** A format's display name and its extensions (lower case, without the dot). */
    public record Format(String name, List<String> extensions) {}

    public static final List<Format> SUPPORTED = List.of(
            new Format("PNG", List.of("png")),
            new Format("JPEG", List.of("jpg", "jpeg")),
            new Format("BMP", List.of("bmp")),
            new Format("GIF", List.of("gif")),
            new Format("TIFF", List.of("tif", "tiff")),
            new Format("WebP", List.of("webp")));

    /** Every extension, in list order: made once, since folder scans test every file name against it. */
    private static final List<String> EXTENSIONS = SUPPORTED.stream().flatMap(f -> f.extensions().stream()).toList();

    private ImageFormats() {}

    /** Every extension, in list order. */
    public static List<String> extensions() {
        return EXTENSIONS;
    }

    /** Whether {@code file}'s name ends in one of the {@link #extensions()}, in any case. */
    public static boolean hasImageExtension(Path file) {
        String name = file.getFileName() == null ? "" : file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /** The format names for a sentence: {@code PNG, JPEG, BMP, GIF, TIFF and WebP}. */
    public static String names() {
        List<String> names = SUPPORTED.stream().map(Format::name).toList();
        return String.join(", ", names.subList(0, names.size() - 1)) + " and " + names.getLast();
    }

    /** The formats with their extensions: {@code PNG (png), JPEG (jpg, jpeg), ...} (no dots: help texts wrap after them). */
    public static String describe() {
        StringBuilder b = new StringBuilder();
        for (Format f : SUPPORTED) {
            b.append(b.isEmpty() ? "" : ", ").append(f.name()).append(" (");
            for (int i = 0; i < f.extensions().size(); i++) {
                b.append(i == 0 ? "" : ", ").append(f.extensions().get(i));
            }
            b.append(')');
        }
        return b.toString();
    }
}
