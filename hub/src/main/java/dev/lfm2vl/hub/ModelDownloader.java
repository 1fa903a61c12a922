package dev.lfm2vl.hub;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Resolves a {@link HubModelRef} to local files, downloading what the cache lacks.
 *
 * <p>Online: if the saved listing ({@code .listing.json}) already names complete cached files for the quant, they
 * are used without any network access. Otherwise the listing is fetched (and saved), the files are chosen with
 * {@link GgufSelector}, and the missing ones are downloaded. Offline: only the cache is used — the saved listing,
 * or, without one, the complete files present in the repository folder; nothing missing can be fetched.
 *
 * <p>A download goes to {@code <file>.part} (locked against a concurrent download of the same file by another
 * process), resumes an existing part with {@code Range: bytes=N-} (re-hashing it first), restarts from zero when the
 * server answers 200 instead of 206, hashes SHA-256 while writing, and retries a dropped connection, a 5xx or 429
 * with resume up to {@code maxRetries} times in a row without progress (exponential backoff). A complete part whose
 * size or SHA-256 differs from the listing is deleted. Only then is it renamed to the final name with
 * {@code ATOMIC_MOVE}, so a file under its final name is always complete and verified. Complete cached files are
 * trusted (not re-hashed) on later runs.
 */
public final class ModelDownloader implements AutoCloseable {

    public static final int DEFAULT_MAX_RETRIES = 3;
    public static final Duration DEFAULT_BACKOFF = Duration.ofSeconds(1);

