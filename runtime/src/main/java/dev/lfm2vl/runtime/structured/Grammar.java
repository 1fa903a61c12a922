package dev.lfm2vl.runtime.structured;

import dev.lfm2vl.loader.json.Json;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The compiled form of a schema: a grammar over bytes whose language is the compact JSON documents the schema
 * accepts and the engine generates (no whitespace, properties in schema order). Terminals are literals and two
 * lexers (strings, numbers) that check length, pattern and range constraints as bytes arrive. Every node knows the
 * fewest bytes that complete it ({@link #INF} if none), computed to a fixed point so recursive {@code $ref}s work.
 */
final class Grammar {
    static final int INF = Integer.MAX_VALUE / 4;

    private Grammar() {}

    static int add(int a, int b) {
        return a >= INF || b >= INF ? INF : Math.min(INF, a + b);
    }

    abstract static class Node {
        /** Fewest bytes of a complete match from the start of this node. */
        int min = INF;

        /** Recomputes {@link #min} from the children; true if it changed. */
        abstract boolean update();
    }

    /** Exact bytes. */
    static final class Lit extends Node {
        final byte[] bytes;

        Lit(String text) {
            this.bytes = text.getBytes(StandardCharsets.UTF_8);
            this.min = bytes.length;
        }

        @Override
        boolean update() {
            return false;
        }
    }

    static final class Seq extends Node {
        final Node[] parts;

        Seq(Node... parts) {
            this.parts = parts;
        }

        /** Fewest bytes from part {@code from} on. */
        int minFrom(int from) {
            int m = 0;
            for (int k = from; k < parts.length; k++) {
                m = add(m, parts[k].min);
            }
            return m;
        }

        @Override
        boolean update() {
            int m = minFrom(0);
            boolean changed = m != min;
            min = m;
            return changed;
        }
    }

    static final class Alt extends Node {
        final Node[] options;

        Alt(Node... options) {
            this.options = options;
        }

        @Override
        boolean update() {
            int m = INF;
            for (Node o : options) {
                m = Math.min(m, o.min);
            }
            boolean changed = m != min;
            min = m;
            return changed;
        }
    }

    /** A named rule ({@code $ref} target), resolved after compiling so rules may refer to themselves. */
    static final class Ref extends Node {
        final String pointer;
        Node target;

        Ref(String pointer) {
            this.pointer = pointer;
        }

        @Override
        boolean update() {
            boolean changed = target.min != min;
            min = target.min;
            return changed;
        }
    }

    /**
     * The inside of an object after its '{': declared members in order (required ones cannot be skipped), then, if
     * allowed, extra members, then '}'. State: next declared index * 2 + (a member was written ? 1 : 0).
     */
    static final class ObjBody extends Node {
        final String[] names;
        final boolean[] required;
        final Node[] values;
        /** Per member: the member with and without a leading comma ("\"name\":" value). */
        final Node[] first;
        final Node[] later;
        /** Extra members (key not among the names), or null when none are generated. */
        final Node extraFirst;
        final Node extraLater;
        final Lit close = new Lit("}");

        ObjBody(String[] names, boolean[] required, Node[] values, Node extraValue) {
            this.names = names;
            this.required = required;
            this.values = values;
            int n = names.length;
            first = new Node[n];
            later = new Node[n];
            for (int k = 0; k < n; k++) {
                String key = Json.quote(names[k]);
                first[k] = new Seq(new Lit(key + ":"), values[k]);
                later[k] = new Seq(new Lit("," + key + ":"), values[k]);
            }
            if (extraValue == null) {
                extraFirst = null;
                extraLater = null;
            } else {
                byte[][] excluded = new byte[n][];
                for (int k = 0; k < n; k++) {
                    excluded[k] = StringLexer.written(names[k]);
                }
                StringLexer key = StringLexer.key(excluded);
                extraFirst = new Seq(key, new Lit(":"), extraValue);
                extraLater = new Seq(new Lit(","), key, new Lit(":"), extraValue);
            }
        }

        /** Whether no required member is at or after declared index {@code from}. */
        boolean canSkipFrom(int from, int to) {
            for (int k = from; k < to; k++) {
                if (required[k]) {
                    return false;
                }
            }
            return true;
        }

        int minFrom(int state) {
            int k = state >> 1;
            boolean written = (state & 1) != 0;
            int m = 1; // '}'
            for (int j = k; j < names.length; j++) {
                if (required[j]) {
                    m = add(m, (written ? later[j] : first[j]).min);
                    written = true;
                }
            }
            return m;
        }

        List<Node> children() {
            List<Node> c = new ArrayList<>(List.of(first));
            c.addAll(List.of(later));
            if (extraFirst != null) {
                c.add(extraFirst);
                c.add(extraLater);
            }
            return c;
        }

        @Override
        boolean update() {
            int m = minFrom(0);
            boolean changed = m != min;
            min = m;
            return changed;
        }
    }

    /** The inside of an array after its '[': items separated by commas, then ']'. State: items written. */
    static final class ArrBody extends Node {
        final Node item;
        final Node later;
        final int minItems;
        final int maxItems; // -1: no limit
        final Lit close = new Lit("]");

        ArrBody(Node item, int minItems, int maxItems) {
            this.item = item;
            this.later = new Seq(new Lit(","), item);
            this.minItems = minItems;
            this.maxItems = maxItems;
        }

        int minFrom(int count) {
            int need = Math.max(0, minItems - count);
            int m = 1;
            for (int k = 0; k < need; k++) {
                m = add(m, (count + k == 0 ? item : later).min);
                if (m >= INF) {
                    break;
                }
            }
            return m;
        }

        @Override
        boolean update() {
            int m = minFrom(0);
            boolean changed = m != min;
            min = m;
            return changed;
        }
    }

    /** A terminal that reads bytes with its own immutable state (strings, numbers). */
    abstract static class Lexer extends Node {
        abstract Object start();

        /** The state after byte {@code b}, or null if no accepted token continues this way. */
        abstract Object step(Object state, int b);

        abstract boolean complete(Object state);

        abstract boolean canContinue(Object state);

        /** Fewest bytes to a complete token from {@code state}. */
        abstract int minBytes(Object state);

        @Override
        boolean update() {
            int m = minBytes(start());
            boolean changed = m != min;
            min = m;
            return changed;
        }
    }

    /** Every node reachable from {@code root}, children before parents where the graph allows. */
    static List<Node> reachable(Node root) {
        java.util.Set<Node> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        List<Node> order = new ArrayList<>();
        java.util.ArrayDeque<Node> todo = new java.util.ArrayDeque<>();
        todo.push(root);
        while (!todo.isEmpty()) {
            Node n = todo.pop();
            if (!seen.add(n)) {
                continue;
            }
            order.add(n);
            switch (n) {
                case Seq s -> java.util.Collections.addAll(todo, s.parts);
                case Alt a -> java.util.Collections.addAll(todo, a.options);
                case Ref r -> todo.push(r.target);
                case ObjBody o -> {
                    todo.addAll(o.children());
                    todo.push(o.close);
                }
                case ArrBody a -> {
                    todo.push(a.later);
                    todo.push(a.close);
                }
                default -> {}
            }
        }
        java.util.Collections.reverse(order);
        return order;
    }

    /** Computes every node's {@link Node#min} to a fixed point (recursive rules converge from INF downwards). */
    static void computeMins(List<Node> nodes) {
        boolean changed = true;
        int rounds = 0;
        while (changed) {
            changed = false;
            for (Node n : nodes) {
                changed |= n.update();
            }
            if (++rounds > 10_000) {
                throw new SchemaException("schema too complex to analyse");
            }
        }
    }
}
