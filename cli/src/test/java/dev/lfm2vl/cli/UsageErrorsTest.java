package dev.lfm2vl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lfm2vl.runtime.ContextFullException;
import dev.lfm2vl.runtime.PromptTooLongException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How bad command lines are reported: one {@code error:} line, exit code 2 for the user's mistakes and 1 for the rest. */
class UsageErrorsTest {

    @Test
    void mistypedCommandGetsTheNearestCommandSuggested() {
        CliRun r = CliRun.of("captoin");
        assertEquals(2, r.exitCode(), r.err());
        assertEquals("error: unknown command 'captoin'; did you mean 'caption'?", r.err().strip());
        assertEquals("error: unknown command 'tokenise'; did you mean 'tokenize'?", CliRun.of("tokenise", "-m", "x.gguf", "hi").err().strip());
    }

    @Test
    void unknownCommandWithNothingCloseSaysWhereTheCommandsAreListed() {
        CliRun r = CliRun.of("xyzzyqq");
        assertEquals(2, r.exitCode(), r.err());
        assertEquals("error: unknown command 'xyzzyqq' (see 'lfm2vl --help')", r.err().strip());
    }

    @Test
    void onlyTypedUserErrorsExitTwoAFailedInternalCheckExitsOne() {
        assertEquals(2, Main.exitCodeOf(new UserError("bad option")));
        assertEquals(2, Main.exitCodeOf(new ContextFullException(5000, 4096)));
        assertEquals(2, Main.exitCodeOf(new PromptTooLongException(5000, 4900, 4096, List.of())));
        // an IllegalArgumentException from a library check is a bug or a failure, not the user's input
        assertEquals(1, Main.exitCodeOf(new IllegalArgumentException("context size must be between 1 and 4096")));
    }

    @Test
    void aTokenIdOutsideTheVocabularyIsBadInput() {
        CliRun r = CliRun.of("logits", "-m", dev.lfm2vl.loader.Fixtures.textModel("F32").toString(), "--tokens", "1,99999",
                "--out", "/tmp/lfm2vl-never-written.f32");
        assertEquals(2, r.exitCode(), r.err());
        assertEquals("error: --tokens: token id 99999 is outside the vocabulary (0..639)", r.err().strip());
    }
}
