package dev.lfm2vl.cli;

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

    /** {@code value} as compact JSON on one line (maps, lists, strings, numbers, booleans, null). */
    static String line(Object value) {
        StringBuilder b = new StringBuilder();
        line(b, value);
        return b.toString();
    }

    private static void line(StringBuilder b, Object v) {
        switch (v) {
            case null -> b.append("null");
            case String s -> quote(b, s);
            case Boolean x -> b.append(x);
            case Double d -> b.append(Double.isFinite(d) ? (d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString(d.longValue()) : d.toString()) : "null");
            case Float f -> line(b, f.doubleValue());
            case Number n -> b.append(n.longValue());
            case Map<?, ?> m -> {
                b.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    b.append(first ? "" : ",");
                    first = false;
                    quote(b, String.valueOf(e.getKey()));
                    b.append(':');
                    line(b, e.getValue());
                }
                b.append('}');
            }
            case java.util.List<?> l -> {
                b.append('[');
                for (int i = 0; i < l.size(); i++) {
                    b.append(i > 0 ? "," : "");
                    line(b, l.get(i));
                }
                b.append(']');
            }
            default -> quote(b, v.toString());
        }
    }

    private static void quote(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }

    // ---- a small strict JSON reader: null when the text is not exactly one JSON object ----

    static Map<String, Object> parseObject(String text) {
        try {
            Reader r = new Reader(text);
            Object v = r.value(0);
            r.skipSpace();
            return r.pos == text.length() && v instanceof Map<?, ?> ? castMap(v) : null;
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            return null;
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object v) {
        return (Map<String, Object>) v;
    }

    private static final class Reader {
        final String s;
        int pos;

        Reader(String s) {
            this.s = s;
        }

        void skipSpace() {
            while (pos < s.length() && " \t\r\n".indexOf(s.charAt(pos)) >= 0) {
                pos++;
            }
        }

        Object value(int depth) {
            if (depth > 64) {
                throw new IllegalArgumentException("too deep");
            }
            skipSpace();
            char c = s.charAt(pos);
            switch (c) {
                case '{' -> {
                    pos++;
                    Map<String, Object> m = new LinkedHashMap<>();
                    skipSpace();
                    if (s.charAt(pos) == '}') {
                        pos++;
                        return m;
                    }
                    while (true) {
                        skipSpace();
                        String key = string();
                        skipSpace();
                        expect(':');
                        m.put(key, value(depth + 1));
                        skipSpace();
                        if (s.charAt(pos) == ',') {
                            pos++;
                        } else {
                            expect('}');
                            return m;
                        }
                    }
                }
                case '[' -> {
                    pos++;
                    java.util.List<Object> l = new java.util.ArrayList<>();
                    skipSpace();
                    if (s.charAt(pos) == ']') {
                        pos++;
                        return l;
                    }
                    while (true) {
                        l.add(value(depth + 1));
                        skipSpace();
                        if (s.charAt(pos) == ',') {
                            pos++;
                        } else {
                            expect(']');
                            return l;
                        }
                    }
                }
                case '"' -> {
                    return string();
                }
                default -> {
                    if (s.startsWith("true", pos)) {
                        pos += 4;
                        return Boolean.TRUE;
                    } else if (s.startsWith("false", pos)) {
                        pos += 5;
                        return Boolean.FALSE;
                    } else if (s.startsWith("null", pos)) {
                        pos += 4;
                        return null;
                    }
                    int start = pos;
                    while (pos < s.length() && "+-0123456789.eE".indexOf(s.charAt(pos)) >= 0) {
                        pos++;
                    }
                    return Double.parseDouble(s.substring(start, pos)); // NumberFormatException is an IAE
                }
            }
        }

        void expect(char c) {
            if (s.charAt(pos) != c) {
                throw new IllegalArgumentException("expected " + c);
            }
            pos++;
        }

        String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                char c = s.charAt(pos++);
                if (c == '"') {
                    return b.toString();
                } else if (c == '\\') {
                    char e = s.charAt(pos++);
                    switch (e) {
                        case '"', '\\', '/' -> b.append(e);
                        case 'b' -> b.append('\b');
                        case 'f' -> b.append('\f');
                        case 'n' -> b.append('\n');
                        case 'r' -> b.append('\r');
                        case 't' -> b.append('\t');
                        case 'u' -> {
                            b.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
                            pos += 4;
                        }
                        default -> throw new IllegalArgumentException("bad escape");
                    }
                } else if (c < 0x20) {
                    throw new IllegalArgumentException("control character in string");
                } else {
                    b.append(c);
                }
            }
        }
    }
}
