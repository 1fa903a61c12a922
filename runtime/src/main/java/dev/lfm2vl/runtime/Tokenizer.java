package dev.lfm2vl.runtime;

import dev.lfm2vl.loader.GgufFormatException;
import dev.lfm2vl.loader.GgufMetadata;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-level BPE tokenizer read from the {@code tokenizer.ggml.*} metadata of a GGUF file
 * ({@code tokenizer.ggml.model = "gpt2"}), behaving like llama.cpp's BPE tokenizer with the Llama-3
 * pre-tokenizer and {@code ignore_merges} (the {@code lfm2} pre-tokenizer).
 *
 * <p>Encoding: (1) special-token partition — special tokens (CONTROL, UNKNOWN, USER_DEFINED) are
 * split out, longest text first; CONTROL/UNKNOWN only when {@code parseSpecial}, USER_DEFINED
 * always; (2) each remaining fragment is split by the Llama-3 regex; (3) every pre-token is mapped
 * to the GPT-2 byte alphabet; (4) if the whole mapped pre-token is a vocabulary entry it is emitted
 * as is ({@code ignore_merges}); otherwise BPE merges by rank (lowest first, ties leftmost).
 *
 * <p>Instances are immutable apart from an internal pre-token cache and safe for concurrent use.
 */
public final class Tokenizer {
    /** {@code tokenizer.ggml.token_type} values. */
    public static final int TYPE_UNDEFINED = 0;
    public static final int TYPE_NORMAL = 1;
    public static final int TYPE_UNKNOWN = 2;
    public static final int TYPE_CONTROL = 3;
    public static final int TYPE_USER_DEFINED = 4;
    public static final int TYPE_UNUSED = 5;
    public static final int TYPE_BYTE = 6;

    /** Pre-tokenizer names that select the Llama-3 regex with ignore_merges. */
    private static final Set<String> LLAMA3_PRE = Set.of("lfm2", "llama-bpe", "llama3");
    private static final Set<String> EOG_TEXTS = Set.of("<|im_end|>", "<|endoftext|>");
    private static final int CACHE_LIMIT = 16384;
    private static final int[] EMPTY = new int[0];

    private final String[] tokens;
    private final int[] types;
    private final Map<String, Integer> tokenIds;
    private final int bosId;
    private final int eosId;
    private final boolean addBosDefault;
    private final boolean[] eog;
    /** Special tokens (CONTROL, UNKNOWN, USER_DEFINED with non-empty text), longest UTF-8 text first. */
    private final int[] specialTokens;
    /** Decoded bytes of each token when printed without specials (null for tokens that print nothing). */
    private final byte[][] pieces;

