package dev.lfm2vl.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** End-to-end behaviour of {@link ModelDownloader} against a local fake hub (127.0.0.1 only). */
@Timeout(20)
class HubDownloadTest {

    private static final String REPO = FakeHub.REPO;

    @TempDir
    Path tmp;

    private FakeHub hub;
    private ModelCache cache;
    private final List<ModelDownloader> downloaders = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        hub = new FakeHub();
        cache = new ModelCache(tmp.resolve("cache"));
    }

    @AfterEach
    void stop() {
        downloaders.forEach(ModelDownloader::close);
        hub.close();
    }

    private ModelDownloader downloader(String endpoint, String token, int retries) {
        HubClient client = new HubClient(endpoint, token, Duration.ofSeconds(2), Duration.ofSeconds(5));
        ModelDownloader d = new ModelDownloader(client, cache, retries, Duration.ofMillis(5));
        downloaders.add(d);
        return d;
    }

    private ModelDownloader downloader() {
        return downloader(hub.endpoint(), null, 3);
    }

    private void assertSameAsServed(Path p) throws IOException {
        assertArrayEquals(hub.files.get(p.getFileName().toString()), Files.readAllBytes(p), p.toString());
    }

    @Test
    void q4_0PicksTheQ4_0TextFileAndTheF16MmprojAndDownloadsBoth() throws IOException {
        ResolvedModel m = downloader().resolve(HubModelRef.parse(REPO + ":Q4_0"), false, null);
        assertEquals(cache.file(REPO, "LFM2-VL-3B-Q4_0.gguf"), m.model());
        assertEquals(cache.file(REPO, "mmproj-LFM2-VL-3B-F16.gguf"), m.mmproj());
        assertSameAsServed(m.model());
        assertSameAsServed(m.mmproj());
        assertEquals(tmp.resolve("cache/LiquidAI/LFM2-VL-3B-GGUF/LFM2-VL-3B-Q4_0.gguf"), m.model());
        assertTrue(Files.isRegularFile(cache.listingFile(REPO)), "the listing is saved for offline use");
        assertFalse(Files.exists(cache.partFile(REPO, "LFM2-VL-3B-Q4_0.gguf")));
    }

    @Test
    void q8_0PicksTheQ8_0TextFileAndTheQ8_0Mmproj() throws IOException {
        ResolvedModel m = downloader().resolve(HubModelRef.parse(REPO + ":q8_0"), false, null);
        assertEquals("LFM2-VL-3B-Q8_0.gguf", m.model().getFileName().toString());
        assertEquals("mmproj-LFM2-VL-3B-Q8_0.gguf", m.mmproj().getFileName().toString());
        assertSameAsServed(m.model());
        assertSameAsServed(m.mmproj());
    }

    @Test
    void missingQuantListsTheAvailableQuants() {
        HubException e = assertThrows(HubException.class,
                () -> downloader().resolve(HubModelRef.parse(REPO + ":Q5_K"), false, null));
        assertEquals("quant Q5_K not found in " + REPO + "; available quants: F16, Q4_0, Q8_0", e.getMessage());
    }

    @Test
    void unknownRepositoryIsReportedAsNotFoundOnTheEndpoint() {
        HubException e = assertThrows(HubException.class,
                () -> downloader().resolve(HubModelRef.parse("nobody/nothing-GGUF"), false, null));
        assertEquals("repository nobody/nothing-GGUF not found on " + hub.endpoint(), e.getMessage());
    }

    @Test
    void unauthorisedRepositoryWithoutATokenSuggestsHfToken() {
        HubException e = assertThrows(HubException.class,
                () -> downloader().resolve(HubModelRef.parse("private/repo"), false, null));
        assertEquals("repository private/repo not found on " + hub.endpoint()
                + " (HTTP 401: it may be private or gated; set HF_TOKEN)", e.getMessage());
    }

    @Test
    void listedFileMissingOnTheServerIsAClearErrorAndLeavesNothing() {
        HubFile ghost = new HubFile("ghost-Q4_0.gguf", 100, null);
        HubException e = assertThrows(HubException.class, () -> downloader().fetch(REPO, ghost, null));
        assertEquals("ghost-Q4_0.gguf not found in the repository on " + hub.endpoint() + " (HTTP 404)",
                e.getMessage());
        assertFalse(Files.exists(cache.partFile(REPO, "ghost-Q4_0.gguf")));
    }

    @Test
    void droppedConnectionIsResumedWithARangeRequestToAByteIdenticalFile() throws IOException {
        hub.dropFirst = true;
        ResolvedModel m = downloader().resolve(HubModelRef.parse(REPO), false, null);
        assertSameAsServed(m.model());
        assertSameAsServed(m.mmproj());
        assertTrue(hub.ranges.contains("LFM2-VL-3B-Q4_0.gguf bytes=3000-"), hub.ranges.toString());
        assertTrue(hub.ranges.contains("mmproj-LFM2-VL-3B-F16.gguf bytes=2000-"), hub.ranges.toString());
    }

    @Test
    void partialFileFromAnEarlierRunIsRehashedAndResumed() throws IOException {
        byte[] data = hub.files.get("LFM2-VL-3B-Q4_0.gguf");
        Files.createDirectories(cache.repoDir(REPO));
        Files.write(cache.partFile(REPO, "LFM2-VL-3B-Q4_0.gguf"), java.util.Arrays.copyOf(data, 1234));
        ResolvedModel m = downloader().resolve(HubModelRef.parse(REPO), false, null);
        assertSameAsServed(m.model());
        assertTrue(hub.ranges.contains("LFM2-VL-3B-Q4_0.gguf bytes=1234-"), hub.ranges.toString());
    }

    @Test
    void serverIgnoringRangeStillYieldsACorrectFile() throws IOException {
        hub.dropFirst = true;
        hub.ignoreRange = true;
        ResolvedModel m = downloader().resolve(HubModelRef.parse(REPO), false, null);
        assertSameAsServed(m.model());
        assertSameAsServed(m.mmproj());
        assertFalse(hub.ranges.isEmpty(), "a resume was attempted");
    }

    @Test
    void sha256MismatchIsAClearErrorAndLeavesNoFile() {
        hub.corrupt = true;
        HubException e = assertThrows(HubException.class,
                () -> downloader().resolve(HubModelRef.parse(REPO), false, null));
        assertTrue(e.getMessage().startsWith("sha256 mismatch for LFM2-VL-3B-Q4_0.gguf (expected "
                + FakeHub.sha256(hub.files.get("LFM2-VL-3B-Q4_0.gguf")) + ", got "), e.getMessage());
        assertTrue(e.getMessage().endsWith("deleted the download, run again to retry"), e.getMessage());
        assertFalse(Files.exists(cache.file(REPO, "LFM2-VL-3B-Q4_0.gguf")));
        assertFalse(Files.exists(cache.partFile(REPO, "LFM2-VL-3B-Q4_0.gguf")));
    }

    @Test
    void sizeMismatchIsAClearErrorAndLeavesNoFile() {
        // the listing promises 6000 bytes; the cdn now serves 6001
        String name = "LFM2-VL-3B-Q4_0.gguf";
        HubFile listed = new HubFile(name, hub.files.get(name).length, null);
        hub.files.put(name, java.util.Arrays.copyOf(hub.files.get(name), (int) listed.size() + 1));
        HubException e = assertThrows(HubException.class, () -> downloader().fetch(REPO, listed, null));
        assertEquals("size mismatch for " + name + " (the server sent more than the listed 6000 bytes, the listing"
                + " says 6000); deleted the partial download", e.getMessage());
        assertFalse(Files.exists(cache.file(REPO, name)));
        assertFalse(Files.exists(cache.partFile(REPO, name)));
    }

    @Test
    void secondResolveUsesTheCacheWithoutAnyRequest() {
        ResolvedModel first = downloader().resolve(HubModelRef.parse(REPO), false, null);
        int before = hub.requests.get();
        AtomicInteger updates = new AtomicInteger();
        ResolvedModel second = downloader().resolve(HubModelRef.parse(REPO), false, (f, d, t) -> updates.incrementAndGet());
        assertEquals(first, second);
        assertEquals(before, hub.requests.get(), "no request for a complete cache");
        assertEquals(0, updates.get());
    }

    @Test
    void anotherQuantOnlineRefreshesTheListingAndDownloadsOnlyWhatIsMissing() {
        downloader().resolve(HubModelRef.parse(REPO + ":Q8_0"), false, null);
        int listings = hub.listingRequests.get();
        ResolvedModel m = downloader().resolve(HubModelRef.parse(REPO + ":F16"), false, null);
        assertEquals("LFM2-VL-3B-F16.gguf", m.model().getFileName().toString());
        assertEquals("mmproj-LFM2-VL-3B-F16.gguf", m.mmproj().getFileName().toString());
        assertEquals(listings + 1, hub.listingRequests.get());
    }

    @Test
    void offlineWithACompleteCacheWorksWithTheServerStopped() {
        ResolvedModel online = downloader().resolve(HubModelRef.parse(REPO), false, null);
        hub.stop();
        int before = hub.requests.get();
        ResolvedModel offline = downloader().resolve(HubModelRef.parse(REPO), true, null);
        assertEquals(online, offline);
        assertEquals(before, hub.requests.get());
    }

    @Test
    void offlineWithoutASavedListingUsesTheCachedFiles() throws IOException {
        ResolvedModel online = downloader().resolve(HubModelRef.parse(REPO), false, null);
        Files.delete(cache.listingFile(REPO));
        hub.stop();
        assertEquals(online, downloader().resolve(HubModelRef.parse(REPO), true, null));
    }

    @Test
    void offlineWithoutACacheIsAClearErrorAndTouchesNoNetwork() {
        HubException e = assertThrows(HubException.class,
                () -> downloader().resolve(HubModelRef.parse(REPO), true, null));
        assertEquals("no cached copy of " + REPO + " in " + cache.repoDir(REPO)
                + " (--offline only reuses an earlier download); run once without --offline, or download the Q4_0"
                + " GGUF of " + REPO + " and its mmproj GGUF on a machine with a network (" + hub.endpoint() + "/"
                + REPO + ") and pass them with -m FILE --mmproj FILE", e.getMessage());
        assertEquals(HubException.Kind.FAILURE, e.kind());
        assertEquals(0, hub.requests.get());
    }

    @Test
    void offlineWithAnotherQuantNotDownloadedSaysSo() {
        downloader().resolve(HubModelRef.parse(REPO + ":Q4_0"), false, null);
        HubException e = assertThrows(HubException.class,
                () -> downloader().resolve(HubModelRef.parse(REPO + ":Q8_0"), true, null));
        assertEquals("LFM2-VL-3B-Q8_0.gguf of " + REPO + " is not in the cache ("
                + cache.file(REPO, "LFM2-VL-3B-Q8_0.gguf") + "); run without --offline to download it", e.getMessage());
    }

    @Test
    void hfEndpointFromTheEnvironmentIsHonoured() {
        ModelDownloader d = ModelDownloader.fromEnvironment(Map.of(
                "HF_ENDPOINT", hub.endpoint() + "/", "LFM2VL_CACHE", tmp.resolve("envcache").toString()));
        downloaders.add(d);
        assertEquals(hub.endpoint(), d.client().endpoint());
        ResolvedModel m = d.resolve(HubModelRef.parse(REPO), false, null);
        assertEquals(tmp.resolve("envcache").resolve(REPO).resolve("LFM2-VL-3B-Q4_0.gguf"), m.model());
        assertTrue(hub.listingRequests.get() > 0);
    }

    @Test
    void tokenIsSentToTheHubButNotToTheCdnItRedirectsTo() {
        downloader(hub.endpoint(), "hf_secret", 3).resolve(HubModelRef.parse(REPO), false, null);
        assertFalse(hub.hubAuth.isEmpty());
        assertTrue(hub.hubAuth.stream().allMatch("Bearer hf_secret"::equals), hub.hubAuth.toString());
        assertFalse(hub.cdnAuth.isEmpty());
        assertTrue(hub.cdnAuth.stream().allMatch(String::isEmpty), "no Authorization on the cdn");
    }

    @Test
    void noPartialFileEverCarriesTheFinalName() {
        hub.dropFirst = true;
        List<String> problems = new ArrayList<>();
        AtomicInteger updates = new AtomicInteger();
        DownloadProgress check = (file, done, total) -> {
            updates.incrementAndGet();
            if (Files.exists(cache.file(REPO, file))) {
                problems.add(file + " exists at " + done + "/" + total);
            }
            if (!Files.exists(cache.partFile(REPO, file))) {
                problems.add(file + ".part missing at " + done + "/" + total);
            }
        };
        downloader().resolve(HubModelRef.parse(REPO), false, check);
        assertTrue(updates.get() >= 4, "progress was reported");
        assertEquals(List.of(), problems);
    }

    @Test
    void failedDownloadKeepsOnlyThePartAndTheNextRunResumesIt() throws IOException {
        hub.dropAlwaysAfter = 2500;
        HubException e = assertThrows(HubException.class,
                () -> downloader(hub.endpoint(), null, 0).resolve(HubModelRef.parse(REPO), false, null));
        Path part = cache.partFile(REPO, "LFM2-VL-3B-Q4_0.gguf");
        assertTrue(e.getMessage().startsWith("download of LFM2-VL-3B-Q4_0.gguf from " + hub.endpoint()
                + " failed after 1 attempt ("), e.getMessage());
        assertTrue(e.getMessage().endsWith("the partial download is kept in " + part + ", run again to resume"),
                e.getMessage());
        assertFalse(Files.exists(cache.file(REPO, "LFM2-VL-3B-Q4_0.gguf")));
        assertEquals(2500, Files.size(part));
        hub.dropAlwaysAfter = -1;
        ResolvedModel m = downloader().resolve(HubModelRef.parse(REPO), false, null);
        assertSameAsServed(m.model());
        assertTrue(hub.ranges.contains("LFM2-VL-3B-Q4_0.gguf bytes=2500-"), hub.ranges.toString());
    }

    @Test
    void connectionDroppingEveryTimeStillCompletesWhileBytesArrive() throws IOException {
        hub.dropAlwaysAfter = 1000; // every response gives 1000 bytes: progress each time, so it keeps resuming
        ResolvedModel m = downloader(hub.endpoint(), null, 1).resolve(HubModelRef.parse(REPO), false, null);
        assertSameAsServed(m.model());
        assertSameAsServed(m.mmproj());
    }

    @Test
    void stalledTransferIsAbandonedAfterTheTimeoutAndResumed() throws IOException {
        hub.stallFirstAfter = 1500;
        HubClient client = new HubClient(hub.endpoint(), null, Duration.ofSeconds(2), Duration.ofSeconds(5));
        ModelDownloader d = new ModelDownloader(client, cache, 3, Duration.ofMillis(5), Duration.ofMillis(500));
        downloaders.add(d);
        long t0 = System.nanoTime();
        ResolvedModel m = d.resolve(HubModelRef.parse(REPO), false, null);
        assertSameAsServed(m.model());
        assertTrue(hub.ranges.contains("LFM2-VL-3B-Q4_0.gguf bytes=1500-"), hub.ranges.toString());
        assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "did not wait for the stalled server");
    }

    @Test
    void persistentServerErrorGivesUpAfterTheRetries() {
        hub.cdnStatus = 503;
        HubException e = assertThrows(HubException.class,
                () -> downloader(hub.endpoint(), null, 3).resolve(HubModelRef.parse(REPO), false, null));
        assertEquals("download of LFM2-VL-3B-Q4_0.gguf from " + hub.endpoint()
                + " failed after 4 attempts (HTTP 503); run again to retry", e.getMessage());
        assertEquals(1 + 4 * 2, hub.requests.get(), "one listing, then 4 x (hub redirect + cdn)");
        assertFalse(Files.exists(cache.partFile(REPO, "LFM2-VL-3B-Q4_0.gguf")), "no empty part is left");
        assertFalse(Files.exists(cache.file(REPO, "LFM2-VL-3B-Q4_0.gguf")));
    }

    @Test
    void unreachableEndpointWithoutACacheSaysWhichFilesToFetchElsewhere() throws IOException {
        String endpoint = closedEndpoint();
        HubException e = assertThrows(HubException.class,
                () -> downloader(endpoint, null, 3).resolve(HubModelRef.parse(REPO + ":Q8_0"), false, null));
        assertTrue(e.getMessage().startsWith("cannot reach " + endpoint + " ("), e.getMessage());
        assertTrue(e.getMessage().endsWith("; download the Q8_0 GGUF of " + REPO + " and its mmproj GGUF on a machine"
                + " with a network (" + endpoint + "/" + REPO + ") and pass them with -m FILE --mmproj FILE"),
                e.getMessage());
        assertFalse(e.getMessage().contains("--offline"), "nothing is cached, so --offline cannot help");
        assertEquals(HubException.Kind.UNREACHABLE, e.kind());
    }

    @Test
    void unreachableEndpointWithACachedCopySuggestsOffline() throws IOException {
        downloader().resolve(HubModelRef.parse(REPO), false, null);
        String endpoint = closedEndpoint();
        HubException e = assertThrows(HubException.class,
                () -> downloader(endpoint, null, 3).resolve(HubModelRef.parse(REPO + ":Q8_0"), false, null));
        assertTrue(e.getMessage().contains("; --offline runs from the files cached in " + cache.repoDir(REPO) + ", or "),
                e.getMessage());
    }

    @Test
    void requestsForMissingThingsAreBadRequestsNotFailures() {
        HubException quant = assertThrows(HubException.class,
                () -> downloader().resolve(HubModelRef.parse(REPO + ":Q3_K"), false, null));
        assertEquals(HubException.Kind.BAD_REQUEST, quant.kind(), quant.getMessage());
        HubException repo = assertThrows(HubException.class,
                () -> downloader().resolve(HubModelRef.parse("nobody/nothing"), false, null));
        assertEquals(HubException.Kind.BAD_REQUEST, repo.kind(), repo.getMessage());
    }

    /** An endpoint on a loopback port nothing listens on. */
    private static String closedEndpoint() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "http://127.0.0.1:" + s.getLocalPort();
        }
    }

    @Test
    void paginatedListingIsFollowed() {
        hub.pageSize = 2;
        ResolvedModel m = downloader().resolve(HubModelRef.parse(REPO + ":Q8_0"), false, null);
        assertEquals("mmproj-LFM2-VL-3B-Q8_0.gguf", m.mmproj().getFileName().toString());
        assertTrue(hub.listingRequests.get() >= 4, "several pages were fetched");
        assertNotNull(cache.readListing(REPO).file("README.md").orElse(null));
        assertNull(cache.readListing(REPO).file("README.md").orElseThrow().sha256(), "plain git file has no lfs oid");
    }
}
