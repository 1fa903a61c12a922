package dev.lfm2vl.runtime.structured;

import dev.lfm2vl.runtime.structured.Grammar.Alt;
import dev.lfm2vl.runtime.structured.Grammar.ArrBody;
import dev.lfm2vl.runtime.structured.Grammar.Lexer;
import dev.lfm2vl.runtime.structured.Grammar.Lit;
import dev.lfm2vl.runtime.structured.Grammar.Node;
import dev.lfm2vl.runtime.structured.Grammar.ObjBody;
import dev.lfm2vl.runtime.structured.Grammar.Ref;
import dev.lfm2vl.runtime.structured.Grammar.Seq;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Where a partial document stands in the grammar: the set of live parses (alternatives of {@code anyOf}, optional
 * members and such are followed side by side until the bytes tell them apart), each a persistent stack of frames
 * whose top reads the next byte. Immutable, compared by value: {@link #step} returns a new state, so the token trie walk can branch
 * without undoing anything. {@link #minBytes} is the fewest bytes that complete some parse: exact, so a budget
 * that allows it always allows one more byte that keeps it allowed (how answers are never cut invalid).
 */
final class ParseState {
    /** Parses followed at once; more are dropped (a subset of parses only narrows what may be generated). */
    static final int MAX_PARSES = 64;
    private static final int MAX_EXPANSION_DEPTH = 1000;

    /** One parse: a frame (node, position within it, lexer state) over the rest of the stack. */
    record Frame(Node node, int at, Object lex, Frame next, int minRest) {
        static Frame of(Node node, int at, Object lex, Frame next) {
            return new Frame(node, at, lex, next, Grammar.add(own(node, at, lex), next == null ? 0 : next.minRest));
        }

        private static int own(Node node, int at, Object lex) {
            return switch (node) {
                case Lit l -> l.bytes.length - at;
                case Seq s -> s.minFrom(at);
                case ObjBody o -> o.minFrom(at);
                case ArrBody a -> a.minFrom(at);
                case Lexer x -> x.minBytes(lex);
                default -> node.min;
            };
        }
    }

    private final Frame[] parses;
    private final boolean accepting;
    private final int minBytes;
    private int hash;

    private ParseState(Frame[] parses, boolean accepting) {
        this.parses = parses;
        this.accepting = accepting;
        int m = accepting ? 0 : Grammar.INF;
        for (Frame f : parses) {
            m = Math.min(m, f.minRest);
        }
        this.minBytes = m;
    }

    /** The state before any byte of a document of {@code root}. */
    static ParseState start(Node root) {
        List<Frame> out = new ArrayList<>();
        boolean[] accept = new boolean[1];
        expand(push(root, null), out, accept, 0);
        return new ParseState(out.toArray(Frame[]::new), accept[0]);
    }

    /**
     * Equal states (the same parses: nodes by identity, positions and lexer states by value) allow the same tokens
     * and step alike: {@link MaskCache} keeps one mask for them.
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof ParseState p && p.accepting == accepting && p.hashCode() == hashCode() && Arrays.equals(p.parses, parses);
    }

    @Override
    public int hashCode() {
        int h = hash;
        if (h == 0) {
            h = Arrays.hashCode(parses) * 31 + (accepting ? 1 : 0);
            hash = h == 0 ? 1 : h;
        }
        return hash;
    }

    /** A complete document has been read (it may still go on, e.g. digits of a number). */
    boolean accepting() {
        return accepting;
    }

    /** No document has the bytes read so far as a prefix. */
    boolean dead() {
        return parses.length == 0 && !accepting;
    }

    /** Fewest further bytes that complete a document (0 when accepting; {@link Grammar#INF} when dead). */
    int minBytes() {
        return minBytes;
    }

    /** Whether some document continues with byte {@code b} after the bytes read so far. */
    boolean canStep() {
        return parses.length > 0;
    }

    /** The single parse's frame when it is inside a plain string's characters (the trie's fast walk), else null. */
    Frame plainStringBody() {
        if (parses.length != 1 || accepting) {
            return null;
        }
        Frame f = parses[0];
        return f.node() instanceof StringLexer x && x.plain() && StringLexer.inBody(f.lex()) ? f : null;
    }

    /**
     * This state as far as the next {@code horizon} bytes can tell: the key of its token mask ({@link MaskCache}).
     * A plain string's character count past its minLength, with maxLength further than {@code horizon} characters
     * away, becomes its minLength: no token can reach either bound, so each count allows the same tokens.
     */
    ParseState maskKey(int horizon) {
        Frame[] key = null;
        for (int k = 0; k < parses.length; k++) {
            Frame f = parses[k];
            if (f.node instanceof StringLexer x) {
                Object lex = x.maskKey(f.lex, horizon);
                if (lex != f.lex) {
                    if (key == null) {
                        key = parses.clone();
                    }
                    key[k] = Frame.of(x, f.at, lex, f.next);
                }
            }
        }
        return key == null ? this : new ParseState(key, accepting);
    }

    /** The state whose only parse is {@code f} with its lexer state replaced (plain string content read). */
    static ParseState withLexer(Frame f, Object lex) {
        return new ParseState(new Frame[] {Frame.of(f.node(), 0, lex, f.next())}, false);
    }

    /** The state after byte {@code b} (0..255), or null if no parse accepts it. */
    ParseState step(int b) {
        List<Frame> out = null;
        boolean[] accept = new boolean[1];
        for (Frame f : parses) {
            Frame moved = consume(f, b);
            if (moved != null && moved.minRest < Grammar.INF) {
                if (out == null) {
                    out = new ArrayList<>(4);
                }
                expand(moved, out, accept, 0);
            }
        }
        if (out == null && !accept[0]) {
            return null;
        }
        Frame[] a = out == null ? new Frame[0] : out.size() > MAX_PARSES ? out.subList(0, MAX_PARSES).toArray(Frame[]::new) : out.toArray(Frame[]::new);
        return new ParseState(a, accept[0]);
    }

    /** The state after all of {@code bytes}, or null. */
    ParseState step(byte[] bytes) {
        ParseState s = this;
        for (int k = 0; k < bytes.length && s != null; k++) {
            s = s.step(bytes[k] & 0xFF);
        }
        return s;
    }

    private static Frame push(Node node, Frame next) {
        return Frame.of(node, 0, node instanceof Lexer x ? x.start() : null, next);
    }

    /** The top frame after reading {@code b} (the top always reads bytes: a literal or a lexer). */
    private static Frame consume(Frame f, int b) {
        if (f.node instanceof Lit l) {
            return (l.bytes[f.at] & 0xFF) == b ? Frame.of(l, f.at + 1, null, f.next) : null;
        }
        Lexer x = (Lexer) f.node;
        Object s = x.step(f.lex, b);
        return s == null ? null : Frame.of(x, 0, s, f.next);
    }

    /** Unfolds {@code f} until every parse's top reads a byte; an empty stack is a complete document. */
    private static void expand(Frame f, List<Frame> out, boolean[] accept, int depth) {
        if (depth > MAX_EXPANSION_DEPTH) {
            throw new SchemaException("schema recursion does not consume input (a $ref cycle through anyOf/allOf alone)");
        }
        if (f == null) {
            accept[0] = true;
            return;
        }
        if (f.minRest >= Grammar.INF) {
            return;
        }
        switch (f.node) {
            case Lit l -> {
                if (f.at < l.bytes.length) {
                    add(out, f);
                } else {
                    expand(f.next, out, accept, depth + 1);
                }
            }
            case Seq s -> {
                if (f.at < s.parts.length) {
                    Frame rest = f.at + 1 < s.parts.length ? Frame.of(s, f.at + 1, null, f.next) : f.next;
                    expand(push(s.parts[f.at], rest), out, accept, depth + 1);
                } else {
                    expand(f.next, out, accept, depth + 1);
                }
            }
            case Alt a -> {
                for (Node o : a.options) {
                    expand(push(o, f.next), out, accept, depth + 1);
                }
            }
            case Ref r -> expand(push(r.target, f.next), out, accept, depth + 1);
            case ObjBody o -> {
                int k = f.at >> 1;
                boolean written = (f.at & 1) != 0;
                int n = o.names.length;
                for (int j = k; j < n; j++) {
                    expand(push(written ? o.later[j] : o.first[j], Frame.of(o, (j + 1) * 2 + 1, null, f.next)), out, accept, depth + 1);
                    if (o.required[j]) {
                        break;
                    }
                }
                if (o.canSkipFrom(k, n)) {
                    if (o.extraFirst != null) {
                        expand(push(written ? o.extraLater : o.extraFirst, Frame.of(o, n * 2 + 1, null, f.next)), out, accept, depth + 1);
                    }
                    expand(push(o.close, f.next), out, accept, depth + 1);
                }
            }
            case ArrBody a -> {
                if (a.maxItems < 0 || f.at < a.maxItems) {
                    expand(push(f.at == 0 ? a.item : a.later, Frame.of(a, f.at + 1, null, f.next)), out, accept, depth + 1);
                }
                if (f.at >= a.minItems) {
                    expand(push(a.close, f.next), out, accept, depth + 1);
                }
            }
            case Lexer x -> {
                if (x.canContinue(f.lex)) {
                    add(out, f);
                }
                if (x.complete(f.lex)) {
                    expand(f.next, out, accept, depth + 1);
                }
            }
            default -> throw new IllegalStateException("unknown grammar node " + f.node);
        }
    }

    private static void add(List<Frame> out, Frame f) {
        if (f.minRest < Grammar.INF && out.size() < MAX_PARSES * 4) {
            out.add(f);
        }
    }
}