    // BPE symbol table: every vocabulary string plus every merge part/result gets a symbol id.
    private final Map<String, Integer> symbolIds;
    private final int[] symbolToken; // symbol id -> token id or -1
    private final String[] symbolText;
    private final int[] byteSymbol = new int[256]; // byte -> symbol id of its mapped character
    private final LongIntMap mergeRank; // (leftSym << 32 | rightSym) -> rank
    private final int[] mergeResult; // rank -> merged symbol id

    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    private Tokenizer(String[] tokens, int[] types, String[] merges, int bosId, int eosId, boolean addBos) {
        int n = tokens.length;
        if (types.length != n) {
            throw new IllegalArgumentException("token_type has " + types.length + " entries, tokens has " + n);
        }
        this.tokens = tokens.clone();
        this.types = types.clone();
        this.bosId = bosId;
        this.eosId = eosId;
        this.addBosDefault = addBos;
        this.tokenIds = new HashMap<>(n * 2);
        for (int i = 0; i < n; i++) {
            tokenIds.putIfAbsent(tokens[i], i); // first occurrence wins
        }

        // End of generation: EOS plus tokens with well-known end texts.
        this.eog = new boolean[n];
        if (eosId >= 0 && eosId < n) {
            eog[eosId] = true;
        }
        for (String t : EOG_TEXTS) {
            Integer id = tokenIds.get(t);
            if (id != null) {
                eog[id] = true;
            }
        }

        // Special tokens for the partition pass.
        List<Integer> special = new ArrayList<>();
        int[] byteLen = new int[n];
        for (int i = 0; i < n; i++) {
            int t = types[i];
            if ((t == TYPE_CONTROL || t == TYPE_UNKNOWN || t == TYPE_USER_DEFINED) && !tokens[i].isEmpty()) {
                special.add(i);
                byteLen[i] = tokens[i].getBytes(StandardCharsets.UTF_8).length;
            }
        }
        special.sort((a, b) -> byteLen[a] != byteLen[b] ? Integer.compare(byteLen[b], byteLen[a]) : Integer.compare(a, b));
        this.specialTokens = special.stream().mapToInt(Integer::intValue).toArray();

        // Pieces for decoding.
        this.pieces = new byte[n][];
        for (int i = 0; i < n; i++) {
            pieces[i] = switch (types[i]) {
                case TYPE_NORMAL -> ByteLevel.decode(tokens[i]);
                case TYPE_BYTE -> ByteLevel.decode(tokens[i]);
                case TYPE_USER_DEFINED -> tokens[i].getBytes(StandardCharsets.UTF_8);
                default -> null; // CONTROL / UNKNOWN (only with showSpecial), UNUSED, UNDEFINED
            };
        }

        // Symbol table and merges.
        this.symbolIds = new HashMap<>(n * 2 + merges.length * 2);
        List<String> symText = new ArrayList<>(n + 512);
        for (String t : tokens) {
            intern(t, symText);
        }
        for (int b = 0; b < 256; b++) {
            byteSymbol[b] = intern(String.valueOf(ByteLevel.charOf(b)), symText);
        }
        this.mergeRank = new LongIntMap(Math.max(16, merges.length * 2));
        int[] result = new int[merges.length];
        for (int r = 0; r < merges.length; r++) {
            String m = merges[r];
            int sp = m.indexOf(' ', 1);
            if (sp < 0) {
                throw new IllegalArgumentException("merge " + r + " is not \"left right\": '" + m + "'");
            }
            String left = m.substring(0, sp);
            String right = m.substring(sp + 1);
            int l = intern(left, symText);
            int rr = intern(right, symText);
            result[r] = intern(left + right, symText);
            mergeRank.putIfAbsent(pairKey(l, rr), r);
        }
        this.mergeResult = result;
        this.symbolText = symText.toArray(new String[0]);
        this.symbolToken = new int[symbolText.length];
        for (int s = 0; s < symbolText.length; s++) {
            Integer id = tokenIds.get(symbolText[s]);
            symbolToken[s] = id == null ? -1 : id;
        }
    }

    private int intern(String s, List<String> symText) {
        Integer id = symbolIds.get(s);
        if (id == null) {
            id = symText.size();
            symText.add(s);
            symbolIds.put(s, id);
        }
        return id;
    }

