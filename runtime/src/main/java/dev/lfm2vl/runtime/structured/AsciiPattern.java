package dev.lfm2vl.runtime.structured;

import java.util.ArrayList;
import java.util.List;

/**
 * A {@code pattern} of the documented regex subset, compiled to a Glushkov automaton over ASCII with at most 63
 * character positions, so a set of automaton states is one {@code long} (bit 0: the start state). The subset
 * (ECMA-262 syntax): literals, {@code .}, classes {@code [a-z_]} / {@code [^...]}, escapes {@code \d \w \s \D \W \S}
 * and escaped punctuation, groups {@code (...)} / {@code (?:...)}, alternation, quantifiers {@code * + ? {n} {n,}
 * {n,m}} (lazy forms accepted: they match the same strings), {@code ^} only at the start and {@code $} only at the
 * end. As in JSON Schema the pattern is unanchored unless {@code ^}/{@code $} say otherwise. Strings generated under
 * a pattern use printable ASCII plus tab and newline. Anything else is refused with the pattern's pointer.
 */
final class AsciiPattern {
    static final int MAX_POSITIONS = 63;

    /** Per position (1..n) the ASCII characters it matches, as two 64-bit halves. */
    private final long[] lo = new long[MAX_POSITIONS + 1];
    private final long[] hi = new long[MAX_POSITIONS + 1];
    /** Per position the positions that may follow it (position 0 is the start state). */
    private final long[] follow = new long[MAX_POSITIONS + 1];
    /** Per ASCII character the positions whose class contains it. */
    private final long[] withChar = new long[128];
    private long last;
    private boolean nullable;
    private int positions;
    private final String pointer;

    private AsciiPattern(String pointer) {
        this.pointer = pointer;
    }

    static final long START = 1L;

    /** Compiles {@code regex}; {@code pointer} names the keyword in errors. */
    static AsciiPattern compile(String regex, String pointer) {
        AsciiPattern p = new AsciiPattern(pointer);
        Parser parser = new Parser(regex, p);
        Ast ast = parser.parse();
        Frag f = p.build(ast);
        p.follow[0] = f.first;
        p.last = f.last;
        p.nullable = f.nullable;
        for (int c = 0; c < 128; c++) {
            long m = 0;
            for (int q = 1; q <= p.positions; q++) {
                if (p.matches(q, c)) {
                    m |= 1L << q;
                }
            }
            p.withChar[c] = m;
        }
        return p;
    }

    boolean matches(int position, int c) {
        return c < 64 ? (lo[position] >>> c & 1) != 0 : (hi[position] >>> (c - 64) & 1) != 0;
    }

    int positions() {
        return positions;
    }

    long follow(int position) {
        return follow[position];
    }

    /** The state set after reading ASCII character {@code c} in state set {@code s} (0: no match possible). */
    long step(long s, int c) {
        if (c >= 128) {
            return 0;
        }
        long next = 0;
        for (long r = s; r != 0; r &= r - 1) {
            next |= follow[Long.numberOfTrailingZeros(r)];
        }
        return next & withChar[c];
    }

    boolean accepts(long s) {
        return (s & last) != 0 || ((s & START) != 0 && nullable);
    }

    /** Whether position {@code q} (or the start state, 0, when the pattern is nullable) is accepting. */
    boolean accepting(int q) {
        return q == 0 ? nullable : (last >>> q & 1) != 0;
    }

    // ---------------------------------------------------------------- Glushkov construction

    private record Frag(boolean nullable, long first, long last) {}

    private Frag build(Ast a) {
        return switch (a) {
            case Ast.Chars c -> {
                if (positions == MAX_POSITIONS) {
                    throw SchemaException.at(pointer, "pattern too large (more than " + MAX_POSITIONS
                            + " character positions once repeats are expanded)");
                }
                int q = ++positions;
                lo[q] = c.lo;
                hi[q] = c.hi;
                yield new Frag(false, 1L << q, 1L << q);
            }
            case Ast.Empty e -> new Frag(true, 0, 0);
            case Ast.Concat c -> {
                Frag f = build(c.parts.get(0));
                for (int k = 1; k < c.parts.size(); k++) {
                    f = concat(f, build(c.parts.get(k)));
                }
                yield f;
            }
            case Ast.Alt alt -> {
                boolean n = false;
                long first = 0;
                long lst = 0;
                for (Ast o : alt.options) {
                    Frag f = build(o);
                    n |= f.nullable;
                    first |= f.first;
                    lst |= f.last;
                }
                yield new Frag(n, first, lst);
            }
            case Ast.Repeat r -> {
                Frag f = new Frag(true, 0, 0);
                for (int k = 0; k < r.min; k++) {
                    f = concat(f, build(r.body));
                }
                if (r.max < 0) {
                    Frag loop = build(r.body);
                    for (long l = loop.last; l != 0; l &= l - 1) {
                        follow[Long.numberOfTrailingZeros(l)] |= loop.first;
                    }
                    f = concat(f, new Frag(true, loop.first, loop.last));
                } else {
                    for (int k = r.min; k < r.max; k++) {
                        Frag o = build(r.body);
                        f = concat(f, new Frag(true, o.first, o.last));
                    }
                }
                yield f;
            }
        };
    }

