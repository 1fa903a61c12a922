package dev.lfm2vl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** How mistyped command lines are reported: one {@code error:} line, exit code 2. */
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
}
