package dev.lfm2vl.runtime.structured;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.loader.Fixtures;
import dev.lfm2vl.runtime.Lfm2Model;
import dev.lfm2vl.runtime.TokenConstraint;
import dev.lfm2vl.runtime.Tokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The token mask equals its definition, checked token by token: a token is allowed iff its bytes step the parse
 * state to a live state whose shortest completion fits the budget left after it (end of generation iff the
 * document is complete). Covers the trie walk and its fast path inside plain strings, along random documents, and
 * the masks a compiled schema keeps per parse state (MaskCache): each schema's second document, under another
 * budget, is served from what the first one kept.
 */
class TokenMaskTest {

    @Test
    void theMaskIsExactlyTheTokensThatKeepACompletablePrefix() throws IOException {
        try (Lfm2Model m = Lfm2Model.load(Fixtures.textModel("Q4_0"), Parallel.sequential())) {
            Tokenizer tok = m.tokenizer();
            int vocab = tok.vocabSize();
            long[] mask = new long[(vocab + 63) >> 6];
            int checked = 0;
            for (long seed = 1; seed <= 40; seed++) {
                String schema = new RandomSchemas(seed).document();
                JsonSchema compiled = JsonSchema.compile(schema);
                SplittableRandom random = new SplittableRandom(seed);
                // two documents of one compiled schema, under other budgets: the second meets the masks the first kept
                for (int round = 0; round < 2; round++) {
                    ParseState state = ParseState.start(SchemaCompiler.compile(schema));
                    TokenConstraint c = compiled.constraint(tok);
                    int budget = state.minBytes() + random.nextInt(40);
                    for (int left = budget; left > 0; left--) {
                        c.allowed(mask, left);
                        long[] want = new long[mask.length];
                        for (int id = 0; id < vocab; id++) {
                            boolean ok;
                            if (tok.isEndOfGeneration(id)) {
                                ok = state.accepting();
                            } else {
                                byte[] b = tok.pieceBytes(id);
                                ParseState next = b.length == 0 ? null : state.step(b);
                                ok = next != null && next.minBytes() <= left - 1;
                            }
                            if (ok) {
                                want[id >> 6] |= 1L << id;
                            }
                        }
                        assertArrayEquals(want, mask, "seed " + seed + " round " + round + " with " + left + " tokens left");
                        checked++;
                        // follow a random allowed token, preferring long ones so strings are entered and left mid-token
                        int pick = -1;
                        for (int tries = 0; tries < 50; tries++) {
                            int id = random.nextInt(vocab);
                            if ((mask[id >> 6] >>> id & 1) != 0 && (pick < 0 || tok.pieceBytes(id).length > tok.pieceBytes(pick).length)) {
                                pick = id;
                            }
                        }
                        if (pick < 0) {
                            for (int id = 0; id < vocab && pick < 0; id++) {
                                if ((mask[id >> 6] >>> id & 1) != 0) {
                                    pick = id;
                                }
                            }
                        }
                        assertTrue(pick >= 0, "nothing allowed");
                        c.accept(pick);
                        if (tok.isEndOfGeneration(pick)) {
                            break;
                        }
                        state = state.step(tok.pieceBytes(pick));
                    }
                }
            }
            assertTrue(checked > 1000, "masks checked: " + checked);
        }
    }

    /**
     * Inside a long string the count changes with every token but, between minLength and a token's reach short of
     * maxLength, no token can tell: those states share one mask (ParseState.maskKey), still exactly the definition.
     */
    @Test
    void statesThatDifferOnlyBeyondEveryTokensReachShareOneMask() throws IOException {
        try (Lfm2Model m = Lfm2Model.load(Fixtures.textModel("Q4_0"), Parallel.sequential())) {
            Tokenizer tok = m.tokenizer();
            int vocab = tok.vocabSize();
            long[] mask = new long[(vocab + 63) >> 6];
            ParseState state = ParseState.start(SchemaCompiler.compile("{\"type\":\"string\",\"minLength\":3,\"maxLength\":150}"));
            MaskCache cache = new MaskCache(TokenTrie.of(tok));
            SplittableRandom random = new SplittableRandom(5);
            for (int step = 0; step < 200 && state.canStep(); step++) {
                int left = 300 - step;
                cache.entry(state).allowed(mask, left - 1);
                for (int id = 0; id < vocab; id++) {
                    boolean ok = false;
                    if (!tok.isEndOfGeneration(id) && tok.pieceBytes(id).length > 0) {
                        ParseState next = state.step(tok.pieceBytes(id));
                        ok = next != null && next.minBytes() <= left - 1;
                    }
                    assertTrue(ok == ((mask[id >> 6] >>> id & 1) != 0), "step " + step + ", token " + id);
                }
                // a random allowed token; no quote (it would end the string) before the last steps, unless forced
                List<Integer> inside = new ArrayList<>();
                List<Integer> any = new ArrayList<>();
                for (int id = 0; id < vocab; id++) {
                    if ((mask[id >> 6] >>> id & 1) != 0) {
                        any.add(id);
                        String text = new String(tok.pieceBytes(id), StandardCharsets.ISO_8859_1);
                        if (step == 0 ? text.equals("\"") : step > 150 || text.indexOf('"') < 0) {
                            inside.add(id);
                        }
                    }
                }
                List<Integer> from = inside.isEmpty() ? any : inside;
                state = state.step(tok.pieceBytes(from.get(random.nextInt(from.size()))));
            }
            int[] sizes = cache.sizes();
            assertTrue(sizes[1] * 2 < sizes[0], sizes[0] + " states kept with " + sizes[1] + " masks");
        }
    }
}
