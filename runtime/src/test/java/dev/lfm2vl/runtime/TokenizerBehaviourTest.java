package dev.lfm2vl.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.loader.GgufMetadata;
import dev.lfm2vl.loader.GgufValue;
import dev.lfm2vl.loader.GgufValue.GgufArray;
import dev.lfm2vl.loader.GgufValueType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Tokenizer rules on small hand-made vocabularies (no fixtures needed). */
class TokenizerBehaviourTest {

    /** A vocabulary: specials first, then the 256 byte symbols, then one token per merge result. */
    private static final class Vocab {
        final List<String> tokens = new ArrayList<>();
        final List<Integer> types = new ArrayList<>();
        final List<String> merges = new ArrayList<>();

        Vocab special(String text, int type) {
            tokens.add(text);
            types.add(type);
            return this;
        }

        Vocab bytes() {
            for (int b = 0; b < 256; b++) {
                tokens.add(String.valueOf(ByteLevel.charOf(b)));
                types.add(Tokenizer.TYPE_NORMAL);
            }
            return this;
        }

        /** Adds merge "left right" (both in the byte-level alphabet) and, if asked, its result as a token. */
        Vocab merge(String left, String right, boolean addToken) {
            merges.add(left + " " + right);
            if (addToken && !tokens.contains(left + right)) {
                tokens.add(left + right);
                types.add(Tokenizer.TYPE_NORMAL);
            }
            return this;
        }

        Vocab merge(String left, String right) {
            return merge(left, right, true);
        }

        Vocab token(String text) {
            tokens.add(text);
            types.add(Tokenizer.TYPE_NORMAL);
            return this;
        }

        Tokenizer build() {
            return Tokenizer.of(tokens.toArray(new String[0]), types.stream().mapToInt(Integer::intValue).toArray(),
                    merges.toArray(new String[0]), tokens.indexOf("<s>"), tokens.indexOf("</s>"), true);
        }
    }

    private static Vocab base() {
        return new Vocab()
                .special("<s>", Tokenizer.TYPE_CONTROL)
                .special("</s>", Tokenizer.TYPE_CONTROL)
                .special("<ctl>", Tokenizer.TYPE_CONTROL)
                .special("<ctl_long>", Tokenizer.TYPE_CONTROL)
                .special("<tool>", Tokenizer.TYPE_USER_DEFINED)
                .bytes();
    }

    private static int byteId(Tokenizer t, char c) {
        return t.tokenId(String.valueOf(ByteLevel.charOf(c)));
    }

    @Test
    void controlTokensAreMatchedOnlyWithParseSpecialButUserDefinedAlways() {
        Tokenizer t = base().build();
        int ctl = t.tokenId("<ctl>");
        int tool = t.tokenId("<tool>");
        int[] parsed = t.encode("<ctl><tool>", false, true);
        assertArrayEquals(new int[] {ctl, tool}, parsed);
        int[] plain = t.encode("<ctl><tool>", false, false);
        assertEquals(tool, plain[plain.length - 1], "USER_DEFINED is split out even without parse-special");
        assertEquals(6, plain.length, "'<ctl>' as five byte tokens, then <tool>");
    }

    @Test
    void longerSpecialTokensWinOverTheirPrefixes() {
        Tokenizer t = base().build();
        assertArrayEquals(new int[] {t.tokenId("<ctl_long>")}, t.encode("<ctl_long>", false, true));
    }

    @Test
    void userDefinedTokensDecodeAsTextAndControlTokensOnlyWhenShown() {
        Tokenizer t = base().build();
        int[] ids = t.encode("a<ctl>b<tool>", true, true);
        assertEquals("a" + "b<tool>", t.decode(ids, false));
        assertEquals("<s>a<ctl>b<tool>", t.decode(ids, true));
    }

    @Test
    void mergesApplyLowestRankFirst() {
        // "abc": rank0 = "b c", rank1 = "a b" -> [a][bc], not [ab][c].
        Tokenizer t = base().merge("b", "c").merge("a", "b").build();
        assertArrayEquals(new int[] {byteId(t, 'a'), t.tokenId("bc")}, t.encode("abc", false, false));
    }

    @Test
    void equalRankPairsMergeLeftmostFirst() {
        // "aaa" with merge "a a": leftmost pair first -> [aa][a].
        Tokenizer t = base().merge("a", "a").build();
        assertArrayEquals(new int[] {t.tokenId("aa"), byteId(t, 'a')}, t.encode("aaa", false, false));
        // "aaaa" -> [aa][aa], then "aa aa" if present.
        Tokenizer t2 = base().merge("a", "a").merge("aa", "aa").build();
        assertArrayEquals(new int[] {t2.tokenId("aaaa")}, t2.encode("aaaa", false, false));
        assertArrayEquals(new int[] {t2.tokenId("aaaa"), t2.tokenId("aa"), byteId(t2, 'a')}, t2.encode("aaaaaaa", false, false));
    }

    @Test
    void wholePreTokenInVocabularyIgnoresMerges() {
        // "abc" is a token, but no merge chain builds it: ignore_merges emits it directly.
        Tokenizer t = base().merge("a", "b").token("abc").build();
        assertArrayEquals(new int[] {t.tokenId("abc")}, t.encode("abc", false, false));
        assertArrayEquals(new int[] {t.tokenId("ab"), byteId(t, 'd')}, t.encode("abd", false, false));
    }

