package dev.lfm2vl.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.loader.Fixtures;
import dev.lfm2vl.loader.GgufFile;
import dev.lfm2vl.loader.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** The tokenizer against llama.cpp's output on the synthetic lfm2-tiny vocabulary. */
class TokenizerFixtureTest {
    private static Tokenizer tokenizer;

    static synchronized Tokenizer tiny() throws IOException {
        if (tokenizer == null) {
            try (GgufFile f = GgufFile.open(Fixtures.textModel("F32"))) {
                tokenizer = Tokenizer.fromGguf(f.metadata());
            }
        }
        return tokenizer;
    }

    private static List<Map<String, Object>> pairCases() {
        Map<String, Object> root = Json.object(Json.parse(Fixtures.readString("tokenizer/tokenizer_pairs.json")));
        Map<String, Object> vocab = Json.object(Json.object(root.get("vocabularies")).get("lfm2-tiny"));
        List<Map<String, Object>> cases = new ArrayList<>();
        for (Object c : Json.list(vocab.get("cases"))) {
            cases.add(Json.object(c));
        }
        return cases;
    }

    private static String label(String text) {
        String s = text.replace("\n", "\\n").replace("\t", "\\t");
        return "[" + (s.length() > 40 ? s.substring(0, 40) + "…" : s) + "]";
    }

    @TestFactory
    Stream<DynamicTest> everyPairMatchesLlamaCppWithSpecialsParsedAndBosAdded() {
        return pairCases().stream().map(c -> DynamicTest.dynamicTest(label((String) c.get("text")), () -> {
            String text = (String) c.get("text");
            assertArrayEquals(Json.ints(c.get("ids_add_special_parse_special")), tiny().encode(text, true, true), text);
        }));
    }

    @TestFactory
    Stream<DynamicTest> everyPairMatchesLlamaCppWithSpecialsAsPlainTextAndNoBos() {
        return pairCases().stream().map(c -> DynamicTest.dynamicTest(label((String) c.get("text")), () -> {
            String text = (String) c.get("text");
            assertArrayEquals(Json.ints(c.get("ids_no_special_no_parse")), tiny().encode(text, false, false), text);
        }));
    }

    @TestFactory
    Stream<DynamicTest> everyPairDetokenizesWithSpecialsShownLikeLlamaCpp() {
        return pairCases().stream().map(c -> DynamicTest.dynamicTest(label((String) c.get("text")), () -> {
            int[] ids = Json.ints(c.get("ids_add_special_parse_special"));
            assertEquals(c.get("detokenized_special"), tiny().decode(ids, true));
        }));
    }

    @Test
    void plainTextRoundTripsThroughDecodeWithoutSpecials() throws IOException {
        for (Map<String, Object> c : pairCases()) {
            String text = (String) c.get("text");
            assertEquals(text, tiny().decode(tiny().encode(text, false, false), false), text);
        }
    }

    @Test
    void summaryChatSequenceMatches() throws IOException {
        Map<String, Object> s = Json.object(Json.parse(Fixtures.readString("summary.json")));
        String text = (String) Json.object(s.get("sequence_texts")).get("chat");
        int[] ids = Json.ints(Json.object(Json.object(s.get("sequences")).get("chat")).get("ids"));
        assertArrayEquals(ids, tiny().encode(text, true, true));
    }

    @Test
    void summaryText40SequenceIsThePrefixOfTheFullEncoding() throws IOException {
        Map<String, Object> s = Json.object(Json.parse(Fixtures.readString("summary.json")));
        String text = (String) Json.object(s.get("sequence_texts")).get("text40");
        String note = " (first 40 tokens)";
        assertTrue(text.endsWith(note), "summary text40 carries its annotation");
        text = text.substring(0, text.length() - note.length());
        int[] ids = Json.ints(Json.object(Json.object(s.get("sequences")).get("text40")).get("ids"));
        int[] all = tiny().encode(text, true, true);
        assertTrue(all.length > ids.length, "the text is longer than 40 tokens");
        assertArrayEquals(ids, Arrays.copyOf(all, ids.length));
    }

