package dev.lfm2vl.runtime.structured;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The allowed-token masks of one compiled schema over one vocabulary, kept per parse state, and the token
 * transitions between those states: the hot path of constrained decoding ({@link JsonSchema}'s constraint) then
 * copies a mask and follows a transition, allocating nothing, for every state and token met before (project rule:
 * no allocation per token). Parse states compare by value and the lexers keep nothing their future does not depend
 * on (a string without maxLength stops counting at its minLength, a number whose every completion is in bounds
 * forgets its digits), so the states inside one unconstrained string are one state; and states that differ only
 * where no token reaches ({@link ParseState#maskKey}: the count inside a long maxLength string) share one mask.
 *
 * <p>A token's effect on the budget is the fewest bytes that complete the document after it ({@code minAfter}); it is
 * allowed iff that fits in the tokens left after it. The masks keep the tokens whose {@code minAfter} is finite, and
 * apart the few whose {@code minAfter} exceeds the state's own shortest completion (most tokens keep or shorten it),
 * so any budget from the state's shortest completion up is served exactly from them; the one budget below that
 * (exactly the shortest completion: only tokens on a shortest path) has its own mask, made when first needed.
 *
 * <p>What allocates: meeting a mask key for the first time (one trie walk), a state (its entry), a transition (its
 * slot), or a state's tight mask; never the same again. Bounded memory: past {@link #MAX_BYTES} no new state is kept
 * and the constraint walks the token trie for such states as it would without a cache (same masks, allocating). Not
 * thread-safe, as the compiled schema.
 */
final class MaskCache {
    /** Masks, exception lists and transitions kept at most, in bytes (about 4000 states with a 65536-token vocabulary). */
    static final long MAX_BYTES = 32L << 20;

    final TokenTrie trie;
    private final Map<ParseState, Entry> entries = new HashMap<>();
    /** Masks by {@link ParseState#maskKey}: states that differ only where no token reaches share them. */
    private final Map<ParseState, Masks> masks = new HashMap<>();
    private long bytes;
    // the trie walk's stacks, reused: one walk at a time
    private final int[] nodeStack;
    private final int[] edgeStack;
    private final ParseState[] stateStack;
    // the exceptions a walk records (trie node, minAfter), grown as needed while an entry is made
    private int[] exceptionNodes = new int[64];
    private int[] exceptionMins = new int[64];
    private int exceptions;

    MaskCache(TokenTrie trie) {
        this.trie = trie;
        this.nodeStack = new int[trie.maxDepth + 1];
        this.edgeStack = new int[trie.maxDepth + 1];
        this.stateStack = new ParseState[trie.maxDepth + 1];
    }

    /** The entry of {@code state} (equal states share one), made now if new; null once the cache is full. */
    Entry entry(ParseState state) {
        Entry e = entries.get(state);
        if (e == null && bytes < MAX_BYTES) {
            ParseState key = state.maskKey(trie.maxDepth + 1);
            Masks m = masks.get(key);
            if (m == null) {
                m = new Masks(key);
                masks.put(key, m);
                bytes += m.bytes();
            }
            e = new Entry(state, m);
            entries.put(state, e);
            bytes += 64;
        }
        return e;
    }

    /** States kept, and masks kept (fewer: states that differ only where no token reaches share them). */
    int[] sizes() {
        return new int[] {entries.size(), masks.size()};
    }

    /** One parse state: its masks (shared with the states of the same mask key) and the transitions taken from it. */
    final class Entry {
        final ParseState state;
        private final Masks masks;
        // transitions: open addressing, token -> entry (keys -1 when free)
        private int[] keys;
        private Entry[] targets;
        private int transitions;

        private Entry(ParseState state, Masks masks) {
            this.state = state;
            this.masks = masks;
        }

        /** Fills {@code allowed} with the tokens allowed when {@code after} tokens may follow this one (>= state.minBytes() - 1). */
        void allowed(long[] allowed, int after) {
            masks.allowed(allowed, after);
        }

        /** The entry reached by {@code token} if that transition was taken before, else null. */
        Entry next(int token) {
            if (keys == null) {
                return null;
            }
            int mask = keys.length - 1;
            for (int h = mix(token) & mask; ; h = (h + 1) & mask) {
                int k = keys[h];
                if (k == token) {
                    return targets[h];
                }
                if (k == -1) {
                    return null;
                }
            }
        }

        /** Records that {@code token} leads to {@code target}. */
        void link(int token, Entry target) {
            if (keys == null || (transitions + 1) * 2 > keys.length) {
                int[] oldKeys = keys;
                Entry[] oldTargets = targets;
                int size = keys == null ? 8 : keys.length * 2;
                bytes += 12L * (size - (keys == null ? 0 : keys.length));
                keys = new int[size];
                Arrays.fill(keys, -1);
                targets = new Entry[size];
                transitions = 0;
                if (oldKeys != null) {
                    for (int h = 0; h < oldKeys.length; h++) {
                        if (oldKeys[h] != -1) {
                            put(oldKeys[h], oldTargets[h]);
                        }
                    }
                }
            }
            put(token, target);
        }

        private void put(int token, Entry target) {
            int mask = keys.length - 1;
            int h = mix(token) & mask;
            while (keys[h] != -1 && keys[h] != token) {
                h = (h + 1) & mask;
            }
            if (keys[h] == -1) {
                transitions++;
            }
            keys[h] = token;
            targets[h] = target;
        }
    }

    /**
     * The masks of a parse state, and of every state with the same {@link ParseState#maskKey}: for any budget from
     * the state's shortest completion up, the full mask less the few tokens that lengthen that completion beyond the
     * budget; for the one budget below (exactly the shortest completion), a mask of its own.
     */
    private final class Masks {
        private final ParseState state;
        /** Tokens with a finite minAfter (end of generation too when accepting): any budget from state.minBytes() up. */
        private final TokenSet full;
        /** Trie nodes whose tokens' minAfter exceeds state.minBytes(), by minAfter descending. */
        private final int[] outNodes;
        private final int[] outMins;
        /** The mask when the budget is exactly state.minBytes(); made on first use. */
        private TokenSet tight;

        private Masks(ParseState state) {
            this.state = state;
            long[] mask = new long[(trie.vocabSize + 63) >> 6];
            exceptions = 0;
            walk(state, Grammar.INF - 1, mask, true);
            this.full = TokenSet.of(mask, trie.vocabSize);
            Integer[] order = new Integer[exceptions];
            for (int k = 0; k < exceptions; k++) {
                order[k] = k;
            }
            int[] mins = exceptionMins;
            Arrays.sort(order, (x, y) -> Integer.compare(mins[y], mins[x]));
            outNodes = new int[exceptions];
            outMins = new int[exceptions];
            for (int k = 0; k < exceptions; k++) {
                outNodes[k] = exceptionNodes[order[k]];
                outMins[k] = exceptionMins[order[k]];
            }
        }

        private long bytes() {
            return full.bytes() + 8L * outNodes.length + 64;
        }

        void allowed(long[] allowed, int after) {
            if (after < state.minBytes()) {
                if (tight == null) {
                    long[] mask = new long[(trie.vocabSize + 63) >> 6];
                    walk(state, after, mask, false);
                    tight = TokenSet.of(mask, trie.vocabSize);
                    bytes += tight.bytes();
                }
                tight.copyTo(allowed);
                return;
            }
            full.copyTo(allowed);
            for (int k = 0; k < outNodes.length && outMins[k] > after; k++) {
                int node = outNodes[k];
                for (int t = trie.tokenStart[node]; t < trie.tokenStart[node + 1]; t++) {
                    int id = trie.tokens[t];
                    allowed[id >> 6] &= ~(1L << id);
                }
            }
        }
    }

    private static int mix(int token) {
        return token * 0x9E3779B1 >>> 7;
    }

    /**
     * Sets in {@code allowed} the tokens whose bytes step {@code state} to a live state whose shortest completion is at
     * most {@code after} bytes (end of generation too if {@code state} is complete); when {@code record}, also lists
     * the trie nodes whose tokens' shortest completion exceeds {@code state}'s own (see {@link Masks}).
     */
    void walk(ParseState state, int after, long[] allowed, boolean record) {
        if (state.accepting()) {
            for (int id : trie.endOfGeneration) {
                allowed[id >> 6] |= 1L << id;
            }
        }
        ParseState.Frame plain = state.plainStringBody();
        if (plain != null) {
            walkPlainString(state, after, allowed, record, plain);
            return;
        }
        int depth = enter(0, 0, state);
        while (depth >= 0) {
            int e = nextEdge(depth);
            if (e < 0) {
                depth--;
                continue;
            }
            ParseState next = stateStack[depth].step(trie.edgeByte[e] & 0xFF);
            if (next == null) {
                continue;
            }
            int child = trie.edgeChild[e];
            visit(state, child, next.minBytes(), after, allowed, record);
            if (next.canStep() && trie.edgeStart[child] < trie.edgeStart[child + 1]) {
                depth = enter(depth + 1, child, next);
            }
        }
    }

    /**
     * The trie walk from inside a plain string: while a path is only string content, its effect is a character count
     * and a UTF-8 state the trie precomputed, so nodes are judged without stepping the parser; the parse state is
     * built only where a path leaves the content (a closing quote, an escape).
     */
    private void walkPlainString(ParseState state, int after, long[] allowed, boolean record, ParseState.Frame top) {
        StringLexer lexer = (StringLexer) top.node();
        StringLexer.St base = (StringLexer.St) top.lex();
        int restMin = top.next() == null ? 0 : top.next().minRest();
        int depth = enter(0, 0, state);
        while (depth >= 0) {
            int e = nextEdge(depth);
            if (e < 0) {
                depth--;
                continue;
            }
            int child = trie.edgeChild[e];
            boolean hasChildren = trie.edgeStart[child] < trie.edgeStart[child + 1];
            int chars = trie.plainChars[child];
            if (chars >= 0) {
                int need = trie.utf8Need[child];
                long count = (long) base.count() + chars + (need > 0 ? 1 : 0);
                if (count > lexer.maxLength()) {
                    continue; // longer paths only add characters
                }
                visit(state, child, Grammar.add(lexer.minAfterContent((int) count, need), restMin), after, allowed, record);
                if (hasChildren) {
                    depth = enter(depth + 1, child, null); // its state built only if a path below leaves the content
                }
                continue;
            }
            int node = nodeStack[depth];
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
            visit(state, child, next.minBytes(), after, allowed, record);
            if (next.canStep() && hasChildren) {
                depth = enter(depth + 1, child, next);
            }
        }
    }

    /** Puts trie node {@code node}, reached with parse state {@code s}, on the walk's stack at {@code depth}. */
    private int enter(int depth, int node, ParseState s) {
        nodeStack[depth] = node;
        edgeStack[depth] = trie.edgeStart[node];
        stateStack[depth] = s;
        return depth;
    }

    /** The next edge to follow from the node at {@code depth}, or -1 when it has none left (its state dropped then). */
    private int nextEdge(int depth) {
        int e = edgeStack[depth];
        if (e == trie.edgeStart[nodeStack[depth] + 1]) {
            stateStack[depth] = null;
            return -1;
        }
        edgeStack[depth] = e + 1;
        return e;
    }

    /** The tokens ending at trie node {@code node} leave {@code minAfter} bytes at least to complete the document. */
    private void visit(ParseState from, int node, int minAfter, int after, long[] allowed, boolean record) {
        if (minAfter > after || trie.tokenStart[node] == trie.tokenStart[node + 1]) {
            return;
        }
        for (int t = trie.tokenStart[node]; t < trie.tokenStart[node + 1]; t++) {
            int id = trie.tokens[t];
            allowed[id >> 6] |= 1L << id;
        }
        if (record && minAfter > from.minBytes()) {
            if (exceptions == exceptionNodes.length) {
                exceptionNodes = Arrays.copyOf(exceptionNodes, exceptions * 2);
                exceptionMins = Arrays.copyOf(exceptionMins, exceptions * 2);
            }
            exceptionNodes[exceptions] = node;
            exceptionMins[exceptions] = minAfter;
            exceptions++;
        }
    }

    /** A set of token ids, as a bit mask or, when few, as a list (most grammar states allow a handful of tokens). */
    private record TokenSet(long[] words, int[] ids) {
        static TokenSet of(long[] mask, int vocab) {
            int n = 0;
            for (long w : mask) {
                n += Long.bitCount(w);
            }
            if ((long) n * 32 >= vocab) {
                return new TokenSet(mask, null);
            }
            int[] ids = new int[n];
            int k = 0;
            for (int w = 0; w < mask.length; w++) {
                for (long r = mask[w]; r != 0; r &= r - 1) {
                    ids[k++] = (w << 6) + Long.numberOfTrailingZeros(r);
                }
            }
            return new TokenSet(null, ids);
        }

        void copyTo(long[] allowed) {
            if (words != null) {
                System.arraycopy(words, 0, allowed, 0, words.length);
                Arrays.fill(allowed, words.length, allowed.length, 0L);
                return;
            }
            Arrays.fill(allowed, 0L);
            for (int id : ids) {
                allowed[id >> 6] |= 1L << id;
            }
        }

        long bytes() {
            return words != null ? 8L * words.length : 4L * ids.length;
        }
    }
}