    @Test
    void mergeResultMissingFromVocabularyFallsBackToByteTokens() {
        Tokenizer t = base().merge("x", "y", false).build();
        assertArrayEquals(new int[] {byteId(t, 'x'), byteId(t, 'y')}, t.encode("xy", false, false));
    }

    @Test
    void spacesAndNewlinesUseTheByteAlphabet() {
        Tokenizer t = base().merge("\u0120", "a").build(); // "Ġa" = " a"
        assertArrayEquals(new int[] {byteId(t, 'b'), t.tokenId("\u0120a")}, t.encode("b a", false, false));
        assertEquals("b a", t.decode(t.encode("b a", false, false), false));
    }

    @Test
    void bosIsAddedOnceAndOnlyWhenAsked() {
        Tokenizer t = base().build();
        assertArrayEquals(new int[] {0, byteId(t, 'a')}, t.encode("a", true, false));
        assertArrayEquals(new int[] {byteId(t, 'a')}, t.encode("a", false, false));
        assertArrayEquals(new int[] {0}, t.encode("", true, true));
        assertArrayEquals(new int[0], t.encode("", false, true));
    }

    @Test
    void longWordsWithDeepMergeChainsEncodeQuickly() {
        // 2^k-long runs of 'a' through merges a a, aa aa, aaaa aaaa, ...; a 60000-letter word is one pre-token.
        Vocab v = base();
        String s = "\u0061";
        for (int k = 0; k < 14; k++) {
            v.merge(s, s);
            s = s + s;
        }
        // Pad the merge table to a realistic size with merges that never apply.
        for (int i = 0; i < 65000; i++) {
            v.merges.add("\u0100" + Integer.toString(i, 36) + " \u0101");
        }
        Tokenizer t = v.build();
        String word = "a".repeat(60000);
        int[] ids = t.encode(word, false, false);
        assertEquals(word, t.decode(ids, false));
        assertEquals(8, ids.length, "60000 = 3 x 16384 + 8192 + 2048 + 512 + 64 + 32: eight tokens, got " + ids.length);
    }

    // ------------------------------------------------------------------ fromGguf validation

    private static Map<String, GgufValue> minimalMetadata() {
        Map<String, GgufValue> m = new HashMap<>();
        m.put("tokenizer.ggml.model", GgufValue.ofString("gpt2"));
        m.put("tokenizer.ggml.pre", GgufValue.ofString("lfm2"));
        String[] tokens = new String[258];
        long[] types = new long[258];
        tokens[0] = "<|startoftext|>";
        types[0] = Tokenizer.TYPE_CONTROL;
        tokens[1] = "<|im_end|>";
        types[1] = Tokenizer.TYPE_CONTROL;
        for (int b = 0; b < 256; b++) {
            tokens[2 + b] = String.valueOf(ByteLevel.charOf(b));
            types[2 + b] = Tokenizer.TYPE_NORMAL;
        }
        m.put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufArray.ofStrings(tokens)));
        m.put("tokenizer.ggml.token_type", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32, types)));
        m.put("tokenizer.ggml.merges", GgufValue.ofArray(GgufArray.ofStrings()));
        return m;
    }

    @Test
    void fromGgufRejectsNonByteLevelModels() {
        Map<String, GgufValue> m = minimalMetadata();
        m.put("tokenizer.ggml.model", GgufValue.ofString("llama"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.fromGguf(new GgufMetadata(m)));
        assertTrue(e.getMessage().contains("'llama'") && e.getMessage().contains("gpt2"), e.getMessage());
        m.remove("tokenizer.ggml.model");
        assertThrows(IllegalArgumentException.class, () -> Tokenizer.fromGguf(new GgufMetadata(m)));
    }

    @Test
    void fromGgufRejectsUnknownPreTokenizersAndAcceptsLlama3Aliases() throws Exception {
        Map<String, GgufValue> m = minimalMetadata();
        m.put("tokenizer.ggml.pre", GgufValue.ofString("qwen2"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.fromGguf(new GgufMetadata(m)));
        assertTrue(e.getMessage().contains("qwen2"), e.getMessage());
        for (String pre : List.of("lfm2", "llama-bpe", "llama3")) {
            m.put("tokenizer.ggml.pre", GgufValue.ofString(pre));
            assertEquals(258, Tokenizer.fromGguf(new GgufMetadata(m)).vocabSize());
        }
    }

    @Test
    void fromGgufDefaultsBosEosAndAddBosWhenKeysAreAbsent() throws Exception {
        Map<String, GgufValue> m = minimalMetadata();
        Tokenizer t = Tokenizer.fromGguf(new GgufMetadata(m));
        assertEquals(0, t.bosId(), "found by text <|startoftext|>");
        assertEquals(1, t.eosId(), "found by text <|im_end|>");
        assertTrue(t.addBosByDefault());
        assertEquals(0, t.encode("a", true)[0]);
        m.put("tokenizer.ggml.add_bos_token", GgufValue.ofBool(false));
        m.put("tokenizer.ggml.bos_token_id", GgufValue.ofUInt32(1));
        Tokenizer t2 = Tokenizer.fromGguf(new GgufMetadata(m));
        assertEquals(1, t2.bosId());
        assertEquals(1, t2.encode("a", true).length, "add_bos_token = false");
    }
}
