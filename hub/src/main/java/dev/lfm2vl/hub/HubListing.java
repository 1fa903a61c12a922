package dev.lfm2vl.hub;


import dev.lfm2vl.loader.json.Json;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The top-level files of a hub repository, as listed by {@code GET /api/models/{repo}/tree/main}: a JSON array of
 * objects with {@code type} ("file" or "directory"), {@code path}, {@code size} and, for LFS files, an {@code lfs}
 * object with {@code oid} (the SHA-256 in hex) and {@code size}. Directories and files inside folders are ignored
 * (the listing is not recursive, and GGUF repositories keep their files at the top).
 *
 * @param files the files in listing order
 */
public record HubListing(List<HubFile> files) {

    public HubListing {
        files = List.copyOf(files);
    }

    /**
     * Parses one page of the hub's tree listing (or the cached copy written by {@link #toJson()}).
     *
     * @throws IllegalArgumentException if the text is not such a JSON array
     */
    public static HubListing parse(String json) {
        Object root = Json.parse(json); // a JsonException is an IllegalArgumentException
        if (!(root instanceof List<?> items)) {
            throw new IllegalArgumentException("expected a JSON array of files");
        }
        List<HubFile> files = new ArrayList<>();
        for (Object item : items) {
            if (!(item instanceof Map<?, ?> m)) {
                throw new IllegalArgumentException("expected objects in the file array");
            }
            Object type = m.get("type") == Json.NULL ? null : m.get("type");
            Object path = m.get("path");
            if ((type != null && !"file".equals(type)) || !(path instanceof String p) || p.indexOf('/') >= 0) {
                continue;
            }
            long size = asLong(m.get("size"));
            String sha = null;
            if (m.get("lfs") instanceof Map<?, ?> lfs) {
                long lfsSize = asLong(lfs.get("size"));
                if (lfsSize >= 0) {
                    size = lfsSize;
                }
                if (lfs.get("oid") instanceof String oid) {
                    sha = oid.startsWith("sha256:") ? oid.substring(7) : oid;
                }
            }
            if (size < 0 || !HubFile.validName(p)) {
                continue;
            }
            try {
                files.add(new HubFile(p, size, sha));
            } catch (HubException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
        }
        return new HubListing(files);
    }

    /** This listing in the hub's own format (so {@link #parse} reads it back). */
    public String toJson() {
        StringBuilder b = new StringBuilder("[");
        for (int k = 0; k < files.size(); k++) {
            HubFile f = files.get(k);
            b.append(k == 0 ? "\n" : ",\n");
            b.append("{\"type\":\"file\",\"path\":").append(Json.quote(f.name())).append(",\"size\":").append(f.size());
            if (f.sha256() != null) {
                b.append(",\"lfs\":{\"oid\":").append(Json.quote(f.sha256())).append(",\"size\":").append(f.size())
                        .append('}');
            }
            b.append('}');
        }
        return b.append("\n]\n").toString();
    }

    /** The file of that exact name, if listed. */
    public Optional<HubFile> file(String name) {
        return files.stream().filter(f -> f.name().equals(name)).findFirst();
    }

    /** This listing followed by the files of {@code next} (for paginated listings). */
    HubListing concat(HubListing next) {
        List<HubFile> all = new ArrayList<>(files);
        all.addAll(next.files);
        return new HubListing(all);
    }

    /** A whole non-negative number that fits a long, else -1. */
    private static long asLong(Object o) {
        if (o instanceof BigDecimal d && d.signum() >= 0) {
            try {
                return d.longValueExact();
            } catch (ArithmeticException e) {
                return -1;
            }
        }
        return -1;
    }
}
