package dev.lfm2vl.cli;

import dev.lfm2vl.runtime.Json;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The {@code caption --jsonl} results file: one JSON object per line, only ever appended to. Opening it reads the
 * lines already there, leniently (lines that do not parse, such as the truncated last line of a killed run, are
 * ignored), to learn which images were captioned; lines with an {@code error} do not count, so those images are
 * tried again. Each {@link #append} is one write, followed by an fsync, so a finished result survives a crash.
 */
final class JsonlLog implements Closeable {
    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private final Set<Path> done;
    private final int ignoredLines;

    private JsonlLog(Path file, FileChannel channel, FileLock lock, Set<Path> done, int ignoredLines) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
        this.done = done;
        this.ignoredLines = ignoredLines;
    }

    /** Opens (creating it if needed) {@code file} for appending, after reading what it already holds. */
    static JsonlLog open(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw new UserError(dir + ": no such folder (for --jsonl)");
        }
        if (Files.isDirectory(file)) {
            throw new UserError(file + ": is a folder (--jsonl needs a file)");
        }
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                throw new UserError(file + ": in use by another caption run");
            }
            long size = channel.size();
            if (size > Integer.MAX_VALUE - 16) {
                throw new UserError(file + ": too large to resume from (" + size + " bytes)");
            }
            ByteBuffer buf = ByteBuffer.allocate((int) size);
            while (buf.hasRemaining() && channel.read(buf, buf.position()) >= 0) {
                // read it all
            }
            byte[] bytes = buf.array();
            Set<Path> done = new HashSet<>();
            int ignored = 0;
            for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank()) {
                    continue;
                }
                Map<String, Object> o = parseObject(line.strip());
                if (o == null) {
                    ignored++;
                } else if (o.get("path") instanceof String p && !o.containsKey("error") && o.get("caption") instanceof String) {
                    done.add(ImageFinder.key(Path.of(p)));
                }
            }
            channel.position(channel.size());
            if (bytes.length > 0 && bytes[bytes.length - 1] != '\n') {
                // a line cut short by a killed run: the next record starts on a line of its own
                write(channel, new byte[] {'\n'});
            }
            return new JsonlLog(file, channel, lock, done, ignored);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    Path file() {
        return file;
    }

    /** Whether {@code image} already has a caption in the file. */
    boolean isDone(Path image) {
        return done.contains(ImageFinder.key(image));
    }

    /** Lines of the file that were not JSON objects and were ignored. */
    int ignoredLines() {
        return ignoredLines;
    }

    /** Appends one record as a line, in one write, and forces it to disk. */
    void append(Map<String, Object> record) throws IOException {
        write(channel, (line(record) + "\n").getBytes(StandardCharsets.UTF_8));
        channel.force(false);
        if (record.get("path") instanceof String p && !record.containsKey("error")) {
            done.add(ImageFinder.key(Path.of(p)));
        }
    }

    private static void write(FileChannel channel, byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }

    /** {@code value} as compact JSON on one line. */
    static String line(Object value) {
        return JsonWriter.write(value, false);
    }

    /** The object on a line, or null when the line is not exactly one JSON object (e.g. cut short by a killed run). */
    @SuppressWarnings("unchecked")
    static Map<String, Object> parseObject(String text) {
        try {
            return Json.parse(text) instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            return null;
        }
    }
}
