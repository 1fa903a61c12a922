package dev.lfm2vl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.hub.HubException;
import org.junit.jupiter.api.Test;

/** Exit codes of model-download problems: 2 when the request was wrong, 1 when the network or the hub failed. */
class HubErrorsTest {

    @Test
    void aMalformedHfValueIsBadInput() {
        CliRun r = CliRun.of("generate", "--hf", "not-a-repo", "-p", "hi", "-n", "1");
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().startsWith("error: invalid --hf value 'not-a-repo'"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void anUnreachableHubIsAFailureNotBadInput() {
        assertEquals(1, Main.exitCodeOf(new HubException(HubException.Kind.UNREACHABLE, "cannot reach x", null)));
        assertEquals(1, Main.exitCodeOf(new HubException("download of x failed after 4 attempts")));
    }
}
