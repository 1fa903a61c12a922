package dev.lfm2vl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.loader.Fixtures;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ChatCommandTest {

    private static CliRun chat(String stdin, String... args) {
        InputStream saved = System.in;
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        try {
            String[] all = new String[args.length + 1];
            all[0] = "chat";
            System.arraycopy(args, 0, all, 1, args.length);
            return CliRun.of(all);
        } finally {
            System.setIn(saved);
        }
    }

    @Test
    void pipedMessagesAreAnsweredInTurnAndCommandsWork() {
        String model = Fixtures.textModel("Q4_0").toString();
        CliRun r = chat("Hello there\n/help\n\nWhat now?\n/bogus\n/image photo.png\n/reset\nHello there\n/quit\nnever answered\n",
                "-m", model, "-n", "6", "--temp", "0", "--repeat-penalty", "1");
        assertEquals(2, r.exitCode(), "piped input with failed commands (/bogus, /image) exits 2: " + r.err());
        String[] answers = r.out().split("\n", -1);
        assertEquals(4, answers.length, "three answers, each on its own line: " + r.out());
        assertEquals(answers[0], answers[2], "after /reset the same first message gets the same greedy answer");
        assertTrue(r.err().contains("/system TEXT"), "help text: " + r.err());
        assertTrue(r.err().contains("error: unknown command /bogus"), r.err());
        assertTrue(r.err().contains("(conversation reset)"), r.err());
        assertTrue(r.err().contains("error: /image needs a vision projector (--mmproj)"), "no mmproj, no images: " + r.err());
    }

    @Test
    void imageAttachedWithSlashImageIsAnsweredExactlyLikeGenerateImage() {
        String model = Fixtures.textModel("F32").toString();
        String mmproj = Fixtures.mmproj("F32").toString();
        String image = Fixtures.file("images/img_64x48.png").toString();
        String[] common = {"-m", model, "--mmproj", mmproj, "-n", "8", "--temp", "0", "-t", "2"};
        CliRun generate = CliRun.of(concat(new String[] {"generate", "--image", image, "-p", "What is this?"}, common));
        assertEquals(0, generate.exitCode(), generate.err());

        // A bad path is reported at once and attaches nothing; the good one is image 1 and goes with the next
        // message only; the follow-up turn is text only, continuing from the cache.
        CliRun r = chat("/image /no/such/image.png\n/image " + image + "\nWhat is this?\nAnd now?\n", common);
        assertEquals(2, r.exitCode(), "the bad /image line makes piped input exit 2: " + r.err());
        assertTrue(r.err().contains("error: cannot load image /no/such/image.png"), r.err());
        assertTrue(r.err().contains("(image 1 attached: " + image), r.err());
        assertFalse(r.err().contains("(image 2 attached"), r.err());
        assertTrue(r.out().startsWith(generate.out()), "first chat answer = generate --image answer:\n" + r.out() + "\nvs\n" + generate.out());
        assertTrue(r.out().length() > generate.out().length(), "a second answer follows: " + r.out());
        assertFalse(r.err().contains("\r"), "no progress when stderr is not a terminal: " + r.err());
    }

    @Test
    void imageMarkersMustMatchTheAttachedImages() {
        String image = Fixtures.file("images/img_64x48.png").toString();
        CliRun r = chat("/image " + image + "\nCompare <__media__> and <__media__>.\n/reset\nHi\n",
                "-m", Fixtures.textModel("Q8_0").toString(), "--mmproj", Fixtures.mmproj("F32").toString(), "-n", "2", "--temp", "0");
        assertEquals(2, r.exitCode(), "a failed message makes piped input exit 2: " + r.err());
        assertTrue(r.err().contains("error: "), r.err());
        assertTrue(r.err().contains("the attached images stay attached"), r.err());
        assertEquals(1, r.out().split("\n", -1).length - 1, "only the text message after /reset was answered: " + r.out());
    }

    @Test
    void pipedChatExitsZeroOnlyWhenEveryLineWorked() {
        String model = Fixtures.textModel("Q4_0").toString();
        CliRun ok = chat("Hello there\nWhat now?\n", "-m", model, "-n", "2", "--temp", "0");
        assertEquals(0, ok.exitCode(), ok.err());
        CliRun failed = chat("Hello there\n" + "a message far too long for the context ".repeat(4) + "\nWhat now?\n",
                "-m", model, "-n", "2", "--temp", "0", "-c", "40");
        assertEquals(2, failed.exitCode(), "the message that did not fit is bad input: " + failed.err());
        assertTrue(failed.err().contains("error: the context is full"), failed.err());
        assertEquals(2, failed.out().split("\n", -1).length - 1, "the other two messages were answered: " + failed.out());
    }

    @Test
    void messageThatOverflowsTheContextDropsItsImagesSoTheNextMessageIsAnswered() {
        String image = Fixtures.file("images/img_64x48.png").toString();
        // 70 image tokens do not fit in 40 positions; "Hi" alone does.
        CliRun r = chat("/image " + image + "\nWhat is this?\nHi\n", "-m", Fixtures.textModel("Q4_0").toString(),
                "--mmproj", Fixtures.mmproj("F16").toString(), "-n", "2", "--temp", "0", "-c", "40");
        assertEquals(2, r.exitCode(), r.err());
        assertEquals(1, r.err().lines().filter(l -> l.startsWith("error: ")).count(), "only the image message failed: " + r.err());
        assertTrue(r.err().contains("the attached images were dropped"), r.err());
        assertEquals(1, r.out().split("\n", -1).length - 1, "the text message after it was answered: " + r.out());
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void endOfInputEndsTheChat() {
        CliRun r = chat("", "-m", Fixtures.textModel("Q8_0").toString());
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("", r.out());
    }
}
