package dev.lfm2vl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.loader.Fixtures;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lfm2vl serve}'s usage errors: one line, exit 2, before any model is loaded. The server itself is tested in
 * the server module (it is started there in-process and stopped by the tests).
 */
class ServeCommandTest {
    private static void assertUsageError(CliRun r, String part) {
        assertEquals(Main.EXIT_USAGE, r.exitCode(), r.err());
        assertTrue(r.err().startsWith("error: ") && r.err().strip().lines().count() == 1, r.err());
        assertTrue(r.err().contains(part), "'" + part + "' in: " + r.err());
    }

    @Test
    void badOptionsAreOneLineUsageErrors(@TempDir Path dir) throws Exception {
        String model = Fixtures.textModel("Q4_0").toString();
        assertUsageError(CliRun.of("serve", "-m", model, "--parallel", "0"), "--parallel must be at least 1");
        assertUsageError(CliRun.of("serve", "-m", model, "--queue", "-1"), "--queue must be 0 or more");
        assertUsageError(CliRun.of("serve", "-m", model, "-n", "0"), "-n must be -1 or positive");
        assertUsageError(CliRun.of("serve", "-m", model, "--prefill-chunk", "48"), "--prefill-chunk must be a power of two from 16 to 512");
        assertUsageError(CliRun.of("serve", "-m", model, "--prefill-chunk", "1024"), "--prefill-chunk must be a power of two");
        assertUsageError(CliRun.of("serve", "-m", model, "--media-root", dir.resolve("missing").toString()), "is not a folder");
        assertUsageError(CliRun.of("serve", "-m", model, "--port", "70000"), "--port must be in 0..65535");
        Path key = Files.writeString(dir.resolve("key.txt"), "k\n");
        assertUsageError(CliRun.of("serve", "-m", model, "--api-key", "a", "--api-key-file", key.toString()), "either --api-key or --api-key-file");
        Path empty = Files.writeString(dir.resolve("empty.txt"), "\n");
        assertUsageError(CliRun.of("serve", "-m", model, "--api-key-file", empty.toString()), "the first line is empty");
    }

    @Test
    void aPortInUseIsAUsageErrorNotAStackTrace() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CliRun r = CliRun.of("serve", "-m", Fixtures.textModel("Q4_0").toString(), "--mmproj", Fixtures.mmproj("F16").toString(),
                    "--port", Integer.toString(taken.getLocalPort()));
            assertUsageError(r, "cannot listen on 127.0.0.1:" + taken.getLocalPort());
        }
    }
}
