package dev.lfm2vl.spark;

import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.runtime.Lfm2Model;
import dev.lfm2vl.runtime.Lfm2Vl;
import dev.lfm2vl.runtime.VisionModel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import org.apache.spark.SparkFiles;

/**
 * The model pairs of one JVM (an executor, or the driver in local mode): each loaded once, on first use, and shared
 * by every task of the JVM that asks for the same {@link CaptionSettings.ModelKey}. Tasks take turns on a pair
 * ({@link Lfm2Vl} answers one request at a time; images are read and pre-processed outside that turn) while the
 * pair's own thread pool uses the task's cores, so one executor holds one model in memory, memory-mapped from the
 * worker's local file. Pairs stay loaded for the JVM's life (an executor serves one application).
 */
final class ExecutorModels {
    /** A loaded pair and how the output names it: file name and the first 12 hex digits of its sha256. */
    record Loaded(Lfm2Vl vlm, String label) {}

    private static final Map<CaptionSettings.ModelKey, Loaded> LOADED = new HashMap<>();

    private ExecutorModels() {}

    /** The pair for {@code key}, loading it (and hashing the text model) the first time. */
    static synchronized Loaded get(CaptionSettings.ModelKey key) throws IOException {
        Loaded loaded = LOADED.get(key);
        if (loaded == null) {
            loaded = load(key);
            LOADED.put(key, loaded);
        }
        return loaded;
    }

    private static Loaded load(CaptionSettings.ModelKey key) throws IOException {
        Path model = local(key.model());
        Path mmproj = local(key.mmproj());
        Parallel pool = Parallel.create(key.threads());
        Lfm2Model text = null;
        VisionModel vision = null;
        try {
            text = Lfm2Model.load(model, pool);
            vision = VisionModel.load(mmproj, pool).withProjectorGelu(key.projectorGelu());
            Lfm2Vl vlm = Lfm2Vl.of(text, vision, CaptionSettings.apiOptions(key));
            return new Loaded(vlm, model.getFileName() + "@" + sha256Prefix(model));
        } catch (IOException | RuntimeException e) {
            if (vision != null) {
                vision.close();
            }
            if (text != null) {
                text.close();
            }
            pool.close();
            throw e;
        }
    }

    /**
     * Where a model file is on this machine: the path as given when it exists here (the same path on every node),
     * else the copy {@code spark-submit --files} put in this executor's work folder under the same file name.
     */
    static Path local(String path) throws NoSuchFileException {
        Path p = Path.of(path);
        if (Files.isRegularFile(p)) {
            return p;
        }
        String shipped = shippedCopy(p.getFileName().toString());
        if (shipped != null && Files.isRegularFile(Path.of(shipped))) {
            return Path.of(shipped);
        }
        throw new NoSuchFileException(path, null, "not on this machine, and not shipped with --files");
    }

    private static String shippedCopy(String name) {
        try {
            return SparkFiles.get(name);
        } catch (RuntimeException e) { // no SparkContext or SparkEnv in this JVM
            return null;
        }
    }

    /** The first 12 hex digits of the file's SHA-256 (read once per JVM; it also warms the page cache the mapping reads). */
    static String sha256Prefix(Path file) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JDK has SHA-256
        }
        byte[] buffer = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                sha.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest()).substring(0, 12);
    }
}