    private static final int BUFFER = 1 << 20;
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)");

    private final HubClient client;
    private final ModelCache cache;
    private final int maxRetries;
    private final Duration backoff;
    private final Duration stallTimeout;

    /**
     * @param maxRetries   how many times in a row a download may fail without receiving new bytes before giving up
     * @param backoff      the first retry delay, doubled on each further consecutive failure
     * @param stallTimeout how long a download may receive nothing before it is abandoned and resumed (the JDK
     *                     client has no read timeout of its own)
     */
    public ModelDownloader(HubClient client, ModelCache cache, int maxRetries, Duration backoff,
            Duration stallTimeout) {
        if (maxRetries < 0) {
            throw new IllegalArgumentException("maxRetries must be >= 0");
        }
        this.client = client;
        this.cache = cache;
        this.maxRetries = maxRetries;
        this.backoff = backoff;
        this.stallTimeout = stallTimeout;
    }

    /** A downloader whose stall timeout is the client's request timeout. */
    public ModelDownloader(HubClient client, ModelCache cache, int maxRetries, Duration backoff) {
        this(client, cache, maxRetries, backoff, client.requestTimeout());
    }

    public ModelDownloader(HubClient client, ModelCache cache) {
        this(client, cache, DEFAULT_MAX_RETRIES, DEFAULT_BACKOFF);
    }

    /**
     * The downloader configured from the environment: {@code HF_ENDPOINT}, {@code HF_TOKEN} (see
     * {@link HubClient#fromEnvironment(Map)}) and {@code LFM2VL_CACHE} / {@code XDG_CACHE_HOME} (see
     * {@link ModelCache#fromEnvironment(Map)}).
     */
    public static ModelDownloader fromEnvironment(Map<String, String> env) {
        return new ModelDownloader(HubClient.fromEnvironment(env), ModelCache.fromEnvironment(env));
    }

    /** {@link #fromEnvironment(Map)} with {@link System#getenv()}. */
    public static ModelDownloader fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    public HubClient client() {
        return client;
    }

    public ModelCache cache() {
        return cache;
    }

    /**
     * Resolves the model and its mmproj to complete local files.
     *
     * @param offline  never touch the network: resolve from the cache alone
     * @param progress download progress (null for none)
     * @throws HubException with a one-line message on any failure
     */
    public ResolvedModel resolve(HubModelRef ref, boolean offline, DownloadProgress progress) {
        DownloadProgress p = progress == null ? DownloadProgress.NONE : progress;
        String repo = ref.repo();
        HubListing saved = cache.readListing(repo);
        if (offline) {
            return resolveOffline(ref, saved);
        }
        if (saved != null) {
            try {
                GgufSelector.Selection s = GgufSelector.select(saved, ref, repo);
                if (cache.isComplete(repo, s.model()) && (s.mmproj() == null || cache.isComplete(repo, s.mmproj()))) {
                    return paths(repo, s);
                }
            } catch (HubException e) {
                // the saved listing does not answer: ask the hub
            }
        }
        try {
            HubListing listing = client.listFiles(repo);
            cache.writeListing(repo, listing);
            GgufSelector.Selection s = GgufSelector.select(listing, ref, repo);
            Path model = fetch(repo, s.model(), p);
            Path mmproj = s.mmproj() == null ? null : fetch(repo, s.mmproj(), p);
            return new ResolvedModel(model, mmproj);
        } catch (HubException e) {
            if (e.kind() != HubException.Kind.UNREACHABLE) {
                throw e;
            }
            boolean cached = saved != null || !cache.listCachedFiles(repo).files().isEmpty();
            throw new HubException(HubException.Kind.UNREACHABLE, e.getMessage() + "; "
                    + (cached ? "--offline runs from the files cached in " + cache.repoDir(repo) + ", or "
                            : "")
                    + withoutNetwork(ref), e);
        }
    }

    /**
     * What to do when this machine cannot download: --offline only reuses an earlier download, so the advice
     * names the files to fetch elsewhere and the options that take them.
     */
    private String withoutNetwork(HubModelRef ref) {
        return "download the " + ref.quant() + " GGUF of " + ref.repo() + " and its mmproj GGUF on a machine with a"
                + " network (" + client.endpoint() + "/" + ref.repo() + ") and pass them with -m FILE --mmproj FILE";
    }

    private ResolvedModel resolveOffline(HubModelRef ref, HubListing saved) {
        String repo = ref.repo();
        HubListing listing = saved != null ? saved : cache.listCachedFiles(repo);
        if (listing.files().isEmpty()) {
            throw new HubException("no cached copy of " + repo + " in " + cache.repoDir(repo)
                    + " (--offline only reuses an earlier download); run once without --offline, or "
                    + withoutNetwork(ref));
        }
        GgufSelector.Selection s = GgufSelector.select(listing, ref, "the cached copy of " + repo);
        requireCached(repo, s.model());
        if (s.mmproj() != null) {
            requireCached(repo, s.mmproj());
        }
        return paths(repo, s);
    }

    private void requireCached(String repo, HubFile f) {
        Path path = cache.file(repo, f.name());
        if (!Files.isRegularFile(path)) {
            throw new HubException(f.name() + " of " + repo + " is not in the cache (" + path
                    + "); run without --offline to download it");
        }
        if (!cache.isComplete(repo, f)) {
            throw new HubException("cached " + path + " does not have the listed size of " + f.size()
                    + " bytes; run without --offline to download it again");
        }
    }

    private ResolvedModel paths(String repo, GgufSelector.Selection s) {
        return new ResolvedModel(cache.file(repo, s.model().name()),
                s.mmproj() == null ? null : cache.file(repo, s.mmproj().name()));
    }

    /**
     * Makes {@code file} of {@code repo} complete in the cache (downloading or resuming it unless it is already
     * complete) and returns its final path.
     */
    public Path fetch(String repo, HubFile file, DownloadProgress progress) {
        DownloadProgress p = progress == null ? DownloadProgress.NONE : progress;
        Path target = cache.file(repo, file.name());
        if (cache.isComplete(repo, file)) {
            return target;
        }
        Path part = cache.partFile(repo, file.name());
        try {
            Files.createDirectories(target.getParent());
        } catch (IOException e) {
            throw new HubException("cannot create the cache folder " + target.getParent() + " (" + e.getMessage()
                    + ")", e);
        }
        try (FileChannel ch = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            FileLock lock = tryLock(ch);
            if (lock == null) {
                throw new HubException("another download of " + file.name() + " is in progress (" + part + ")");
            }
            try (lock) {
                download(repo, file, ch, part, p);
            } catch (RuntimeException | IOException e) {
                if (ch.isOpen() && ch.size() == 0) {
                    Files.deleteIfExists(part); // nothing received: leave no empty part behind
                }
                throw e;
            }
        } catch (IOException e) {
            throw new HubException("cannot write " + part + " (" + e.getMessage() + ")", e);
        }
        try {
            ModelCache.moveAtomically(part, target);
        } catch (IOException e) {
            throw new HubException("cannot move " + part + " to " + target + " (" + e.getMessage() + ")", e);
        }
        p.finished(file.name());
        return target;
    }

    /** Fills the locked part channel with the verified content of {@code file}. */
    private void download(String repo, HubFile file, FileChannel ch, Path part, DownloadProgress p)
            throws IOException {
        Part state = new Part(ch, part, file.sha256() != null ? sha256() : null);
        URI uri = client.fileUri(repo, file.name());
        int failures = 0;
        long best = ch.size();
        boolean ignoreRange = false;
        IOException last = null;
        while (true) {
            long have = state.sync(file.size());
            if (have == file.size()) {
                break;
            }
            p.update(file.name(), have, file.size());
            try {
                transfer(uri, file, state, ignoreRange ? 0 : have, p);
                continue;
            } catch (RangeRefused e) {
                ignoreRange = true;
                last = e;
            } catch (IOException e) {
                last = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HubException("interrupted while downloading " + file.name()
                        + "; run again to resume from " + part, e);
            }
            long now = ch.size();
            if (now > best) {
                best = now;
                failures = 0;
            }
            failures++;
            if (failures > maxRetries) {
                if (best == 0 && last instanceof ConnectException) {
                    throw client.unreachable(last);
                }
                throw new HubException("download of " + file.name() + " from " + client.endpoint() + " failed after "
                        + failures + (failures == 1 ? " attempt (" : " attempts (") + HubClient.describe(last)
                        + (now > 0 ? "); the partial download is kept in " + part + ", run again to resume"
                                : "); run again to retry"), last);
            }
            sleep(backoff.multipliedBy(1L << Math.min(failures - 1, 10)), file);
        }
        ch.force(false);
        if (state.digest != null) {
            String got = HexFormat.of().formatHex(state.digest.digest());
            if (!got.equals(file.sha256())) {
                deletePart(ch, part);
                throw new HubException("sha256 mismatch for " + file.name() + " (expected " + file.sha256()
                        + ", got " + got + "); deleted the download, run again to retry");
            }
        }
    }

    /**
     * One request: appends to the part from {@code from}. Returns normally when the body ended with the file
     * complete; throws on anything else.
     */
    private void transfer(URI uri, HubFile file, Part state, long from, DownloadProgress p)
            throws IOException, InterruptedException {
        HttpResponse<InputStream> r = client.get(uri, from > 0 ? "bytes=" + from + "-" : null);
        try (InputStream in = r.body(); Watchdog dog = new Watchdog(in, stallTimeout)) {
            int s = r.statusCode();
            long pos;
            if (s == 206 && from > 0) {
                Matcher m = CONTENT_RANGE.matcher(r.headers().firstValue("Content-Range").orElse(""));
                if (m.matches() && Long.parseLong(m.group(1)) != from) {
                    throw new RangeRefused("the server resumed at byte " + m.group(1) + " instead of " + from);
                }
                if (m.matches() && !m.group(3).equals("*") && Long.parseLong(m.group(3)) != file.size()) {
                    throw sizeMismatch(file, state, "the server has " + m.group(3) + " bytes");
                }
                pos = from;
            } else if (s == 200 || (s == 206 && from == 0)) {
                pos = 0;
                state.ch.truncate(0);
                state.restart();
            } else if (s == 416 && from > 0) {
                throw new RangeRefused("the server refused to resume at byte " + from + " (HTTP 416)");
            } else if (s == 429 || s >= 500) {
                throw new Retryable("HTTP " + s);
            } else if (s == 404) {
                throw new HubException(file.name() + " not found in the repository on " + client.endpoint()
                        + " (HTTP 404)");
            } else if (s == 401 || s == 403) {
                throw new HubException("access to " + file.name() + " on " + client.endpoint() + " denied (HTTP "
                        + s + ")" + (client.hasToken() ? "; check HF_TOKEN" : "; set HF_TOKEN"));
            } else {
                throw new HubException("download of " + file.name() + " failed (HTTP " + s + ")");
            }
            byte[] buf = new byte[BUFFER];
            ByteBuffer bb = ByteBuffer.wrap(buf);
            long lastReport = System.nanoTime();
            while (true) {
                int n;
                try {
                    n = in.read(buf);
                } catch (IOException e) {
                    throw dog.fired() ? new IOException("no data for " + dog.timeoutText(), e) : e;
                }
                if (n < 0) {
                    if (dog.fired()) {
                        throw new IOException("no data for " + dog.timeoutText());
                    }
                    break;
                }
                dog.fed();
                if (pos + n > file.size()) {
                    throw sizeMismatch(file, state, "the server sent more than the listed " + file.size() + " bytes");
                }
                bb.clear().limit(n);
                while (bb.hasRemaining()) {
                    pos += state.ch.write(bb, pos);
                }
                state.hashed(buf, n);
                long t = System.nanoTime();
                if (t - lastReport >= 50_000_000L || pos == file.size()) {
                    p.update(file.name(), pos, file.size());
                    lastReport = t;
                }
            }
            if (pos < file.size()) {
                throw new IOException("connection closed after " + pos + " of " + file.size() + " bytes");
            }
        }
    }

    private static HubException sizeMismatch(HubFile file, Part state, String what) throws IOException {
        deletePart(state.ch, state.path);
        state.restart();
        return new HubException("size mismatch for " + file.name() + " (" + what + ", the listing says "
                + file.size() + "); deleted the partial download");
    }

    private static FileLock tryLock(FileChannel ch) throws IOException {
        try {
            return ch.tryLock();
        } catch (OverlappingFileLockException e) {
            return null;
        }
    }

    private static void deletePart(FileChannel ch, Path part) throws IOException {
        ch.truncate(0);
        Files.deleteIfExists(part);
    }

    private void sleep(Duration d, HubFile file) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubException("interrupted while downloading " + file.name(), e);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        client.close();
    }

    /** The part file and the running hash of its first {@code hashed} bytes. */
    private static final class Part {
        final FileChannel ch;
        final Path path;
        final MessageDigest digest;
        long hashed;

        Part(FileChannel ch, Path path, MessageDigest digest) {
            this.ch = ch;
            this.path = path;
            this.digest = digest;
        }

        /** Brings the hash in line with the part's content; returns the part's length. */
        long sync(long expectedSize) throws IOException {
            long size = ch.size();
            if (size > expectedSize) {
                ch.truncate(0);
                size = 0;
            }
            if (hashed != size || size == 0) {
                restart();
                if (digest != null) {
                    ByteBuffer b = ByteBuffer.allocate(BUFFER);
                    long pos = 0;
                    while (pos < size) {
                        b.clear();
                        if (size - pos < b.capacity()) {
                            b.limit((int) (size - pos));
                        }
                        int n = ch.read(b, pos);
                        if (n < 0) {
                            break;
                        }
                        digest.update(b.array(), 0, n);
                        pos += n;
                    }
                    size = pos;
                }
                hashed = size;
            }
            return size;
        }

        void restart() throws IOException {
            if (digest != null) {
                digest.reset();
            }
            hashed = 0;
        }

        void hashed(byte[] b, int n) {
            if (digest != null) {
                digest.update(b, 0, n);
            }
            hashed += n;
        }
    }

    /**
     * Closes a response body that delivers no data for {@code timeout} (the JDK client has no read timeout, so a
     * stalled CDN would otherwise block forever); the blocked read then fails and the download is resumed.
     */
    private static final class Watchdog implements AutoCloseable {
        private final InputStream in;
        private final long timeoutNanos;
        private final Thread thread;
        private volatile long lastData = System.nanoTime();
        private volatile boolean fired;

        Watchdog(InputStream in, Duration timeout) {
            this.in = in;
            this.timeoutNanos = timeout.toNanos();
            long tick = Math.max(10, Math.min(1000, timeout.toMillis() / 4));
            this.thread = Thread.ofVirtual().name("lfm2vl-download-watchdog").start(() -> watch(tick));
        }

        private void watch(long tickMillis) {
            try {
                while (true) {
                    Thread.sleep(tickMillis);
                    if (System.nanoTime() - lastData > timeoutNanos) {
                        fired = true;
                        in.close();
                        return;
                    }
                }
            } catch (InterruptedException | IOException e) {
                // stopped, or the stream is closed anyway
            }
        }

        void fed() {
            lastData = System.nanoTime();
        }

        boolean fired() {
            return fired;
        }

        String timeoutText() {
            return Duration.ofNanos(timeoutNanos).toMillis() % 1000 == 0 ? timeoutNanos / 1_000_000_000L + " s"
                    : Duration.ofNanos(timeoutNanos).toMillis() + " ms";
        }

        @Override
        public void close() {
            thread.interrupt();
        }
    }

    /** A failure worth retrying (5xx, 429). */
    private static final class Retryable extends IOException {
        Retryable(String m) {
            super(m);
        }
    }

    /** The server did not resume where asked: retry without Range. */
    private static final class RangeRefused extends IOException {
        RangeRefused(String m) {
            super(m);
        }
    }
}
