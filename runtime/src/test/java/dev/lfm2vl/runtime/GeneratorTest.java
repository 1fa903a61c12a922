package dev.lfm2vl.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.loader.Fixtures;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class GeneratorTest {

    /** A listener that answers "stop" from its {@code stopAt}-th poll on, counting polls and tokens. */
    private static final class StopAt implements Listener {
        final int stopAt;
        int polls;
        int tokens;

        StopAt(int stopAt) {
            this.stopAt = stopAt;
        }

        @Override
        public void onToken(int id, String text) {
            tokens++;
        }

        @Override
        public boolean cancelled() {
            return ++polls >= stopAt;
        }
    }

    private static Prompt prompt(Tokenizer tok, String text, boolean bos) {
        return Prompt.of(tok.encode(text, bos, true));
    }

    private static Sampler greedy(Lfm2Model m) {
        return new Sampler(m.config().vocabSize(), Sampler.Settings.greedy());
    }

    @Test
    void aStopDuringThePrefillEndsBetweenLayersAndTakesThePromptBack() throws IOException {
        try (Lfm2Model m = Lfm2Model.load(Fixtures.textModel("F32"), Parallel.create(2))) {
            Tokenizer tok = Tokenizer.fromGguf(m.gguf().metadata());
            Generator g = new Generator(m, tok);
            int layers = m.config().layers();
            Prompt first = prompt(tok, "The first message", true);
            Prompt second = prompt(tok, " and a second one that is longer", false);

            // Reference: both prompts, never stopped.
            Lfm2State plain = m.newState(256);
            g.generate(plain, first, greedy(m), 3, new StopAt(Integer.MAX_VALUE));
            Generator.Result expected = g.generate(plain, second, greedy(m), 4, new StopAt(Integer.MAX_VALUE));
            float[] expectedLogits = g.logits().clone();

            Lfm2State s = m.newState(256);
            g.generate(s, first, greedy(m), 3, new StopAt(Integer.MAX_VALUE));
            int before = s.position();
            StopAt stop = new StopAt(3); // polls 1 and 2 run layers 0 and 1; poll 3 stops before layer 2
            Generator.Result stopped = g.generate(s, second, greedy(m), 4, stop);
            assertTrue(layers > 3, "the fixture has layers to stop between");
            assertEquals(Generator.StopReason.CANCELLED, stopped.stopReason());
            assertTrue(stopped.takenBack());
            assertEquals(3, stop.polls, "stopped at the first poll that answered true");
            assertEquals(0, stop.tokens);
            assertEquals(before, s.position(), "the prompt was taken back");

            // The same prompt again continues exactly as if the stopped attempt had never happened.
            Generator.Result again = g.generate(s, second, greedy(m), 4, new StopAt(Integer.MAX_VALUE));
            assertArrayEquals(expected.tokens(), again.tokens());
            assertEquals(plain.position(), s.position());
            float[] logits = g.logits();
            for (int i = 0; i < logits.length; i++) {
                assertEquals(expectedLogits[i], logits[i], 1e-5f * (1 + Math.abs(expectedLogits[i])), "logit " + i);
            }
        }
    }

    @Test
    void theStopIsPolledOncePerLayerOfThePrefillThenOncePerToken() throws IOException {
        try (Lfm2Model m = Lfm2Model.load(Fixtures.textModel("Q8_0"), Parallel.sequential())) {
            Tokenizer tok = Tokenizer.fromGguf(m.gguf().metadata());
            Generator g = new Generator(m, tok);
            int layers = m.config().layers();

            // A stop at the first token's poll: the whole prefill ran, and is taken back all the same.
            Lfm2State s = m.newState(128);
            StopAt atFirstToken = new StopAt(layers + 1);
            Generator.Result r = g.generate(s, prompt(tok, "Hello", true), greedy(m), 5, atFirstToken);
            assertTrue(r.takenBack());
            assertEquals(layers + 1, atFirstToken.polls);
            assertEquals(0, s.position());

            // A stop at the second token's poll keeps the first token: that answer was started, nothing is taken back.
            StopAt atSecondToken = new StopAt(layers + 2);
            int promptLength = tok.encode("Hello", true, true).length;
            r = g.generate(s, prompt(tok, "Hello", true), greedy(m), 5, atSecondToken);
            assertEquals(Generator.StopReason.CANCELLED, r.stopReason());
            assertFalse(r.takenBack());
            assertEquals(1, r.tokens().length);
            assertEquals(promptLength + 1, s.position(), "prompt and first token fed");
        }
    }

    @Test
    void thePrefillReportsEachLayerStepOfEachPart() throws IOException {
        try (Lfm2Model m = Lfm2Model.load(Fixtures.textModel("Q4_0"), Parallel.sequential())) {
            Tokenizer tok = Tokenizer.fromGguf(m.gguf().metadata());
            int layers = m.config().layers();
            List<int[]> calls = new java.util.ArrayList<>();
            Listener listener = new Listener() {
                @Override
                public void prefilling(int done, int total) {
                    calls.add(new int[] {done, total});
                }
            };
            Prompt twoParts = Prompt.of(tok.encode("Hello", true, true)).then(Prompt.of(tok.encode(" there", false, true)));
            new Generator(m, tok).generate(m.newState(64), twoParts, greedy(m), 2, listener);
            assertEquals(2 * layers, calls.size(), "one step per layer per part (each part is one batch)");
            for (int i = 0; i < calls.size(); i++) {
                assertArrayEquals(new int[] {i, 2 * layers}, calls.get(i));
            }
        }
    }
}
