package dev.lfm2vl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.loader.Fixtures;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class StatusTest {

    @Test
    void aDisabledStatusPrintsNothingAndAnEnabledOneIsClearedInPlace() {
        StringWriter sw = new StringWriter();
        Status off = new Status(new PrintWriter(sw), false);
        off.show("loading model...");
        off.clear();
        assertEquals("", sw.toString());

        Status on = new Status(new PrintWriter(sw), true);
        on.show("loading model...");
        on.show("prefill 3 positions...");
        on.clear();
        on.clear();
        assertEquals("\rloading model...\033[K\rprefill 3 positions...\033[K\r\033[K", sw.toString());
    }

    @Test
    void progressExtendsTheShownLineOnlyWhenThePercentageChanges() {
        StringWriter sw = new StringWriter();
        Status on = new Status(new PrintWriter(sw), true);
        on.progress(1, 4); // nothing shown yet: nothing to extend
        assertEquals("", sw.toString());
        on.show("prefill 9 positions...");
        on.progress(0, 60);
        on.progress(1, 60); // still 1 %
        on.progress(30, 60);
        assertEquals("\rprefill 9 positions...\033[K\rprefill 9 positions... 0%\033[K\rprefill 9 positions... 1%\033[K"
                + "\rprefill 9 positions... 50%\033[K", sw.toString());

        StringWriter quiet = new StringWriter();
        Status off = new Status(new PrintWriter(quiet), false);
        off.show("prefill 9 positions...");
        off.progress(30, 60);
        assertEquals("", quiet.toString());
    }

    @Test
    void generateShowsProgressOnATerminalClearedBeforeTheAnswerAndNothingWithQuiet() {
        String[] args = {"generate", "-m", Fixtures.textModel("F32").toString(), "--mmproj", Fixtures.mmproj("F32").toString(),
                "--image", Fixtures.file("images/img_64x48.png").toString(), "-p", "What is this?", "-n", "4", "--temp", "0", "-t", "2"};
        CliRun plain = CliRun.of(args);
        assertEquals(0, plain.exitCode(), plain.err());
        assertEquals("", plain.err(), "not a terminal: no progress");
        String saved = System.getProperty("lfm2vl.stderr.tty");
        System.setProperty("lfm2vl.stderr.tty", "true");
        try {
            CliRun tty = CliRun.of(args);
            assertEquals(0, tty.exitCode(), tty.err());
            assertEquals(plain.out(), tty.out(), "progress never reaches stdout");
            String err = tty.err();
            assertTrue(err.contains("\rloading model..."), err);
            assertTrue(err.contains("\rencoding image 1/1 (tile 1/1)..."), err);
            assertTrue(err.matches("(?s).*\rprefill \\d+ positions\\.\\.\\. \\d+%.*"), "the prefill shows how far it got: " + err);
            assertTrue(err.endsWith("\r\033[K"), "the status line is cleared: " + err);

            String[] quiet = java.util.Arrays.copyOf(args, args.length + 1);
            quiet[args.length] = "--quiet";
            CliRun q = CliRun.of(quiet);
            assertEquals(0, q.exitCode(), q.err());
            assertEquals(plain.out(), q.out());
            assertEquals("", q.err());
        } finally {
            if (saved == null) {
                System.clearProperty("lfm2vl.stderr.tty");
            } else {
                System.setProperty("lfm2vl.stderr.tty", saved);
            }
        }
    }

    @Test
    void chatShowsThePrefillOnATerminal() {
        String saved = System.getProperty("lfm2vl.stderr.tty");
        System.setProperty("lfm2vl.stderr.tty", "true");
        java.io.InputStream in = System.in;
        System.setIn(new java.io.ByteArrayInputStream("Hello\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        try {
            CliRun r = CliRun.of("chat", "-m", Fixtures.textModel("Q8_0").toString(), "-n", "2", "--temp", "0");
            assertEquals(0, r.exitCode(), r.err());
            assertTrue(r.err().contains("\rprefill "), r.err());
            assertFalse(r.out().contains("\r"), r.out());
        } finally {
            System.setIn(in);
            if (saved == null) {
                System.clearProperty("lfm2vl.stderr.tty");
            } else {
                System.setProperty("lfm2vl.stderr.tty", saved);
            }
        }
    }
}
