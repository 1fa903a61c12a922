package dev.lfm2vl.runtime.structured;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * A JSON string token, quotes included, under {@code minLength}/{@code maxLength} (in code points) and an optional
 * {@link AsciiPattern} (pattern or format). The bytes must be valid UTF-8; the escapes generated are the short ones
 * ({@code \" \\ \b \f \n \r \t}): no {@code \}{@code u} escapes, so other control characters cannot be written.
 * Under a pattern only printable ASCII, tab and newline are generated. Object keys beyond the declared ones use
 * {@link #key} with the declared names excluded.
 */
final class StringLexer extends Grammar.Lexer {
    private static final int OPEN = 0, BODY = 1, ESC = 2, UTF8 = 3, DONE = 4;
    private static final byte[] ESCAPES = {'"', '\\', 'b', 'f', 'n', 'r', 't'};
    private static final int[] ESCAPED = {'"', '\\', '\b', '\f', '\n', '\r', '\t'};

    /**
     * Immutable lexer state, compared by value; {@code count} includes a character whose escape or UTF-8 bytes are in
     * progress. States keep only what the rest of the string depends on ({@link #st}), so that equal futures are
     * equal states (one token mask for them, {@link MaskCache}).
     */
    record St(int phase, int count, int need, int nextLo, int nextHi, long nfa, long excluded, int contentBytes) {}

    private final int minLength;
    private final int maxLength; // Integer.MAX_VALUE: none
    private final AsciiPattern pattern;
    private final byte[][] excludedNames;
    private final St start;
    private final Map<Long, Map<Integer, Integer>> memo = new HashMap<>();

    StringLexer(int minLength, int maxLength, AsciiPattern pattern, byte[][] excludedNames) {
        this.minLength = minLength;
        this.maxLength = maxLength;
        this.pattern = pattern;
        this.excludedNames = excludedNames;
        if (excludedNames != null && excludedNames.length > 64) {
            throw new SchemaException("more than 64 declared properties together with additionalProperties");
        }
        long all = excludedNames == null ? 0 : excludedNames.length == 64 ? -1L : (1L << excludedNames.length) - 1;
        this.start = st(OPEN, 0, 0, 0, 0, AsciiPattern.START, all, 0);
    }

    /**
     * A state with what its future cannot depend on dropped: without maxLength, a count past minLength (it is only
     * compared with minLength then); once no excluded name is still matched, the content bytes (they only index
     * those names); outside a UTF-8 character, the range of its next byte.
     */
    private St st(int phase, int count, int need, int nextLo, int nextHi, long nfa, long excluded, int contentBytes) {
        if (maxLength == Integer.MAX_VALUE && count > minLength) {
            count = minLength;
        }
        if (excluded == 0) {
            contentBytes = 0;
        }
        if (phase != UTF8) {
            nextLo = 0;
            nextHi = 0;
        }
        return new St(phase, count, need, nextLo, nextHi, nfa, excluded, contentBytes);
    }

    /**
     * {@code state} as far as the next {@code horizon} bytes can tell ({@link ParseState#maskKey}): a plain string's
     * count between its minLength and {@code horizon} characters short of its maxLength becomes its minLength (each
     * byte adds one character at most, so no path of {@code horizon} bytes meets either bound).
     */
    Object maskKey(Object state, int horizon) {
        St s = (St) state;
        if (!plain() || maxLength == Integer.MAX_VALUE || s.phase == OPEN || s.phase == DONE || s.count <= minLength
                || (long) s.count + horizon >= maxLength) {
            return state;
        }
        return new St(s.phase, minLength, s.need, s.nextLo, s.nextHi, s.nfa, s.excluded, s.contentBytes);
    }

    /** No pattern and no excluded names: content bytes only count characters (the token trie's fast walk). */
    boolean plain() {
        return pattern == null && excludedNames == null;
    }

    int maxLength() {
        return maxLength;
    }

    /** Fewest bytes to complete from {@code count} characters with {@code need} UTF-8 continuation bytes pending. */
    int minAfterContent(int count, int need) {
        return Grammar.add(need, closeMin(count));
    }

    /** The body state after plain content: {@code count} characters (a pending one included), UTF-8 state as given. */
    St content(St from, int count, int need, int nextLo, int nextHi, int bytes) {
        return st(need > 0 ? UTF8 : BODY, count, need, nextLo, nextHi, from.nfa, from.excluded, from.contentBytes + bytes);
    }

    /** Whether {@code state} is inside the characters (not after a backslash, not inside a UTF-8 character). */
    static boolean inBody(Object state) {
        return state instanceof St s && s.phase == BODY;
    }

    /**
     * The content bytes this lexer writes for {@code text}: its own escapes, every other character as is (a name
     * with a character it cannot write is never written, so comparing with these bytes still tells names apart).
     */
    static byte[] written(String text) {
        StringBuilder b = new StringBuilder(text.length());
        for (int k = 0; k < text.length(); k++) {
            char c = text.charAt(k);
            int e = 0;
            while (e < ESCAPED.length && ESCAPED[e] != c) {
                e++;
            }
            if (e < ESCAPED.length) {
                b.append('\\').append((char) ESCAPES[e]);
            } else {
                b.append(c);
            }
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    static StringLexer key(byte[][] excluded) {
        return new StringLexer(0, Integer.MAX_VALUE, null, excluded);
    }

    @Override
    Object start() {
        return start;
    }

    @Override
    boolean complete(Object state) {
        return ((St) state).phase == DONE;
    }

    @Override
    boolean canContinue(Object state) {
        return ((St) state).phase != DONE;
    }

    @Override
    Object step(Object state, int b) {
        St s = (St) state;
        St n = switch (s.phase) {
            case OPEN -> b == '"' ? st(BODY, 0, 0, 0, 0, s.nfa, s.excluded, 0) : null;
            case BODY -> body(s, b);
            case ESC -> escape(s, b);
            case UTF8 -> {
                if (b < s.nextLo || b > s.nextHi) {
                    yield null;
                }
                long ex = excluded(s, b);
                yield s.need == 1 ? st(BODY, s.count, 0, 0, 0, s.nfa, ex, s.contentBytes + 1)
                        : st(UTF8, s.count, s.need - 1, 0x80, 0xBF, s.nfa, ex, s.contentBytes + 1);
            }
            default -> null;
        };
        return n == null || minBytes(n) >= Grammar.INF ? null : n;
    }

    private St body(St s, int b) {
        if (b == '"') {
            if (s.count < minLength || (pattern != null && !pattern.accepts(s.nfa)) || exactlyExcluded(s.excluded, s.contentBytes)) {
                return null;
            }
            return st(DONE, s.count, 0, 0, 0, s.nfa, 0, s.contentBytes);
        }
        if (s.count + 1 > maxLength || b < 0x20) {
            return null;
        }
        long ex = excluded(s, b);
        if (b == '\\') {
            return st(ESC, s.count + 1, 0, 0, 0, s.nfa, ex, s.contentBytes + 1);
        }
        if (b < 0x80) {
            long nfa = s.nfa;
            if (pattern != null) {
                if (b == 0x7F || (nfa = pattern.step(nfa, b)) == 0) {
                    return null;
                }
            }
            return st(BODY, s.count + 1, 0, 0, 0, nfa, ex, s.contentBytes + 1);
        }
        if (pattern != null) {
            return null;
        }
        int need;
        int lo = 0x80;
        int hi = 0xBF;
        if (b >= 0xC2 && b <= 0xDF) {
            need = 1;
        } else if (b >= 0xE0 && b <= 0xEF) {
            need = 2;
            if (b == 0xE0) {
                lo = 0xA0;
            } else if (b == 0xED) {
                hi = 0x9F;
            }
        } else if (b >= 0xF0 && b <= 0xF4) {
            need = 3;
            if (b == 0xF0) {
                lo = 0x90;
            } else if (b == 0xF4) {
                hi = 0x8F;
            }
        } else {
            return null;
        }
        return st(UTF8, s.count + 1, need, lo, hi, s.nfa, ex, s.contentBytes + 1);
    }

    private St escape(St s, int b) {
        for (int k = 0; k < ESCAPES.length; k++) {
            if (ESCAPES[k] == b) {
                long nfa = s.nfa;
                if (pattern != null && (nfa = pattern.step(nfa, ESCAPED[k])) == 0) {
                    return null;
                }
                return st(BODY, s.count, 0, 0, 0, nfa, excluded(s, b), s.contentBytes + 1);
            }
        }
        return null;
    }

    /** The excluded names still equal to the content so far once byte {@code b} is appended. */
    private long excluded(St s, int b) {
        long alive = 0;
        for (long r = s.excluded; r != 0; r &= r - 1) {
            int k = Long.numberOfTrailingZeros(r);
            byte[] name = excludedNames[k];
            if (name.length > s.contentBytes && (name[s.contentBytes] & 0xFF) == b) {
                alive |= 1L << k;
            }
        }
        return alive;
    }

    private boolean exactlyExcluded(long alive, int contentBytes) {
        for (long r = alive; r != 0; r &= r - 1) {
            if (excludedNames[Long.numberOfTrailingZeros(r)].length == contentBytes) {
                return true;
            }
        }
        return false;
    }

    @Override
    int minBytes(Object state) {
        St s = (St) state;
        return switch (s.phase) {
            case DONE -> 0;
            case OPEN -> Grammar.add(1, bodyMin(s.nfa, 0, s.excluded, 0));
            case BODY -> bodyMin(s.nfa, s.count, s.excluded, s.contentBytes);
            case ESC -> {
                if (pattern == null) {
                    yield Grammar.add(1, closeMin(s.count));
                }
                int best = Grammar.INF;
                for (int c : ESCAPED) {
                    long nfa = pattern.step(s.nfa, c);
                    if (nfa != 0) {
                        best = Math.min(best, Grammar.add(1, patternMin(nfa, s.count)));
                    }
                }
                yield best;
            }
            case UTF8 -> Grammar.add(s.need, closeMin(s.count));
            default -> Grammar.INF;
        };
    }

    /** Without a pattern: the characters still needed (ASCII, one byte each) plus the closing quote. */
    private int closeMin(int count) {
        int need = Math.max(0, minLength - count);
        return count + need > maxLength ? Grammar.INF : need + 1;
    }

    private int bodyMin(long nfa, int count, long excluded, int contentBytes) {
        if (pattern != null) {
            return patternMin(nfa, count);
        }
        int need = Math.max(0, minLength - count);
        if (need == 0 && exactlyExcluded(excluded, contentBytes)) {
            need = 1; // one more character (some character differs from every excluded name)
        }
        return count + need > maxLength ? Grammar.INF : need + 1;
    }

    /**
     * Fewest bytes (characters, escapes counted as two bytes, then the closing quote) that take the pattern's state
     * set to acceptance with a length in [minLength, maxLength]: a shortest-path search over the automaton, layered
     * by length, memoised per (state set, length).
     */
    private int patternMin(long nfa, int count) {
        Map<Integer, Integer> byCount = memo.computeIfAbsent(nfa, k -> new HashMap<>());
        Integer known = byCount.get(count);
        if (known != null) {
            return known;
        }
        int n = pattern.positions();
        int[] cost = new int[n + 1];
        for (int q = 1; q <= n; q++) {
            cost[q] = charCost(q);
        }
        int[] dist = new int[n + 1];
        java.util.Arrays.fill(dist, Grammar.INF);
        for (long r = nfa; r != 0; r &= r - 1) {
            dist[Long.numberOfTrailingZeros(r)] = 0;
        }
        int best = Grammar.INF;
        int needed = Math.max(0, minLength - count);
        long room = (long) maxLength - count;
        int limit = (int) Math.min(room, needed + n + 1L);
        for (int len = 0; len <= limit && len < best; len++) {
            if (len >= needed) {
                for (int q = 0; q <= n; q++) {
                    if (dist[q] < best && pattern.accepting(q)) {
                        best = dist[q];
                    }
                }
            }
            int[] next = new int[n + 1];
            java.util.Arrays.fill(next, Grammar.INF);
            for (int q = 0; q <= n; q++) {
                if (dist[q] >= Grammar.INF) {
                    continue;
                }
                for (long r = pattern.follow(q); r != 0; r &= r - 1) {
                    int t = Long.numberOfTrailingZeros(r);
                    next[t] = Math.min(next[t], Grammar.add(dist[q], cost[t]));
                }
            }
            dist = next;
        }
        int result = Grammar.add(best, 1);
        byCount.put(count, result);
        return result;
    }

    /** Fewest bytes of a generatable character of position {@code q} (escapes take two). */
    private int charCost(int q) {
        int best = Grammar.INF;
        for (int c = 0; c < 128 && best > 1; c++) {
            if (!pattern.matches(q, c)) {
                continue;
            }
            if (c >= 0x20 && c < 0x7F) {
                best = Math.min(best, c == '"' || c == '\\' ? 2 : 1);
            } else if (c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') {
                best = Math.min(best, 2);
            }
        }
        return best;
    }
}
