package dev.lfm2vl.runtime.structured;

import dev.lfm2vl.runtime.TokenConstraint;
import dev.lfm2vl.runtime.Tokenizer;
import java.util.Arrays;

/**
 * A JSON Schema compiled for constrained decoding (README "Structured output"): {@link #compile} checks the schema
 * (one-line {@link SchemaException} naming the keyword and JSON pointer of anything unsupported) and builds its
 * grammar; {@link #constraint} starts a document for one generation. Output is compact JSON (no whitespace, object
 * members in schema order). Not thread-safe: one generation at a time per compiled schema (its parse states' token
 * masks are kept and reused by every generation, see {@link MaskCache}).
 */
public final class JsonSchema {
    private final Grammar.Node root;
    private final ParseState start;
    /** The allowed-token masks of this schema's parse states over the last vocabulary used, shared by its generations. */
    private MaskCache masks;

    private JsonSchema(Grammar.Node root) {
        this.root = root;
        this.start = ParseState.start(root);
    }

    /** Parses and compiles a schema given as JSON text. */
    public static JsonSchema compile(String schemaJson) {
        return new JsonSchema(SchemaCompiler.compile(schemaJson));
    }

    /** The fewest bytes (so, with a byte-level vocabulary, at most this many tokens) of an accepted document. */
    public int minDocumentBytes() {
        return start.minBytes();
    }

    /** Whether {@code json} is exactly a document this engine could generate (compact, members in schema order). */
    public boolean accepts(String json) {
        ParseState s = start.step(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return s != null && s.accepting();
    }

    /** A fresh document for one generation over {@code tokenizer}'s vocabulary (its trie is built once and shared). */
    public TokenConstraint constraint(Tokenizer tokenizer) {
        TokenTrie trie = TokenTrie.of(tokenizer);
        if (!trie.singleBytes) {
            throw new IllegalStateException("structured output needs a byte-level vocabulary with every byte as a token");
        }
        if (masks == null || masks.trie != trie) {
            masks = new MaskCache(trie);
        }
        return new Constraint(masks, tokenizer);
    }

    /**
     * Follows the document token by token. The allowed tokens of a parse state come from the schema's {@link
     * MaskCache}: a state met before (in this generation or an earlier one) costs a mask copy and a transition
     * lookup, nothing allocated; a new one is walked over the token trie once.
     */
    private final class Constraint implements TokenConstraint {
        private final MaskCache masks;
        private final Tokenizer tokenizer;
        private ParseState state = start;
        /** The cache's entry of {@link #state}; null when the cache is full and the state is not in it. */
        private MaskCache.Entry entry;
        /** Whether {@link #entry} was looked up: on first use, so making a constraint never touches the shared cache. */
        private boolean looked;
        private boolean ended;

        Constraint(MaskCache masks, Tokenizer tokenizer) {
            this.masks = masks;
            this.tokenizer = tokenizer;
        }

        private MaskCache.Entry entry() {
            if (!looked) {
                entry = masks.entry(state);
                looked = true;
            }
            return entry;
        }

        @Override
        public int minTokens() {
            return ended ? 0 : state.minBytes();
        }

        @Override
        public void allowed(long[] allowed, int budget) {
            if (ended) {
                Arrays.fill(allowed, 0L);
                return;
            }
            if (state.minBytes() > budget) {
                throw new SchemaException("the token limit (" + budget + " more tokens) is too small for the shortest document the JSON schema accepts ("
                        + state.minBytes() + " more tokens); raise -n / max tokens");
            }
            int after = budget - 1; // tokens left once this one is generated
            if (entry() != null) {
                entry.allowed(allowed, after);
            } else {
                Arrays.fill(allowed, 0L);
                masks.walk(state, after, allowed, false);
            }
        }

        @Override
        public void accept(int token) {
            if (tokenizer.isEndOfGeneration(token)) {
                if (!state.accepting()) {
                    throw new IllegalStateException("end of generation before the JSON document is complete");
                }
                ended = true;
                return;
            }
            MaskCache.Entry known = entry() == null ? null : entry.next(token);
            if (known != null) {
                entry = known;
                state = known.state;
                return;
            }
            ParseState next = state.step(tokenizer.pieceBytes(token));
            if (next == null) {
                throw new IllegalStateException("token " + token + " was not allowed by the JSON schema");
            }
            MaskCache.Entry reached = masks.entry(next);
            if (entry != null && reached != null) {
                entry.link(token, reached);
            }
            entry = reached;
            state = reached == null ? next : reached.state;
        }
    }
}
