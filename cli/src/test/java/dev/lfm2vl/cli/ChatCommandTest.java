package dev.lfm2vl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        CliRun r = chat("Hello there\n/help\n\nWhat now?\n/bogus\n/reset\nHello there\n/quit\nnever answered\n",
                "-m", model, "-n", "6", "--temp", "0", "--repeat-penalty", "1");
        assertEquals(0, r.exitCode(), r.err());
        String[] answers = r.out().split("\n", -1);
        assertEquals(4, answers.length, "three answers, each on its own line: " + r.out());
        assertEquals(answers[0], answers[2], "after /reset the same first message gets the same greedy answer");
        assertTrue(r.err().contains("/system TEXT"), "help text: " + r.err());
        assertTrue(r.err().contains("error: unknown command /bogus"), r.err());
        assertTrue(r.err().contains("(conversation reset)"), r.err());
    }

    @Test
    void endOfInputEndsTheChat() {
        CliRun r = chat("", "-m", Fixtures.textModel("Q8_0").toString());
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("", r.out());
    }
}
