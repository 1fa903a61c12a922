package dev.lfm2vl.runtime.structured;

import dev.lfm2vl.runtime.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * The vocabulary as a trie over the bytes each token prints (byte-level pieces decoded, as {@link
 * dev.lfm2vl.runtime.TokenDecoder} emits them), built once per tokenizer and shared. Nodes are numbered in
 * depth-first order; each has a run of outgoing edges (byte, child) and a run of tokens ending there. Tokens that
 * print nothing (control tokens) are not in it; the end-of-generation tokens are listed apart.
 */
final class TokenTrie {
    private static final Map<Tokenizer, TokenTrie> CACHE = new WeakHashMap<>();

    final int vocabSize;
    final int[] edgeStart; // per node: first edge; edges of node n are edgeStart[n] .. edgeStart[n + 1]
    final byte[] edgeByte;
    final int[] edgeChild;
    final int[] tokenStart; // per node: first token; tokens of node n are tokenStart[n] .. tokenStart[n + 1]
    final int[] tokens;
    final int[] endOfGeneration;
    final int maxDepth;
    /** Whether every byte valid in UTF-8 text is a token on its own (so a completion can go byte by byte). */
    final boolean singleBytes;
    /**
     * Per node, for the fast walk inside a plain JSON string: the characters its path completes when every byte is
     * string content (no quote, backslash or control byte; valid UTF-8, possibly ending inside a character), else
     * -1; and the UTF-8 state at its end (continuation bytes still needed and the range of the next one).
     */
    final int[] plainChars;
    final byte[] utf8Need;
    final byte[] utf8Lo;
    final byte[] utf8Hi;

    static TokenTrie of(Tokenizer tokenizer) {
        synchronized (CACHE) {
            return CACHE.computeIfAbsent(tokenizer, TokenTrie::new);
        }
    }

    private TokenTrie(Tokenizer tokenizer) {
        vocabSize = tokenizer.vocabSize();
        List<Integer> eog = new ArrayList<>();
        byte[][] bytes = new byte[vocabSize][];
        List<Integer> ids = new ArrayList<>();
        boolean[] single = new boolean[256];
        for (int id = 0; id < vocabSize; id++) {
            if (tokenizer.isEndOfGeneration(id)) {
                eog.add(id);
                continue;
            }
            byte[] b = tokenizer.pieceBytes(id);
            if (b.length > 0) {
                bytes[id] = b;
                ids.add(id);
                if (b.length == 1) {
                    single[b[0] & 0xFF] = true;
                }
            }
        }
        boolean all = true;
        for (int b = 0; b < 0xF5; b++) {
            all &= single[b] || b == 0xC0 || b == 0xC1;
        }
        singleBytes = all;
        endOfGeneration = eog.stream().mapToInt(Integer::intValue).toArray();
        Integer[] sorted = ids.toArray(Integer[]::new);
        Arrays.sort(sorted, (x, y) -> Arrays.compareUnsigned(bytes[x], bytes[y]));
        int[] order = new int[sorted.length];
        for (int k = 0; k < order.length; k++) {
            order[k] = sorted[k];
        }
        // Count nodes: one per distinct prefix (the root is the empty prefix).
        int nodes = 1;
        int depth = 0;
        for (int k = 0; k < order.length; k++) {
            byte[] b = bytes[order[k]];
            int shared = k == 0 ? 0 : commonPrefix(bytes[order[k - 1]], b);
            nodes += b.length - shared;
            depth = Math.max(depth, b.length);
        }
        maxDepth = depth;
        edgeStart = new int[nodes + 1];
        edgeByte = new byte[nodes - 1];
        edgeChild = new int[nodes - 1];
        tokenStart = new int[nodes + 1];
        tokens = new int[order.length];
        plainChars = new int[nodes];
        utf8Need = new byte[nodes];
        utf8Lo = new byte[nodes];
        utf8Hi = new byte[nodes];
        Builder builder = new Builder(bytes, order);
        builder.build(0, order.length, 0, 0, 0, 0x80, 0xBF);
        edgeStart[nodes] = builder.edges;
        tokenStart[nodes] = builder.tokenCount;
    }

    private static int commonPrefix(byte[] a, byte[] b) {
        int n = Math.min(a.length, b.length);
        int k = 0;
        while (k < n && a[k] == b[k]) {
            k++;
        }
        return k;
    }

    /** {chars, need, nextLo, nextHi} after byte {@code b} of plain string content, chars -1 once it is not. */
    private static int[] plainStep(int chars, int need, int nextLo, int nextHi, int b) {
        if (chars < 0) {
            return new int[] {-1, 0, 0x80, 0xBF};
        }
        if (need > 0) {
            if (b < nextLo || b > nextHi) {
                return new int[] {-1, 0, 0x80, 0xBF};
            }
            return need == 1 ? new int[] {chars + 1, 0, 0x80, 0xBF} : new int[] {chars, need - 1, 0x80, 0xBF};
        }
        if (b < 0x20 || b == '"' || b == '\\') {
            return new int[] {-1, 0, 0x80, 0xBF};
        }
        if (b < 0x80) {
            return new int[] {chars + 1, 0, 0x80, 0xBF};
        }
        if (b >= 0xC2 && b <= 0xDF) {
            return new int[] {chars, 1, 0x80, 0xBF};
        }
        if (b >= 0xE0 && b <= 0xEF) {
            return new int[] {chars, 2, b == 0xE0 ? 0xA0 : 0x80, b == 0xED ? 0x9F : 0xBF};
        }
        if (b >= 0xF0 && b <= 0xF4) {
            return new int[] {chars, 3, b == 0xF0 ? 0x90 : 0x80, b == 0xF4 ? 0x8F : 0xBF};
        }
        return new int[] {-1, 0, 0x80, 0xBF};
    }

    /** Depth-first construction over the sorted tokens: a node is a run of tokens sharing a prefix. */
    private final class Builder {
        final byte[][] bytes;
        final int[] order;
        int nextNode;
        int edges;
        int tokenCount;

        Builder(byte[][] bytes, int[] order) {
            this.bytes = bytes;
            this.order = order;
        }

        /** Builds the node for tokens order[lo, hi) which share their first {@code depth} bytes; returns its number. */
        int build(int lo, int hi, int depth, int chars, int need, int nextLo, int nextHi) {
            int node = nextNode++;
            plainChars[node] = chars;
            utf8Need[node] = (byte) need;
            utf8Lo[node] = (byte) nextLo;
            utf8Hi[node] = (byte) nextHi;
            tokenStart[node] = tokenCount;
            int k = lo;
            while (k < hi && bytes[order[k]].length == depth) {
                tokens[tokenCount++] = order[k++];
            }
            // children: runs with the same byte at `depth`; their edges are contiguous, written before recursing
            int first = k;
            int runs = 0;
            for (int j = first; j < hi; ) {
                int b = bytes[order[j]][depth];
                int end = j;
                while (end < hi && bytes[order[end]][depth] == b) {
                    end++;
                }
                runs++;
                j = end;
            }
            edgeStart[node] = edges;
            int edge = edges;
            edges += runs;
            for (int j = first; j < hi; ) {
                byte b = bytes[order[j]][depth];
                int end = j;
                while (end < hi && bytes[order[end]][depth] == b) {
                    end++;
                }
                edgeByte[edge] = b;
                int[] u = plainStep(chars, need, nextLo, nextHi, b & 0xFF);
                edgeChild[edge] = build(j, end, depth + 1, u[0], u[1], u[2], u[3]);
                edge++;
                j = end;
            }
            return node;
        }
    }
}
