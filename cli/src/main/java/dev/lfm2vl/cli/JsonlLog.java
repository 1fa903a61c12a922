package dev.lfm2vl.cli;

import dev.lfm2vl.loader.json.Json;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;

/**
 * The {@code caption --jsonl} results file: one JSON object per line, one line per image. Opening it reads the lines
 * already there ({@link JsonlRecords}) to learn which images were captioned (records with an {@code error} do not
 * count, so those images are tried again) and, when the file is not already compact (the truncated last line of a
 * killed run, or several records of one image from reruns), rewrites it compacted. Each {@link #append} is one write
 * followed by an fsync, so a finished result survives a crash; an append that gives an image a second record (a
 * retried image) marks the file for compacting again on {@link #close}. Every rewrite goes through a temporary file
 * beside it and an atomic rename ({@link AtomicFiles}), so a kill at any moment leaves either the old file or the
 * new one, never a half-written one, and never loses a finished caption.
 */
final class JsonlLog implements Closeable {
    private final Path file;
    private FileChannel channel;
    private FileLock lock;
    private final JsonlRecords records;
    /** Whether the file holds more than one record of some image (appended this run). */
    private boolean needsCompacting;

    private JsonlLog(Path file, FileChannel channel, FileLock lock, JsonlRecords records) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
        this.records = records;
    }

    /** Opens (creating it if needed) {@code file} for appending, after reading what it holds and compacting it. */
    static JsonlLog open(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw new UserError(dir + ": no such folder (for --jsonl)");
        }
        if (Files.isDirectory(file)) {
            throw new UserError(file + ": is a folder (--jsonl needs a file)");
        }
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        JsonlLog log = null;
        try {
            FileLock lock = tryLock(channel);
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
            JsonlRecords records = JsonlRecords.parse(new String(bytes, StandardCharsets.UTF_8));
            log = new JsonlLog(file, channel, lock, records);
            if (!Arrays.equals(records.bytes(), bytes)) {
                log.rewrite();
            }
            log.channel.position(log.channel.size());
            return log;
        } catch (IOException | RuntimeException e) {
            if (log != null) {
                log.channel.close(); // the channel of the rewritten file, if the rewrite got that far
            }
            channel.close();
            throw e;
        }
    }

    /**
     * Replaces the file with the compacted records (temporary file + atomic rename), then appends to the new file,
     * locked before the old one's lock is let go. Through a link, the link's target is replaced.
     */
    private void rewrite() throws IOException {
        Path target = file.toRealPath();
        AtomicFiles.write(target, records.bytes());
        FileChannel fresh = FileChannel.open(target, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock freshLock;
        try {
            freshLock = tryLock(fresh);
        } catch (IOException | RuntimeException e) {
            fresh.close();
            throw e;
        }
        if (freshLock == null) { // another run opened the new file in the moment between the rename and this lock
            fresh.close();
            throw new UserError(file + ": in use by another caption run");
        }
        FileChannel old = channel;
        channel = fresh;
        lock = freshLock;
        old.close(); // releases the old file's lock
        needsCompacting = false;
    }

    /** The file's lock, or null when another run holds it (in this JVM too: the JDK throws for that case). */
    private static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException e) {
            return null;
        }
    }

    Path file() {
        return file;
    }

    /** Whether {@code image} already has a caption in the file. */
    boolean isDone(Path image) {
        return records.isCaptioned(image);
    }

    /** Lines dropped when the file was opened because they were not JSON objects (a line cut short by a kill). */
    int droppedLines() {
        return records.unreadable();
    }

    /** Records dropped when the file was opened because their image had another record that counts more. */
    int supersededRecords() {
        return records.superseded();
    }

    /** Appends one record as a line, in one write, and forces it to disk. */
    void append(Map<String, Object> record) throws IOException {
        String line = line(record);
        write(channel, (line + "\n").getBytes(StandardCharsets.UTF_8));
        channel.force(false);
        needsCompacting |= records.add(line, record);
    }

    private static void write(FileChannel channel, byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    /** Compacts the file if this run gave an image a second record, then lets it go. */
    @Override
    public void close() throws IOException {
        try {
            if (needsCompacting) {
                rewrite();
            }
        } finally {
            try {
                lock.release();
            } finally {
                channel.close();
            }
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
