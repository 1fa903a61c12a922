package dev.lfm2vl.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.loader.Fixtures;
import dev.lfm2vl.runtime.structured.JsonSchema;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConversationTest {

    private static final Listener QUIET = Listener.NONE;

    private static int[] concat(List<int[]> parts) {
        int n = 0;
        for (int[] p : parts) {
            n += p.length;
        }
        int[] out = new int[n];
        int o = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }

    private static int[] tokensOf(Prompt prompt) {
        List<int[]> ids = new ArrayList<>();
        for (Prompt.Part p : prompt.parts()) {
            ids.add(((Prompt.Tokens) p).ids());
        }
        return concat(ids);
    }

    @Test
    void laterTurnsContinueFromTheCacheExactlyAsIfTheWholeConversationWereFedAgain() throws IOException {
        try (Lfm2Model m = Lfm2Model.load(Fixtures.textModel("F32"), Parallel.create(2))) {
            Tokenizer tok = Tokenizer.fromGguf(m.gguf().metadata());
            Conversation chat = new Conversation(m, null, tok, Sampler.Settings.greedy(), 2048, "Be brief.");
            int[] turn1Prompt = tokensOf(chat.nextPrompt("Hello there", List.of()));
            assertEquals(tok.bosId(), turn1Prompt[0], "exactly one BOS, first");
            Generator.Result r1 = chat.send("Hello there", 6, QUIET);
            int[] turn2Prompt = tokensOf(chat.nextPrompt("And now?", List.of()));
            assertTrue(turn2Prompt[0] != tok.bosId(), "no BOS in a continuation");
            Generator.Result r2 = chat.send("And now?", 6, QUIET);
            assertEquals(turn1Prompt.length + r1.tokens().length + turn2Prompt.length + r2.tokens().length, chat.state().position(),
                    "only the new turn was fed");

            // The same ids from scratch, in one go, must lead to the same second answer.
            int[] history = concat(List.of(turn1Prompt, r1.tokens(), turn2Prompt));
            Lfm2State fresh = m.newState(2048);
            Generator g = new Generator(m, tok);
            Generator.Result again = g.generate(fresh, Prompt.of(history), new Sampler(m.config().vocabSize(),
                    Sampler.Settings.greedy()), 6, QUIET);
            assertArrayEquals(again.tokens(), r2.tokens());

            // The template of the continuation: the answer was cut by the token limit, so it is closed first.
            String text = tok.decode(turn2Prompt, true);
            assertTrue(text.startsWith(ChatTemplate.IM_END + "\n<|im_start|>user\nAnd now?<|im_end|>\n<|im_start|>assistant\n"), text);
        }
    }

    /** Records every stage a turn reports: a refused turn must report none. */
    private static final class Stages implements Listener {
        final List<String> seen = new ArrayList<>();

        @Override
        public void encoding(int image, int images, int entry, int entries) {
            seen.add("encoding");
        }

        @Override
        public void prefill(int positions) {
            seen.add("prefill");
        }

        @Override
        public void prefilling(int done, int total) {
            seen.add("prefilling");
        }

        @Override
        public void onToken(int id, String text) {
            seen.add("token");
        }
    }

    /**
     * Structured output with a nearly full context (issue 19): a turn whose shortest JSON document does not fit after
     * its prompt is refused before anything is fed (no prefill reported, the position unchanged), and the
     * conversation goes on from where it was: the same next prompt, and a turn that fits is answered.
     */
    @Test
    void aStructuredTurnWhoseShortestDocumentCannotFitIsRefusedBeforeThePrefill() throws IOException {
        try (Lfm2Model m = Lfm2Model.load(Fixtures.textModel("Q8_0"), Parallel.sequential())) {
            Tokenizer tok = Tokenizer.fromGguf(m.gguf().metadata());
            Conversation chat = new Conversation(m, null, tok, Sampler.Settings.greedy(), 160, null);
            chat.send("Hi", 4, QUIET);
            int position = chat.state().position();
            int[] nextTokens = tokensOf(chat.nextPrompt("Answer in JSON", List.of()));
            int room = chat.state().remaining() - nextTokens.length + 1; // tokens an answer could still take
            // {"answer":"..."} with at least `room` characters: 13 bytes more than fit
            JsonSchema tooLong = JsonSchema.compile("{\"type\":\"object\",\"properties\":{\"answer\":{\"type\":\"string\",\"minLength\":"
                    + room + "}},\"required\":[\"answer\"]}");
            assertEquals(room + 13, tooLong.minDocumentBytes());
            Stages stages = new Stages();
            ContextFullException e = assertThrows(ContextFullException.class,
                    () -> chat.send(chat.nextPrompt("Answer in JSON", List.of()), -1, stages, tooLong.constraint(tok)));
            assertTrue(e.getMessage().contains("shortest answer the JSON schema accepts"), e.getMessage());
            assertEquals(List.of(), stages.seen, "refused before any work");
            assertEquals(position, chat.state().position(), "nothing was fed");

            // the generator refuses the same way, before its listener hears of a prefill
            Generator g = new Generator(m, tok);
            Sampler sampler = new Sampler(m.config().vocabSize(), Sampler.Settings.greedy());
            assertThrows(ContextFullException.class, () -> g.generate(chat.state(), chat.nextPrompt("Answer in JSON", List.of()), sampler, -1,
                    stages, tooLong.constraint(tok)));
            assertEquals(List.of(), stages.seen);
            assertEquals(position, chat.state().position());

            assertArrayEquals(nextTokens, tokensOf(chat.nextPrompt("Answer in JSON", List.of())), "the turn was not counted");
            JsonSchema fits = JsonSchema.compile("{\"type\":\"object\",\"properties\":{\"ok\":{\"type\":\"boolean\"}},\"required\":[\"ok\"]}");
            Generator.Result r = chat.send(chat.nextPrompt("Answer in JSON", List.of()), -1, stages, fits.constraint(tok));
            assertTrue(fits.accepts(r.text()), r.text());
            assertTrue(stages.seen.contains("prefill"));
            assertEquals(position + nextTokens.length + r.tokens().length, chat.state().position());
        }
    }

    @Test
    void resetStartsOverWithTheSystemMessage() throws IOException {
        try (Lfm2Model m = Lfm2Model.load(Fixtures.textModel("Q8_0"), Parallel.sequential())) {
            Tokenizer tok = Tokenizer.fromGguf(m.gguf().metadata());
            Conversation chat = new Conversation(m, null, tok, Sampler.Settings.greedy(), 512, null);
            Generator.Result a = chat.send("Hi", 4, QUIET);
            chat.send("More", 4, QUIET);
            chat.reset();
            assertEquals(0, chat.state().position());
            Generator.Result b = chat.send("Hi", 4, QUIET);
            assertArrayEquals(a.tokens(), b.tokens());
            chat.setSystem("You are terse.");
            String first = tok.decode(tokensOf(chat.nextPrompt("Hi", List.of())), true);
            assertTrue(first.startsWith("<|startoftext|><|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi"), first);
        }
    }

    private static String describe(Prompt prompt) {
        StringBuilder b = new StringBuilder();
        for (Prompt.Part p : prompt.parts()) {
            b.append(p instanceof Prompt.Tokens t ? java.util.Arrays.toString(t.ids()) : p.toString()).append('|');
        }
        return b.toString();
    }

    @Test
    void anImageInALaterTurnIsFedAfterTheCachedHistoryExactlyAsInOneGo() throws IOException {
        try (Lfm2Vl vlm = Lfm2Vl.load(Fixtures.textModel("F32"), Fixtures.mmproj("F32"),
                Lfm2Vl.Options.defaults().withThreads(2).withContextSize(1024).withSampling(Sampler.Settings.greedy()))) {
            Tokenizer tok = vlm.tokenizer();
            PreprocessedImage image = vlm.preprocess(Fixtures.file("images/img_64x48.png"));

            // A first turn with an image is the one-message prompt of Lfm2Vl.
            Conversation chat = vlm.newConversation();
            assertEquals(describe(Lfm2Vl.buildPrompt(null, "What is this?", List.of(image), tok)),
                    describe(chat.nextPrompt("What is this?", List.of(image))));

            int[] turn1 = tokensOf(chat.nextPrompt("Hi", List.of()));
            Generator.Result r1 = chat.send("Hi", 5, QUIET);
            Prompt turn2 = chat.nextPrompt("What is this?", List.of(image));
            assertTrue(((Prompt.Tokens) turn2.parts().get(0)).ids()[0] != tok.bosId(), "no BOS in a continuation");
            Generator.Result r2 = chat.send("What is this?", List.of(image), 6, QUIET);
            assertEquals(turn1.length + r1.tokens().length + turn2.positions() + r2.tokens().length, chat.state().position(),
                    "only the new turn was fed");

            Prompt history = Prompt.of(concat(List.of(turn1, r1.tokens()))).then(turn2.encode(vlm.visionModel(), Listener.NONE));
            Lfm2State fresh = vlm.textModel().newState(1024);
            Generator.Result again = new Generator(vlm.textModel(), tok).generate(fresh, history,
                    new Sampler(vlm.textModel().config().vocabSize(), Sampler.Settings.greedy()), 6, QUIET);
            assertArrayEquals(again.tokens(), r2.tokens());
        }
    }

    @Test
    void aTurnStoppedBeforeItsFirstTokenWasNeverSentAndCanBeSentAgain() throws IOException {
        try (Lfm2Model m = Lfm2Model.load(Fixtures.textModel("Q4_0"), Parallel.create(2))) {
            Tokenizer tok = Tokenizer.fromGguf(m.gguf().metadata());
            Conversation plain = new Conversation(m, null, tok, Sampler.Settings.greedy(), 512, null);
            plain.send("Hi", 4, QUIET);
            Generator.Result expected = plain.send("Tell me more", 5, QUIET);

            Conversation chat = new Conversation(m, null, tok, Sampler.Settings.greedy(), 512, null);
            chat.send("Hi", 4, QUIET);
            int position = chat.state().position();
            int[] polls = {0};
            int layers = m.config().layers();
            Generator.Result stopped = chat.send("Tell me more", 5, new Listener() {
                @Override
                public boolean cancelled() {
                    return ++polls[0] >= layers; // before the last layer of the prefill
                }
            });
            assertTrue(stopped.takenBack());
            assertEquals(1, chat.turns(), "the stopped turn does not count");
            assertEquals(position, chat.state().position());
            Generator.Result again = chat.send("Tell me more", 5, QUIET);
            assertArrayEquals(expected.tokens(), again.tokens());
            assertEquals(plain.state().position(), chat.state().position());
            assertEquals(2, chat.turns());
        }
    }
}