    private Frag concat(Frag a, Frag b) {
        for (long l = a.last; l != 0; l &= l - 1) {
            follow[Long.numberOfTrailingZeros(l)] |= b.first;
        }
        return new Frag(a.nullable && b.nullable, a.nullable ? a.first | b.first : a.first,
                b.nullable ? a.last | b.last : b.last);
    }

    // ---------------------------------------------------------------- parsing

    private sealed interface Ast {
        record Chars(long lo, long hi) implements Ast {}
        record Empty() implements Ast {}
        record Concat(List<Ast> parts) implements Ast {}
        record Alt(List<Ast> options) implements Ast {}
        record Repeat(Ast body, int min, int max) implements Ast {}
    }

    private static final class Parser {
        private final String s;
        private final AsciiPattern owner;
        private int i;

        Parser(String s, AsciiPattern owner) {
            this.s = s;
            this.owner = owner;
        }

        Ast parse() {
            boolean anchoredStart = s.startsWith("^");
            if (anchoredStart) {
                i = 1;
            }
            Ast body = alternation(0);
            boolean anchoredEnd = false;
            if (i < s.length() && s.charAt(i) == '$' && i == s.length() - 1) {
                anchoredEnd = true;
                i++;
            }
            if (i != s.length()) {
                throw fail("unsupported pattern syntax '" + s.charAt(i) + "' at character " + i + " (see the documented subset)");
            }
            List<Ast> parts = new ArrayList<>();
            Ast any = new Ast.Repeat(new Ast.Chars(-1L & ~0L, -1L), 0, -1);
            if (!anchoredStart) {
                parts.add(any);
            }
            parts.add(body);
            if (!anchoredEnd) {
                parts.add(any);
            }
            return new Ast.Concat(parts);
        }

        private Ast alternation(int depth) {
            if (depth > 32) {
                throw fail("pattern nested too deeply");
            }
            List<Ast> options = new ArrayList<>();
            options.add(concat(depth));
            while (i < s.length() && s.charAt(i) == '|') {
                i++;
                options.add(concat(depth));
            }
            return options.size() == 1 ? options.get(0) : new Ast.Alt(options);
        }

