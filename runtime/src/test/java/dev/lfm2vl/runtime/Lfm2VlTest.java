package dev.lfm2vl.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.loader.Fixtures;
import dev.lfm2vl.loader.Json;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class Lfm2VlTest {

    private static Lfm2Vl.Options greedy(int maxTokens) {
        return Lfm2Vl.Options.defaults().withThreads(2).withContextSize(2048).withMaxTokens(maxTokens).withSampling(Sampler.Settings.greedy());
    }

    @Test
    void captionReproducesTheReferenceGreedyTokensInLlamaCppMode() throws IOException {
        Map<String, Object> ref = Json.object(Json.parse(Fixtures.readString("vision/img_256x384_default_mmprojF32_textF32.json")));
        int[] expected = Json.ints(ref.get("generated_ids"));
        try (Lfm2Vl vlm = Lfm2Vl.load(Fixtures.textModel("F32"), Fixtures.mmproj("F32"),
                greedy(expected.length).withPreprocess(PreprocessMode.LLAMA_CPP))) {
            StringBuilder streamed = new StringBuilder();
            Generator.Result r = vlm.ask(Lfm2Vl.DESCRIBE, List.of(Fixtures.file("images/img_256x384.png")), streamed::append);
            assertArrayEquals(expected, r.tokens());
            assertEquals(r.text(), streamed.toString(), "the callback saw the whole answer");
            assertEquals(((Number) ref.get("n_prompt_positions")).intValue(), r.promptPositions());
            // A second request starts from a fresh conversation: same answer.
            assertArrayEquals(expected, vlm.ask(Lfm2Vl.DESCRIBE, List.of(Fixtures.file("images/img_256x384.png")), s -> {}).tokens());
        }
    }

    @Test
    void hfModeUsesTheTrainedLayoutWithoutTheThumbnailMarker() throws IOException {
        try (Lfm2Vl vlm = Lfm2Vl.load(Fixtures.textModel("Q4_0"), Fixtures.mmproj("F16"), greedy(4))) {
            Prompt p = vlm.prompt(Lfm2Vl.DESCRIBE, List.of(Fixtures.file("images/img_256x384.png")));
            assertEquals(96, p.imageTokens());
            int thumbnail = vlm.tokenizer().tokenId("<|img_thumbnail|>");
            for (Prompt.Part c : p.parts()) {
                if (c instanceof Prompt.Tokens t) {
                    for (int id : t.ids()) {
                        assertTrue(id != thumbnail, "HF single-image layout has no thumbnail marker");
                    }
                }
            }
            assertFalse(vlm.caption(Fixtures.file("images/img_64x48.png")).isEmpty());
        }
    }

    @Test
    void textOnlyModelsAnswerTextAndRefuseImages() throws IOException {
        try (Lfm2Vl vlm = Lfm2Vl.load(Fixtures.textModel("Q8_0"), null, greedy(6))) {
            Generator.Result r = vlm.ask("Hello", List.of(), s -> {});
            assertEquals(6, r.tokens().length);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> vlm.ask("What is this?", List.of(Fixtures.file("images/img_64x48.png")), s -> {}));
            assertTrue(e.getMessage().contains("mmproj"), e.getMessage());
        }
    }

    @Test
    void wrappingLoadedModelsReportsStagesAndLeavesTheModelsOpen() throws IOException {
        try (dev.lfm2vl.kernels.Parallel pool = dev.lfm2vl.kernels.Parallel.create(2);
                Lfm2Model text = Lfm2Model.load(Fixtures.textModel("Q4_0"), pool);
                VisionModel vision = VisionModel.load(Fixtures.mmproj("F16"), pool)) {
            List<String> stages = new java.util.ArrayList<>();
            Lfm2Vl.Answer a;
            try (Lfm2Vl vlm = Lfm2Vl.of(text, vision, greedy(3))) {
                a = vlm.answer(null, Lfm2Vl.DESCRIBE, List.of(Fixtures.file("images/img_256x384.png")), Sampler.Settings.greedy(), 3,
                        new Listener() {
                            @Override
                            public void planned(java.nio.file.Path image, ImagePlan plan) {
                                stages.add("planned " + plan.totalImageTokens());
                            }

                            @Override
                            public void encoding(int image, int images, int entry, int entries) {
                                stages.add("encoding " + image + "/" + images + " " + entry + "/" + entries);
                            }

                            @Override
                            public void prefill(int positions) {
                                stages.add("prefill");
                            }
                        });
            }
            assertEquals(List.of("planned 96", "encoding 1/1 1/1", "prefill"), stages);
            assertEquals(96, a.imageTokens());
            assertTrue(a.encodeNanos() > 0);
            assertEquals(3, a.result().tokens().length);
            // Closing the wrapper left the caller's models usable.
            assertEquals(640, text.config().vocabSize());
            assertFalse(vision.embed(new ImagePreprocessor(vision.preprocessOptions(PreprocessMode.HF))
                    .preprocess(ImageLoader.load(Fixtures.file("images/img_64x48.png"))).entries().get(0)).length == 0);
        }
    }

    @Test
    void aStopWhileImagesAreEncodedEndsBetweenEncoderBlocksBeforeAnyPrefill() throws IOException {
        try (Lfm2Vl vlm = Lfm2Vl.load(Fixtures.textModel("Q4_0"), Fixtures.mmproj("F16"), greedy(3))) {
            int[] polls = {0};
            List<String> stages = new java.util.ArrayList<>();
            // poll 1: before the entry; poll 2: before encoder block 0; poll 3 (before block 1) stops
            Listener stopOnThirdPoll = new Listener() {
                @Override
                public void onToken(int id, String text) {
                    stages.add("token");
                }

                @Override
                public void prefill(int positions) {
                    stages.add("prefill");
                }

                @Override
                public boolean cancelled() {
                    return ++polls[0] >= 3;
                }
            };
            Lfm2Vl.Answer a = vlm.answer(null, Lfm2Vl.DESCRIBE, List.of(Fixtures.file("images/img_256x384.png")),
                    Sampler.Settings.greedy(), 3, stopOnThirdPoll);
            assertEquals(Generator.StopReason.CANCELLED, a.result().stopReason());
            assertEquals(0, a.result().tokens().length);
            assertEquals(3, polls[0], "stopped at the first poll that answered true");
            assertEquals(List.of(), stages, "nothing was prefilled or generated");
            // the next request is unaffected
            assertEquals(3, vlm.ask(Lfm2Vl.DESCRIBE, List.of(Fixtures.file("images/img_256x384.png")), s -> {}).tokens().length);
        }
    }

    @Test
    void encodingWithANeverTrueStopPollsBeforeEveryBlockAndGivesTheSameVectors() throws IOException {
        try (dev.lfm2vl.kernels.Parallel pool = dev.lfm2vl.kernels.Parallel.create(2);
                VisionModel vision = VisionModel.load(Fixtures.mmproj("F16"), pool)) {
            ImageEntry entry = new ImagePreprocessor(vision.preprocessOptions(PreprocessMode.HF))
                    .preprocess(ImageLoader.load(Fixtures.file("images/img_64x48.png"))).entries().get(0);
            int[] polls = {0};
            float[] polled = vision.embed(entry, () -> {
                polls[0]++;
                return false;
            });
            float[] plain = vision.embed(entry);
            assertEquals(plain.length, polled.length);
            // equal up to float rounding: the JIT may compile the vector exp/tanh between the two calls
            for (int i = 0; i < plain.length; i++) {
                assertEquals(plain[i], polled[i], 1e-5f * (1 + Math.abs(plain[i])), "vector value " + i);
            }
            assertEquals(vision.config().layers(), polls[0]);
            assertThrows(java.util.concurrent.CancellationException.class, () -> vision.embed(entry, () -> true));
        }
    }

    @Test
    void aWholeConversationWithAnImageInBytesIsAnsweredAsItsHandWrittenChatMlPrompt() throws Exception {
        java.nio.file.Path image = Fixtures.file("images/img_256x384.png");
        try (Lfm2Vl vlm = Lfm2Vl.load(Fixtures.textModel("Q4_0"), Fixtures.mmproj("F16"), greedy(5))) {
            List<ChatTemplate.Message> messages = List.of(ChatTemplate.Message.system("Be brief."),
                    ChatTemplate.Message.user(Lfm2Vl.DESCRIBE, 1), ChatTemplate.Message.assistant("A tall picture."),
                    ChatTemplate.Message.user("And the colours?"));
            PreprocessedImage fromBytes = vlm.preprocess(java.nio.file.Files.readAllBytes(image), "upload.png");
            Prompt built = Lfm2Vl.buildPrompt(messages, List.of(fromBytes), vlm.tokenizer());
            // the same conversation written out in ChatML (docs/MODEL.md §8.1), the image slot where the marker goes
            Prompt written = Prompt.build(List.of(
                    new ChatTemplate.Text("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n"),
                    new ChatTemplate.Image(0),
                    new ChatTemplate.Text(Lfm2Vl.DESCRIBE + "<|im_end|>\n<|im_start|>assistant\nA tall picture.<|im_end|>\n"
                            + "<|im_start|>user\nAnd the colours?<|im_end|>\n<|im_start|>assistant\n")),
                    vlm.tokenizer(), List.of(vlm.preprocess(image)), true);
            assertEquals(written.positions(), built.positions());
            assertEquals(96, built.imageTokens());
            for (int i = 0; i < written.parts().size(); i++) {
                if (written.parts().get(i) instanceof Prompt.Tokens t) {
                    assertArrayEquals(t.ids(), ((Prompt.Tokens) built.parts().get(i)).ids(), "token run " + i);
                }
            }
            Lfm2Vl.Answer a = vlm.answer(built, Sampler.Settings.greedy(), 5, Listener.NONE);
            assertEquals(written.positions(), a.result().promptPositions());
            assertArrayEquals(vlm.answer(written, Sampler.Settings.greedy(), 5, Listener.NONE).result().tokens(), a.result().tokens());
            assertThrows(ImageLoadException.class, () -> vlm.preprocess(new byte[] {1, 2, 3}, "upload.png"));
        }
    }

    @Test
    void concurrentRequestsOnOneInstanceTakeTurnsAndGiveTheSequentialAnswers() throws Exception {
        try (Lfm2Vl vlm = Lfm2Vl.load(Fixtures.textModel("Q4_0"), Fixtures.mmproj("F16"), greedy(8))) {
            List<java.nio.file.Path> images = List.of(Fixtures.file("images/img_64x48.png"));
            int[] alone = vlm.ask(Lfm2Vl.DESCRIBE, images, s -> {}).tokens();
            int[] text = vlm.ask("Hello there", List.of(), s -> {}).tokens();
            try (var pool = java.util.concurrent.Executors.newFixedThreadPool(4)) {
                List<java.util.concurrent.Future<int[]>> answers = new java.util.ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    boolean withImage = i % 2 == 0;
                    answers.add(pool.submit(() -> withImage ? vlm.ask(Lfm2Vl.DESCRIBE, images, s -> {}).tokens()
                            : vlm.ask("Hello there", List.of(), s -> {}).tokens()));
                }
                for (int i = 0; i < answers.size(); i++) {
                    assertArrayEquals(i % 2 == 0 ? alone : text, answers.get(i).get(), "request " + i);
                }
            }
        }
    }

    @Test
    void badOptionsAreRejectedWithAClearMessage() {
        assertThrows(IllegalArgumentException.class, () -> Lfm2Vl.Options.defaults().withThreads(0));
        assertThrows(IllegalArgumentException.class, () -> Lfm2Vl.Options.defaults().withImageTokens(300, 200));
        assertThrows(IllegalArgumentException.class, () -> Lfm2Vl.Options.defaults().withMaxTokens(-2));
    }
}
