package dev.lfm2vl.runtime.structured;

import dev.lfm2vl.runtime.TokenConstraint;
import dev.lfm2vl.runtime.Tokenizer;
import java.util.Arrays;

/**
 * A JSON Schema compiled for constrained decoding (README "Structured output"): {@link #compile} checks the schema
 * (one-line {@link SchemaException} naming the keyword and JSON pointer of anything unsupported) and builds its
 * grammar; {@link #constraint} starts a document for one generation. Output is compact JSON (no whitespace, object
 * members in schema order). Not thread-safe: one generation at a time per compiled schema.
 */
public final class JsonSchema {
    private final Grammar.Node root;
    private final ParseState start;

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
        return new Constraint(trie, tokenizer);
    }

    /** Walks the token trie from the current parse state, allowing each token whose bytes keep a completable prefix. */
    private final class Constraint implements TokenConstraint {
        private final TokenTrie trie;
        private final Tokenizer tokenizer;
        private ParseState state = start;
        private boolean ended;
        private final int[] nodeStack;
        private final int[] edgeStack;
        private final ParseState[] stateStack;

        Constraint(TokenTrie trie, Tokenizer tokenizer) {
            this.trie = trie;
            this.tokenizer = tokenizer;
            this.nodeStack = new int[trie.maxDepth + 1];
            this.edgeStack = new int[trie.maxDepth + 1];
            this.stateStack = new ParseState[trie.maxDepth + 1];
        }

        @Override
        public int minTokens() {
            return ended ? 0 : state.minBytes();
        }

        @Override
        public void allowed(long[] allowed, int budget) {
            Arrays.fill(allowed, 0L);
            if (ended) {
                return;
            }
            if (state.minBytes() > budget) {
                throw new SchemaException("the token limit (" + budget + " more tokens) is too small for the shortest document the JSON schema accepts ("
                        + state.minBytes() + " more tokens); raise -n / max tokens");
            }
            if (state.accepting()) {
                for (int id : trie.endOfGeneration) {
                    allowed[id >> 6] |= 1L << id;
                }
            }
            int after = budget - 1; // tokens left once this one is generated
            ParseState.Frame plain = state.plainStringBody();
            if (plain != null) {
                walkPlainString(allowed, after, plain);
                return;
            }
            int depth = 0;
            nodeStack[0] = 0;
            edgeStack[0] = trie.edgeStart[0];
            stateStack[0] = state;
            while (depth >= 0) {
                int node = nodeStack[depth];
                int e = edgeStack[depth];
                if (e == trie.edgeStart[node + 1]) {
                    stateStack[depth] = null;
                    depth--;
                    continue;
                }
                edgeStack[depth] = e + 1;
                ParseState next = stateStack[depth].step(trie.edgeByte[e] & 0xFF);
                if (next == null) {
                    continue;
                }
                int child = trie.edgeChild[e];
                if (next.minBytes() <= after) {
                    for (int t = trie.tokenStart[child]; t < trie.tokenStart[child + 1]; t++) {
                        int id = trie.tokens[t];
                        allowed[id >> 6] |= 1L << id;
                    }
                }
                if (next.canStep() && trie.edgeStart[child] < trie.edgeStart[child + 1]) {
                    depth++;
                    nodeStack[depth] = child;
                    edgeStack[depth] = trie.edgeStart[child];
                    stateStack[depth] = next;
                }
            }
        }

        /**
         * The trie walk from inside a plain string: while a path is only string content, its effect is a character
         * count and a UTF-8 state the trie precomputed, so nodes are judged without stepping the parser; the parse
         * state is built only where a path leaves the content (a closing quote, an escape).
         */
        private void walkPlainString(long[] allowed, int after, ParseState.Frame top) {
            StringLexer lexer = (StringLexer) top.node();
            StringLexer.St base = (StringLexer.St) top.lex();
            int restMin = top.next() == null ? 0 : top.next().minRest();
            int depth = 0;
            nodeStack[0] = 0;
            edgeStack[0] = trie.edgeStart[0];
            stateStack[0] = state;
            while (depth >= 0) {
                int node = nodeStack[depth];
                int e = edgeStack[depth];
                if (e == trie.edgeStart[node + 1]) {
                    stateStack[depth] = null;
                    depth--;
                    continue;
                }
                edgeStack[depth] = e + 1;
                int child = trie.edgeChild[e];
                boolean hasChildren = trie.edgeStart[child] < trie.edgeStart[child + 1];
                int chars = trie.plainChars[child];
                if (chars >= 0) {
                    int need = trie.utf8Need[child];
                    int count = base.count() + chars + (need > 0 ? 1 : 0);
                    if (count > lexer.maxLength()) {
                        continue; // longer paths only add characters
                    }
                    if (Grammar.add(lexer.minAfterContent(count, need), restMin) <= after) {
                        allowTokens(allowed, child);
                    }
                    if (hasChildren) {
                        depth++;
                        nodeStack[depth] = child;
                        edgeStack[depth] = trie.edgeStart[child];
                        stateStack[depth] = null; // built only if a path below leaves the string content
                    }
                    continue;
                }
                ParseState from = stateStack[depth];
                if (from == null) { // the parent is plain content: build its state now
                    int need = trie.utf8Need[node];
                    int count = base.count() + trie.plainChars[node] + (need > 0 ? 1 : 0);
                    from = ParseState.withLexer(top, lexer.content(base, count, need, trie.utf8Lo[node] & 0xFF, trie.utf8Hi[node] & 0xFF, depth));
                    stateStack[depth] = from;
                }
                ParseState next = from.step(trie.edgeByte[e] & 0xFF);
                if (next == null) {
                    continue;
                }
                if (next.minBytes() <= after) {
                    allowTokens(allowed, child);
                }
                if (next.canStep() && hasChildren) {
                    depth++;
                    nodeStack[depth] = child;
                    edgeStack[depth] = trie.edgeStart[child];
                    stateStack[depth] = next;
                }
            }
        }

        private void allowTokens(long[] allowed, int node) {
            for (int t = trie.tokenStart[node]; t < trie.tokenStart[node + 1]; t++) {
                int id = trie.tokens[t];
                allowed[id >> 6] |= 1L << id;
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
            ParseState next = state.step(tokenizer.pieceBytes(token));
            if (next == null) {
                throw new IllegalStateException("token " + token + " was not allowed by the JSON schema");
            }
            state = next;
        }
    }
}