    private static long pairKey(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    /**
     * Builds the tokenizer from GGUF metadata.
     *
     * @throws IllegalArgumentException if the tokenizer is not a byte-level BPE ({@code gpt2}) with a
     *     Llama-3 style pre-tokenizer ({@code lfm2}, {@code llama-bpe}, {@code llama3})
     * @throws GgufFormatException if a required key is missing or has the wrong type
     */
    public static Tokenizer fromGguf(GgufMetadata md) throws GgufFormatException {
        String model = md.getString("tokenizer.ggml.model", null);
        if (!"gpt2".equals(model)) {
            throw new IllegalArgumentException("unsupported tokenizer: tokenizer.ggml.model = "
                    + (model == null ? "<missing>" : "'" + model + "'") + ", expected 'gpt2' (byte-level BPE)");
        }
        String pre = md.getString("tokenizer.ggml.pre", null);
        if (pre == null || !LLAMA3_PRE.contains(pre)) {
            throw new IllegalArgumentException("unsupported pre-tokenizer: tokenizer.ggml.pre = "
                    + (pre == null ? "<missing>" : "'" + pre + "'") + ", expected one of " + LLAMA3_PRE);
        }
        String[] tokens = md.getStringArray("tokenizer.ggml.tokens");
        int[] types;
        if (md.has("tokenizer.ggml.token_type")) {
            types = md.getIntArray("tokenizer.ggml.token_type");
        } else {
            types = new int[tokens.length];
            Arrays.fill(types, TYPE_NORMAL);
        }
        String[] merges = md.has("tokenizer.ggml.merges") ? md.getStringArray("tokenizer.ggml.merges") : new String[0];
        int bos = md.getInt("tokenizer.ggml.bos_token_id", indexOf(tokens, "<|startoftext|>"));
        int eos = md.getInt("tokenizer.ggml.eos_token_id", indexOf(tokens, "<|im_end|>"));
        checkId("tokenizer.ggml.bos_token_id", bos, tokens.length);
        checkId("tokenizer.ggml.eos_token_id", eos, tokens.length);
        boolean addBos = md.getBool("tokenizer.ggml.add_bos_token", true);
        return new Tokenizer(tokens, types, merges, bos, eos, addBos);
    }

    /** A tokenizer from explicit tables (Llama-3 pre-tokenizer, ignore_merges); for tests and tools. */
    static Tokenizer of(String[] tokens, int[] types, String[] merges, int bosId, int eosId, boolean addBos) {
        return new Tokenizer(tokens, types, merges, bosId, eosId, addBos);
    }

    private static int indexOf(String[] tokens, String text) {
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i].equals(text)) {
                return i;
            }
        }
        return -1;
    }

    private static void checkId(String key, int id, int n) {
        if (id < -1 || id >= n) {
            throw new IllegalArgumentException(key + " = " + id + " is outside the vocabulary (" + n + " tokens)");
        }
    }

    // ---------------------------------------------------------------- lookups

    public int vocabSize() {
        return tokens.length;
    }

    /** Id of the BOS token, -1 if none. */
    public int bosId() {
        return bosId;
    }

    /** Id of the EOS token, -1 if none. */
    public int eosId() {
        return eosId;
    }

    /** Whether {@code encode(text)} (without an explicit flag) would add BOS: {@code tokenizer.ggml.add_bos_token}, default true. */
    public boolean addBosByDefault() {
        return addBosDefault;
    }

    /** Id of the token whose text is exactly {@code text}, or -1. */
    public int tokenId(String text) {
        Integer id = tokenIds.get(text);
        return id == null ? -1 : id;
    }

    /** The raw vocabulary text of a token (byte-level alphabet for normal tokens). */
    public String tokenText(int id) {
        return tokens[id];
    }

    public boolean isControl(int id) {
        return id >= 0 && id < types.length && types[id] == TYPE_CONTROL;
    }

    /** EOS, or a token whose text is {@code <|im_end|>} or {@code <|endoftext|>}. */
    public boolean isEndOfGeneration(int id) {
        return id >= 0 && id < eog.length && eog[id];
    }

    // ---------------------------------------------------------------- encoding

    /** {@code encode(text, addBosByDefault(), parseSpecial)}. */
    public int[] encode(String text, boolean parseSpecial) {
        return encode(text, addBosDefault, parseSpecial);
    }

    /**
     * Tokenizes {@code text} like llama.cpp's {@code llama_tokenize(vocab, text, addBos, parseSpecial)}.
     * With {@code addBos} exactly one BOS is prepended (even if the text itself starts with the BOS
     * text and {@code parseSpecial} turns that into a second BOS, as llama.cpp does).
     */
    public int[] encode(String text, boolean addBos, boolean parseSpecial) {
        IntList out = new IntList(Math.max(16, text.length() / 3));
        if (addBos && bosId >= 0) {
            out.add(bosId);
        }
        for (Object fragment : partition(text, parseSpecial)) {
            if (fragment instanceof Integer id) {
                out.add(id);
            } else {
                for (String pre : Llama3PreTokenizer.split((String) fragment)) {
                    out.addAll(encodePreToken(pre));
                }
            }
        }
        return out.toArray();
    }

    /**
     * Special-token partition (llama.cpp {@code tokenizer_st_partition}): for each special token,
     * longest first, every raw-text fragment is split at each (non-overlapping, left to right)
     * occurrence. Returns Integer ids and String raw-text fragments in order.
     */
    private List<Object> partition(String text, boolean parseSpecial) {
        List<Object> frags = new ArrayList<>();
        if (text.isEmpty()) {
            return frags;
        }
        frags.add(text);
        for (int id : specialTokens) {
            int type = types[id];
            if (!parseSpecial && (type == TYPE_CONTROL || type == TYPE_UNKNOWN)) {
                continue;
            }
            String st = tokens[id];
            for (int f = 0; f < frags.size(); f++) {
                if (!(frags.get(f) instanceof String raw)) {
                    continue;
                }
                int hit = raw.indexOf(st);
                if (hit < 0) {
                    continue;
                }
                List<Object> repl = new ArrayList<>();
                int pos = 0;
                while (hit >= 0) {
                    if (hit > pos) {
                        repl.add(raw.substring(pos, hit));
                    }
                    repl.add(id);
                    pos = hit + st.length();
                    hit = raw.indexOf(st, pos);
                }
                if (pos < raw.length()) {
                    repl.add(raw.substring(pos));
                }
                frags.remove(f);
                frags.addAll(f, repl);
                f += repl.size() - 1;
            }
        }
        return frags;
    }

    private int[] encodePreToken(String pre) {
        int[] cached = cache.get(pre);
        if (cached != null) {
            return cached;
        }
        int[] ids = bpe(ByteLevel.encode(pre), pre.getBytes(StandardCharsets.UTF_8));
        if (cache.size() >= CACHE_LIMIT) {
            cache.clear();
        }
        cache.put(pre, ids);
        return ids;
    }

    /** BPE of one pre-token; {@code mapped} is its byte-level form, {@code bytes} its UTF-8 bytes. */
    private int[] bpe(String mapped, byte[] bytes) {
        if (mapped.isEmpty()) {
            return EMPTY;
        }
        // ignore_merges: a pre-token that is itself a vocabulary entry is emitted directly.
        Integer whole = tokenIds.get(mapped);
        if (whole != null) {
            return new int[] {whole};
        }
        int n = bytes.length;
        int[] sym = new int[n];
        int[] next = new int[n];
        int[] prev = new int[n];
        boolean[] dead = new boolean[n];
        for (int i = 0; i < n; i++) {
            sym[i] = byteSymbol[bytes[i] & 0xFF];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        // Min-heap of (rank << 32 | leftPosition): lowest rank first, ties leftmost.
        LongHeap heap = new LongHeap(n);
        for (int i = 0; i + 1 < n; i++) {
            int r = mergeRank.get(pairKey(sym[i], sym[i + 1]));
            if (r >= 0) {
                heap.push(((long) r << 32) | i);
            }
        }
        while (!heap.isEmpty()) {
            long e = heap.pop();
            int rank = (int) (e >>> 32);
            int left = (int) e;
            if (dead[left]) {
                continue;
            }
            int right = next[left];
            if (right < 0 || mergeRank.get(pairKey(sym[left], sym[right])) != rank) {
                continue; // stale: a neighbour changed since this pair was queued
            }
            sym[left] = mergeResult[rank];
            dead[right] = true;
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            int p = prev[left];
            if (p >= 0) {
                int r = mergeRank.get(pairKey(sym[p], sym[left]));
                if (r >= 0) {
                    heap.push(((long) r << 32) | p);
                }
            }
            int q = next[left];
            if (q >= 0) {
                int r = mergeRank.get(pairKey(sym[left], sym[q]));
                if (r >= 0) {
                    heap.push(((long) r << 32) | left);
                }
            }
        }
        IntList out = new IntList(8);
        for (int i = 0; i >= 0; i = next[i]) {
            int tok = symbolToken[sym[i]];
            if (tok >= 0) {
                out.add(tok);
            } else {
                // Merge result missing from the vocabulary (should not happen): one byte token per byte
                // of the symbol, as docs/MODEL.md §7 says. llama.cpp instead looks up each raw UTF-8 byte of the
                // mapped text, which finds only the printable-ASCII byte symbols and drops the others.
                String text = symbolText[sym[i]];
                for (int k = 0; k < text.length(); k++) {
                    int b = ByteLevel.byteOf(text.charAt(k));
                    int t = b >= 0 ? symbolToken[byteSymbol[b]] : -1;
                    if (t >= 0) {
                        out.add(t);
                    }
                }
            }
        }
        return out.toArray();
    }

    // ---------------------------------------------------------------- decoding

    /** The bytes a token prints: NORMAL/BYTE via the inverse byte map, USER_DEFINED as text, CONTROL/UNKNOWN only with showSpecial. */
    byte[] pieceBytes(int id, boolean showSpecial) {
        if (id < 0 || id >= tokens.length) {
            throw new IllegalArgumentException("token id " + id + " outside the vocabulary (" + tokens.length + ")");
        }
        byte[] p = pieces[id];
        if (p != null) {
            return p;
        }
        int t = types[id];
        if (showSpecial && (t == TYPE_CONTROL || t == TYPE_UNKNOWN)) {
            return tokens[id].getBytes(StandardCharsets.UTF_8);
        }
        return EMPTY_BYTES;
    }

    private static final byte[] EMPTY_BYTES = new byte[0];

    /** The bytes token {@code id} prints in an answer (empty for control tokens); a copy, for building tables once. */
    public byte[] pieceBytes(int id) {
        return pieceBytes(id, false).clone();
    }

    /** Concatenates the pieces of {@code ids} as bytes and decodes them as UTF-8. */
    public String decode(int[] ids, boolean showSpecial) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length * 4);
        for (int id : ids) {
            out.writeBytes(pieceBytes(id, showSpecial));
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** A streaming decoder that never returns half a multi-byte UTF-8 character. */
    public TokenDecoder newDecoder(boolean showSpecial) {
        return new TokenDecoder(this, showSpecial);
    }

    // ---------------------------------------------------------------- small primitive collections

    static final class IntList {
        private int[] a;
        private int n;

        IntList(int capacity) {
            a = new int[Math.max(4, capacity)];
        }

        void add(int v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        void addAll(int[] vs) {
            if (n + vs.length > a.length) {
                a = Arrays.copyOf(a, Math.max(a.length * 2, n + vs.length));
            }
            System.arraycopy(vs, 0, a, n, vs.length);
            n += vs.length;
        }

        int size() {
            return n;
        }

        void clear() {
            n = 0;
        }

        int[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }

    private static final class LongHeap {
        private long[] h;
        private int n;

        LongHeap(int capacity) {
            h = new long[Math.max(4, capacity)];
        }

        boolean isEmpty() {
            return n == 0;
        }

        void push(long v) {
            if (n == h.length) {
                h = Arrays.copyOf(h, n * 2);
            }
            int i = n++;
            while (i > 0) {
                int p = (i - 1) >>> 1;
                if (h[p] <= v) {
                    break;
                }
                h[i] = h[p];
                i = p;
            }
            h[i] = v;
        }

        long pop() {
            long top = h[0];
            long v = h[--n];
            int i = 0;
            while (true) {
                int c = 2 * i + 1;
                if (c >= n) {
                    break;
                }
                if (c + 1 < n && h[c + 1] < h[c]) {
                    c++;
                }
                if (h[c] >= v) {
                    break;
                }
                h[i] = h[c];
                i = c;
            }
            h[i] = v;
            return top;
        }
    }

    /** Open-addressing long -> non-negative int map; {@code get} returns -1 when absent. */
    private static final class LongIntMap {
        private final long[] keys;
        private final int[] vals;
        private final int mask;

        LongIntMap(int expected) {
            int cap = Integer.highestOneBit(Math.max(4, expected) * 2);
            keys = new long[cap];
            vals = new int[cap];
            Arrays.fill(vals, -1);
            mask = cap - 1;
        }

        private static int mix(long k) {
            k ^= k >>> 33;
            k *= 0xff51afd7ed558ccdL;
            k ^= k >>> 33;
            return (int) k;
        }

        void putIfAbsent(long k, int v) {
            int i = mix(k) & mask;
            while (vals[i] >= 0) {
                if (keys[i] == k) {
                    return;
                }
                i = (i + 1) & mask;
            }
            keys[i] = k;
            vals[i] = v;
        }

        int get(long k) {
            int i = mix(k) & mask;
            while (vals[i] >= 0) {
                if (keys[i] == k) {
                    return vals[i];
                }
                i = (i + 1) & mask;
            }
            return -1;
        }
    }
}
