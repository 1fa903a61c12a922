package dev.lfm2vl.hub;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The local model cache. Layout: {@code <root>/<owner>/<name>/<file>} for complete files,
 * {@code <file>.part} beside it while downloading, and {@code .listing.json} (the repository listing saved at the
 * last online resolution, in the hub's format). Only complete, verified files ever carry their final name.
 */
public final class ModelCache {

    static final String LISTING = ".listing.json";
    static final String PART_SUFFIX = ".part";

    private final Path root;

    public ModelCache(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /**
     * The cache root from the environment: {@code $LFM2VL_CACHE} if set, else {@code $XDG_CACHE_HOME/lfm2vl} (when
     * absolute), else {@code ~/.cache/lfm2vl} ({@code ~} being the {@code user.home} system property).
     */
    public static ModelCache fromEnvironment(Map<String, String> env) {
        String own = env.get("LFM2VL_CACHE");
        if (own != null && !own.isBlank()) {
            return new ModelCache(Path.of(own));
        }
        String xdg = env.get("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
            return new ModelCache(Path.of(xdg, "lfm2vl"));
        }
        return new ModelCache(Path.of(System.getProperty("user.home"), ".cache", "lfm2vl"));
    }

    /** {@link #fromEnvironment(Map)} with {@link System#getenv()}. */
    public static ModelCache fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    public Path root() {
        return root;
    }

    /** {@code <root>/<owner>/<name>}. */
    public Path repoDir(String repo) {
        if (!HubModelRef.validRepo(repo)) {
            throw new HubException("invalid repository '" + repo + "'");
        }
        int slash = repo.indexOf('/');
        return root.resolve(repo.substring(0, slash)).resolve(repo.substring(slash + 1));
    }

    /** Where the complete file lives. */
    public Path file(String repo, String fileName) {
        if (!HubFile.validName(fileName)) {
            throw new HubException("invalid file name '" + fileName + "'");
        }
        return repoDir(repo).resolve(fileName);
    }

    /** Where the file is downloaded to before its atomic rename. */
    public Path partFile(String repo, String fileName) {
        return file(repo, fileName).resolveSibling(fileName + PART_SUFFIX);
    }

    /** The listing saved at the last online resolution. */
    public Path listingFile(String repo) {
        return repoDir(repo).resolve(LISTING);
    }

    /** The saved listing, or null if there is none or it cannot be read. */
    public HubListing readListing(String repo) {
        Path p = listingFile(repo);
        if (!Files.isRegularFile(p)) {
            return null;
        }
        try {
            return HubListing.parse(Files.readString(p, StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Saves the listing atomically (a temporary file renamed over the old one). */
    public void writeListing(String repo, HubListing listing) {
        Path p = listingFile(repo);
        Path tmp = p.resolveSibling(LISTING + ".tmp");
        try {
            Files.createDirectories(p.getParent());
            Files.writeString(tmp, listing.toJson(), StandardCharsets.UTF_8);
            moveAtomically(tmp, p);
        } catch (IOException e) {
            throw new HubException("cannot write " + p + " (" + e.getMessage() + ")", e);
        }
    }

    /**
     * A listing made of the complete files in the repository folder (no hashes), for offline use when no listing
     * was saved; empty if the folder does not exist.
     */
    public HubListing listCachedFiles(String repo) {
        Path dir = repoDir(repo);
        List<HubFile> files = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
                for (Path p : ds) {
                    String n = p.getFileName().toString();
                    if (HubFile.validName(n) && !n.startsWith(".") && Files.isRegularFile(p)) {
                        files.add(new HubFile(n, Files.size(p), null));
                    }
                }
            } catch (IOException e) {
                throw new HubException("cannot read the cache folder " + dir + " (" + e.getMessage() + ")", e);
            }
        }
        files.sort((a, b) -> a.name().compareTo(b.name()));
        return new HubListing(files);
    }

    /** Whether the complete file is present with the listed size. */
    public boolean isComplete(String repo, HubFile f) {
        Path p = file(repo, f.name());
        try {
            return Files.isRegularFile(p) && Files.size(p) == f.size();
        } catch (IOException e) {
            return false;
        }
    }

    static void moveAtomically(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the file system of " + to.getParent() + " cannot rename atomically", e);
        }
    }

    @Override
    public String toString() {
        return root.toString();
    }
}
