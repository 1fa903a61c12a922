package dev.lfm2vl.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.loader.Fixtures;
import dev.lfm2vl.loader.GgufFile;
import dev.lfm2vl.loader.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Chunk layouts of image prompts against llama.cpp's (fixtures/vision {@code chunks}), and multi-image prompts. */
class PromptTest {
    private static Tokenizer tokenizer;
    private static VisionModel vision;

    @BeforeAll
    static void load() throws IOException {
        try (GgufFile text = GgufFile.open(Fixtures.textModel("F32"))) {
            tokenizer = Tokenizer.fromGguf(text.metadata());
        }
        vision = VisionModel.load(Fixtures.mmproj("F32"), Parallel.sequential());
    }

    @AfterAll
    static void close() {
        vision.close();
    }

    static List<String> tags() {
        return VisionFixtures.tags();
    }

    static List<ChatTemplate.Piece> describePrompt(int images) {
        return ChatTemplate.pieces(List.of(ChatTemplate.Message.user("Describe this image.", images)), true);
    }

    @ParameterizedTest
    @MethodSource("tags")
    void chunkLayoutAndTokenCountsMatchLlamaCpp(String tag) throws IOException {
        Map<String, Object> json = VisionFixtures.json(tag);
        PreprocessedImage img = new ImagePreprocessor(VisionFixtures.options(vision, json)).preprocess(ImageLoader.load(VisionFixtures.image(json)));
        Prompt prompt = Prompt.build(describePrompt(1), tokenizer, List.of(img), true);
        List<Object> want = Json.list(json.get("chunks"));
        List<Map<String, Object>> got = prompt.layout();
        assertEquals(want.size(), got.size(), "chunk count");
        for (int i = 0; i < want.size(); i++) {
            Map<String, Object> w = Json.object(want.get(i));
            Map<String, Object> g = got.get(i);
            String where = tag + " chunk " + i;
            assertEquals(w.get("type"), g.get("type"), where);
            assertEquals(VisionFixtures.intOf(w.get("n_tokens")), g.get("n_tokens"), where);
            if (w.get("type").equals("text")) {
                assertArrayEquals(Json.ints(w.get("tokens")), (int[]) g.get("tokens"), where);
            } else {
                assertEquals(VisionFixtures.intOf(w.get("tile_w")), g.get("tile_w"), where);
                assertEquals(VisionFixtures.intOf(w.get("tile_h")), g.get("tile_h"), where);
            }
        }
        assertEquals(VisionFixtures.intOf(json.get("n_prompt_positions")), prompt.positions());
        assertEquals(VisionFixtures.intOf(json.get("n_image_tokens_total")), prompt.imageTokens());
    }

    @Test
    void twoImagesInOnePromptGiveTwoImageSpansInOrder() throws IOException {
        ImagePreprocessor pre = new ImagePreprocessor(vision.preprocessOptions(PreprocessMode.LLAMA_CPP));
        PreprocessedImage a = pre.preprocess(ImageLoader.load(Fixtures.file("images/img_256x384.png")));
        PreprocessedImage b = pre.preprocess(ImageLoader.load(Fixtures.file("images/img_64x48.png")));
        Prompt prompt = Prompt.build(
                ChatTemplate.pieces(List.of(ChatTemplate.Message.user("Compare <__media__> with <__media__>.", 2)), true),
                tokenizer, List.of(a, b), true);
        List<Prompt.Image> images = prompt.imageParts();
        assertEquals(2, images.size());
        assertEquals(0, images.get(0).image());
        assertEquals(96, images.get(0).positions());
        assertEquals(1, images.get(1).image());
        assertEquals(70, images.get(1).positions());
        // text, image 0, text (end marker, " with", start + thumbnail markers), image 1, text
        List<Prompt.Part> chunks = prompt.parts();
        assertEquals(5, chunks.size());
        int start = tokenizer.tokenId(ImageLayoutItem.IMAGE_START);
        int end = tokenizer.tokenId(ImageLayoutItem.IMAGE_END);
        int[] middle = assertInstanceOf(Prompt.Tokens.class, chunks.get(2)).ids();
        assertEquals(end, middle[0]);
        assertEquals(start, middle[middle.length - 2]);
        assertEquals(tokenizer.tokenId(ImageLayoutItem.THUMBNAIL), middle[middle.length - 1]);
        int[] first = assertInstanceOf(Prompt.Tokens.class, chunks.get(0)).ids();
        assertEquals(tokenizer.bosId(), first[0]);
        assertEquals(end, assertInstanceOf(Prompt.Tokens.class, chunks.get(4)).ids()[0]);

        // encoding gives every image part its vectors, in image order, and keeps the layout
        assertFalse(prompt.encoded());
        Prompt encoded = prompt.encode(vision, Listener.NONE);
        assertTrue(encoded.encoded());
        List<Prompt.Part> parts = encoded.parts();
        assertEquals(5, parts.size());
        int dim = vision.config().projectionDim();
        assertEquals(96 * dim, assertInstanceOf(Prompt.Image.class, parts.get(1)).vectors().length);
        assertEquals(70 * dim, assertInstanceOf(Prompt.Image.class, parts.get(3)).vectors().length);
        assertEquals(prompt.positions(), encoded.positions());
        for (int i = 0; i < parts.size(); i++) {
            if (prompt.parts().get(i) instanceof Prompt.Tokens t) {
                assertSame(t, parts.get(i), "token runs are kept as they are");
            }
        }
    }

    @Test
    void aTiledImageHasOneImageChunkPerTileThenTheThumbnail() throws IOException {
        ImagePreprocessor pre = new ImagePreprocessor(vision.preprocessOptions(PreprocessMode.HF));
        PreprocessedImage img = pre.preprocess(ImageLoader.load(Fixtures.file("images/img_1000x3000.png")));
        Prompt prompt = Prompt.build(describePrompt(1), tokenizer, List.of(img), true);
        List<Integer> entries = new ArrayList<>();
        for (Prompt.Image c : prompt.imageParts()) {
            entries.add(c.index());
        }
        assertEquals(List.of(0, 1, 2, 3), entries);
        assertEquals(img.totalImageTokens(), prompt.imageTokens());
        assertEquals(512, prompt.imageParts().get(0).entry().width());
        Prompt.Image thumb = prompt.imageParts().get(3);
        assertEquals(List.of(288, 864, 243), List.of(thumb.entry().width(), thumb.entry().height(), thumb.positions()));
        // HF layout: <|image_start|> <|img_row_1_col_1|> IMG <|img_row_2_col_1|> IMG <|img_row_3_col_1|> IMG <|img_thumbnail|> IMG <|image_end|>
        int[] head = ((Prompt.Tokens) prompt.parts().get(0)).ids();
        assertEquals(tokenizer.tokenId(ImageLayoutItem.tileMarker(1, 1)), head[head.length - 1]);
        assertEquals(tokenizer.tokenId(ImageLayoutItem.IMAGE_START), head[head.length - 2]);
    }

    @Test
    void aMissingImageOrAnUnusedImageIsAnError() throws IOException {
        ImagePreprocessor pre = new ImagePreprocessor(vision.preprocessOptions(PreprocessMode.HF));
        PreprocessedImage img = pre.preprocess(ImageLoader.load(Fixtures.file("images/img_64x48.png")));
        assertThrows(IllegalArgumentException.class, () -> Prompt.build(describePrompt(1), tokenizer, List.of(), true));
        assertThrows(IllegalArgumentException.class, () -> Prompt.build(
                ChatTemplate.pieces(List.of(ChatTemplate.Message.user("hi")), true), tokenizer, List.of(img), true));
    }
}