    @Test
    void visionPromptTextChunksMatchLlamaMtmd() throws IOException {
        Map<String, Object> v = Json.object(Json.parse(Fixtures.readString("vision/img_256x384_default_mmprojF32_textF32.json")));
        List<int[]> textChunks = new ArrayList<>();
        for (Object o : Json.list(v.get("chunks"))) {
            Map<String, Object> c = Json.object(o);
            if ("text".equals(c.get("type"))) {
                textChunks.add(Json.ints(c.get("tokens")));
            }
        }
        assertEquals(2, textChunks.size());
        // Chunk before the image: BOS + template text + the image-span opening (llama.cpp layout).
        Tokenizer t = tiny();
        assertArrayEquals(textChunks.get(0), t.encode("<|im_start|>user\n<|image_start|><|img_thumbnail|>", true, true));
        // Chunk after the image: tokenized separately, no BOS.
        assertArrayEquals(textChunks.get(1),
                t.encode("<|image_end|>Describe this image.<|im_end|>\n<|im_start|>assistant\n", false, true));

        // The same text pieces come out of the chat template.
        List<ChatTemplate.Piece> pieces = ChatTemplate.pieces(
                List.of(ChatTemplate.Message.user("Describe this image.", 1)), true);
        assertEquals(3, pieces.size());
        ChatTemplate.Text before = (ChatTemplate.Text) pieces.get(0);
        assertEquals(new ChatTemplate.Image(0), pieces.get(1));
        ChatTemplate.Text after = (ChatTemplate.Text) pieces.get(2);
        assertArrayEquals(textChunks.get(0), t.encode(before.text() + "<|image_start|><|img_thumbnail|>", true, true));
        assertArrayEquals(textChunks.get(1), t.encode("<|image_end|>" + after.text(), false, true));
        assertEquals(v.get("prompt"), ChatTemplate.render(List.of(ChatTemplate.Message.user("Describe this image.", 1)), true));
    }

    @Test
    void specialTokenIdsAndEndOfGenerationComeFromTheVocabulary() throws IOException {
        Tokenizer t = tiny();
        assertEquals(640, t.vocabSize());
        assertEquals(1, t.bosId());
        assertEquals(7, t.eosId());
        assertEquals(6, t.tokenId("<|im_start|>"));
        assertEquals(-1, t.tokenId("<|not_a_token|>"));
        assertEquals("<|im_end|>", t.tokenText(7));
        assertTrue(t.isEndOfGeneration(7));
        assertTrue(t.isEndOfGeneration(t.tokenId("<|endoftext|>")));
        assertFalse(t.isEndOfGeneration(6));
        assertFalse(t.isEndOfGeneration(150));
        assertTrue(t.isControl(1));
        assertFalse(t.isControl(150));
        assertTrue(t.addBosByDefault());
    }

    @Test
    void chatPromptStartsWithExactlyOneBos() throws IOException {
        Tokenizer t = tiny();
        String prompt = ChatTemplate.render(List.of(
                ChatTemplate.Message.system("You are a helpful assistant."),
                ChatTemplate.Message.user("Hi")), true);
        int[] ids = t.encode(prompt, true, true);
        assertEquals(t.bosId(), ids[0]);
        assertEquals(1, Arrays.stream(ids).filter(id -> id == t.bosId()).count());
    }

    @Test
    void streamingDecodeNeverEmitsBrokenUtf8() throws IOException {
        Tokenizer t = tiny();
        String text = "héllo 日本語 🙂 naïve — ok";
        int[] ids = t.encode(text, true, true);
        TokenDecoder d = t.newDecoder(false);
        StringBuilder sb = new StringBuilder();
        int held = 0;
        for (int id : ids) {
            String piece = d.accept(id);
            assertFalse(piece.contains("\uFFFD"), "no replacement character in " + piece);
            for (int i = 0; i < piece.length(); i++) {
                char ch = piece.charAt(i);
                if (Character.isHighSurrogate(ch)) {
                    assertTrue(i + 1 < piece.length() && Character.isLowSurrogate(piece.charAt(i + 1)), "split surrogate pair");
                    i++;
                } else {
                    assertFalse(Character.isLowSurrogate(ch), "lone low surrogate");
                }
            }
            held = Math.max(held, d.pendingBytes());
            sb.append(piece);
        }
        sb.append(d.flush());
        assertTrue(held > 0, "the tiny vocabulary splits multi-byte characters across tokens");
        assertEquals(text, sb.toString());
        assertEquals(t.decode(ids, false), sb.toString());
    }

    @Test
    void streamingDecodeShowsControlTokensOnlyWhenAsked() throws IOException {
        Tokenizer t = tiny();
        int[] ids = t.encode("<|im_start|>user\nhi<|im_end|>", true, true);
        StringBuilder hidden = new StringBuilder();
        StringBuilder shown = new StringBuilder();
        TokenDecoder dh = t.newDecoder(false);
        TokenDecoder ds = t.newDecoder(true);
        for (int id : ids) {
            hidden.append(dh.accept(id));
            shown.append(ds.accept(id));
        }
        assertEquals("user\nhi", hidden.append(dh.flush()).toString());
        assertEquals("<|startoftext|><|im_start|>user\nhi<|im_end|>", shown.append(ds.flush()).toString());
    }

    @Test
    void encodingSeveralKilobytesIsQuick() throws IOException {
        Tokenizer t = tiny();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            sb.append("Line ").append(i).append(": The quick brown fox — naïve café 日本語 ").append(i * 31).append("\n\t  ");
        }
        sb.append("x".repeat(5000)).append(' ').append(" ".repeat(3000)).append("y");
        String text = sb.toString();
        int[] ids = t.encode(text, false, true);
        assertEquals(text, t.decode(ids, false));
    }
}
