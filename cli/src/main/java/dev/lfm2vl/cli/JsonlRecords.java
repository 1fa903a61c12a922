package dev.lfm2vl.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The content of a {@code caption --jsonl} file, compacted to one record per image: a caption wins over an error
 * (an image that failed and was then captioned counts as captioned), and otherwise the latest record wins (a retried
 * image that failed again keeps only its latest error). Each image keeps the place of its first record, so a
 * compacted file stays in the order it was written in. Kept lines are kept as they were written, byte for byte;
 * lines that are not one JSON object (such as the last line of a killed run, cut short) are dropped; objects
 * without a {@code path} are kept as they are.
 */
final class JsonlRecords {
    /** A kept line: its text, its image (null for an object without a path), whether it holds a caption. */
    private record Line(String text, Path image, boolean captioned) {}

    private final List<Line> lines = new ArrayList<>();
    /** Per image, its place in {@link #lines}. */
    private final Map<Path, Integer> placeOf = new HashMap<>();
    private int unreadable;
    private int superseded;

    /** The records in {@code text} (a file's content), compacted. */
    static JsonlRecords parse(String text) {
        JsonlRecords records = new JsonlRecords();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String stripped = line.strip();
            Map<String, Object> o = JsonlLog.parseObject(stripped);
            if (o == null) {
                records.unreadable++;
            } else {
                records.add(stripped, o);
            }
        }
        return records;
    }

    /**
     * Adds {@code record}, written as {@code line}; returns whether the image already had a record (one of the two is
     * then dropped: the file needs compacting to hold one record per image).
     */
    boolean add(String line, Map<String, Object> record) {
        Path image = record.get("path") instanceof String p ? ImageFinder.key(Path.of(p)) : null;
        boolean captioned = !record.containsKey("error") && record.get("caption") instanceof String;
        Line added = new Line(line, image, captioned);
        Integer place = image == null ? null : placeOf.get(image);
        if (place == null) {
            if (image != null) {
                placeOf.put(image, lines.size());
            }
            lines.add(added);
            return false;
        }
        superseded++;
        if (captioned || !lines.get(place).captioned()) {
            lines.set(place, added);
        }
        return true;
    }

    /** Whether {@code image} has a caption (its errors do not count: a failed image is tried again). */
    boolean isCaptioned(Path image) {
        Integer place = placeOf.get(ImageFinder.key(image));
        return place != null && lines.get(place).captioned();
    }

    /** Lines dropped because they were not one JSON object. */
    int unreadable() {
        return unreadable;
    }

    /** Records dropped because the image had another record that counts more. */
    int superseded() {
        return superseded;
    }

    /** The compacted file: the kept lines, each ended by a newline. */
    byte[] bytes() {
        StringBuilder b = new StringBuilder();
        for (Line l : lines) {
            b.append(l.text()).append('\n');
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }
}