        private Ast concat(int depth) {
            List<Ast> parts = new ArrayList<>();
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c == '|' || c == ')' || (c == '$' && i == s.length() - 1)) {
                    break;
                }
                parts.add(quantified(atom(depth)));
            }
            return parts.isEmpty() ? new Ast.Empty() : parts.size() == 1 ? parts.get(0) : new Ast.Concat(parts);
        }

        private Ast quantified(Ast a) {
            while (i < s.length()) {
                char c = s.charAt(i);
                int min;
                int max;
                if (c == '*') {
                    min = 0;
                    max = -1;
                    i++;
                } else if (c == '+') {
                    min = 1;
                    max = -1;
                    i++;
                } else if (c == '?') {
                    min = 0;
                    max = 1;
                    i++;
                } else if (c == '{' && i + 1 < s.length() && Character.isDigit(s.charAt(i + 1))) {
                    i++;
                    min = number();
                    max = min;
                    if (peek() == ',') {
                        i++;
                        max = peek() == '}' ? -1 : number();
                    }
                    if (peek() != '}') {
                        throw fail("bad {n,m} quantifier in pattern");
                    }
                    i++;
                    if (max >= 0 && max < min) {
                        throw fail("pattern quantifier {" + min + "," + max + "} has max < min");
                    }
                } else {
                    return a;
                }
                if (peek() == '?') {
                    i++; // lazy: same language
                }
                a = new Ast.Repeat(a, min, max);
            }
            return a;
        }

        private int number() {
            int start = i;
            while (i < s.length() && Character.isDigit(s.charAt(i)) && i - start < 4) {
                i++;
            }
            if (i < s.length() && Character.isDigit(s.charAt(i))) {
                throw fail("pattern repeat count too large");
            }
            return Integer.parseInt(s.substring(start, i));
        }

        private char peek() {
            return i < s.length() ? s.charAt(i) : 0;
        }

        private Ast atom(int depth) {
            char c = s.charAt(i++);
            switch (c) {
                case '(' -> {
                    if (peek() == '?') {
                        if (i + 1 < s.length() && s.charAt(i + 1) == ':') {
                            i += 2;
                        } else {
                            throw fail("unsupported pattern group '(?" + (i + 1 < s.length() ? s.charAt(i + 1) : ' ') + "' (lookaround, named groups)");
                        }
                    }
                    Ast a = alternation(depth + 1);
                    if (peek() != ')') {
                        throw fail("unbalanced parenthesis in pattern");
                    }
                    i++;
                    return a;
                }
                case '[' -> {
                    return charClass();
                }
                case '.' -> {
                    long[] m = range(0, 127);
                    m[0] &= ~((1L << '\n') | (1L << '\r'));
                    return new Ast.Chars(m[0], m[1]);
                }
                case '\\' -> {
                    long[] m = escape(false);
                    return new Ast.Chars(m[0], m[1]);
                }
                case '*', '+', '?', ')', '{', '}', ']', '^', '$' ->
                        throw fail("unsupported pattern syntax '" + c + "' at character " + (i - 1));
                default -> {
                    if (c >= 128) {
                        throw fail("pattern has a non-ASCII character (generated pattern strings are ASCII)");
                    }
                    long[] m = range(c, c);
                    return new Ast.Chars(m[0], m[1]);
                }
            }
        }

        private Ast charClass() {
            boolean negate = peek() == '^';
            if (negate) {
                i++;
            }
            long l = 0;
            long h = 0;
            boolean first = true;
            while (true) {
                if (i >= s.length()) {
                    throw fail("unterminated character class in pattern");
                }
                char c = s.charAt(i);
                if (c == ']' && !first) {
                    i++;
                    break;
                }
                first = false;
                i++;
                long[] m;
                int from;
                if (c == '\\') {
                    m = escape(true);
                    from = m[2] >= 0 ? (int) m[2] : -1;
                } else {
                    if (c >= 128) {
                        throw fail("pattern has a non-ASCII character (generated pattern strings are ASCII)");
                    }
                    m = range(c, c);
                    from = c;
                }
                if (from >= 0 && peek() == '-' && i + 1 < s.length() && s.charAt(i + 1) != ']') {
                    i++;
                    char t = s.charAt(i++);
                    int to;
                    if (t == '\\') {
                        long[] e = escape(true);
                        if (e[2] < 0) {
                            throw fail("bad range in pattern class");
                        }
                        to = (int) e[2];
                    } else {
                        to = t;
                    }
                    if (to < from) {
                        throw fail("reversed range in pattern class");
                    }
                    m = range(from, Math.min(to, 127));
                }
                l |= m[0];
                h |= m[1];
            }
            if (negate) {
                l = ~l;
                h = ~h;
            }
            return new Ast.Chars(l, h);
        }

        /** An escape after the backslash: {lo, hi, literal code or -1}. */
        private long[] escape(boolean inClass) {
            if (i >= s.length()) {
                throw fail("pattern ends with a backslash");
            }
            char e = s.charAt(i++);
            long[] d = range('0', '9');
            long[] w = or(or(range('a', 'z'), range('A', 'Z')), or(d, range('_', '_')));
            long[] sp = or(range(' ', ' '), range('\t', '\r'));
            return switch (e) {
                case 'd' -> with(d, -1);
                case 'D' -> with(not(d), -1);
                case 'w' -> with(w, -1);
                case 'W' -> with(not(w), -1);
                case 's' -> with(sp, -1);
                case 'S' -> with(not(sp), -1);
                case 'n' -> with(range('\n', '\n'), '\n');
                case 't' -> with(range('\t', '\t'), '\t');
                case 'r' -> with(range('\r', '\r'), '\r');
                case 'f' -> with(range('\f', '\f'), '\f');
                case 'v' -> with(range(0x0B, 0x0B), 0x0B);
                default -> {
                    if (e < 128 && !Character.isLetterOrDigit(e)) {
                        yield with(range(e, e), e);
                    }
                    throw fail("unsupported pattern escape '\\" + e + "'" + (inClass ? " in a class" : ""));
                }
            };
        }

        private static long[] with(long[] m, int literal) {
            return new long[] {m[0], m[1], literal};
        }

        private static long[] range(int from, int to) {
            long l = 0;
            long h = 0;
            for (int c = from; c <= to; c++) {
                if (c < 64) {
                    l |= 1L << c;
                } else {
                    h |= 1L << (c - 64);
                }
            }
            return new long[] {l, h};
        }

        private static long[] or(long[] a, long[] b) {
            return new long[] {a[0] | b[0], a[1] | b[1]};
        }

        private static long[] not(long[] a) {
            return new long[] {~a[0], ~a[1]};
        }

        private SchemaException fail(String message) {
            return SchemaException.at(owner.pointer, message);
        }
    }
}
