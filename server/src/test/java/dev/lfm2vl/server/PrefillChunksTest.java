package dev.lfm2vl.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.runtime.Conversation;
import dev.lfm2vl.runtime.Generator;
import dev.lfm2vl.runtime.Lfm2Model;
import dev.lfm2vl.runtime.Lfm2State;
import dev.lfm2vl.runtime.Listener;
import dev.lfm2vl.runtime.Prompt;
import dev.lfm2vl.runtime.Sampler;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A server that prefills in pieces of 16 positions answers exactly as the runtime, which feeds each prompt chunk in one
 * call: prompts whose text is one position more than a multiple of 16 (where a plain cut would leave a piece of one
 * position, which takes the mat-vec path), a multiple of 16, and an image whose entry is cut into pieces too.
 */
class PrefillChunksTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] WORDS = "the quick brown fox jumps over a lazy dog while seven small birds sing".split(" ");
    private static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(ServerConfig.defaults(), 1, 4, 1024, 16);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void textPromptsCutInPiecesOf16AnswerAsOneCallDoes() throws Exception {
        Sampler.Settings greedy = new Sampler.Settings(0f, 0f, 0, 1f, 1f, 64, 0);
        try (Parallel pool = Parallel.create(TestServer.THREADS); Lfm2Model model = Lfm2Model.load(TestServer.model(), pool)) {
            for (int remainder : new int[] {1, 0, 15}) {
                StringBuilder text = new StringBuilder("Read this:");
                for (int i = 0; positions(model, text.toString()) < 70 || positions(model, text.toString()) % 16 != remainder; i++) {
                    text.append(' ').append(WORDS[i % WORDS.length]);
                    assertTrue(i < 500, "no prompt with " + remainder + " positions past a multiple of 16");
                }
                Conversation chat = new Conversation(model, null, model.tokenizer(), greedy, 1024, null);
                Generator.Result want = chat.send(text.toString(), 8, Listener.NONE);
                JsonNode got = JSON.readTree(server.post("/v1/chat/completions", "{\"temperature\":0,\"repetition_penalty\":1,\"max_tokens\":8,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":" + JSON.writeValueAsString(text.toString()) + "}]}").body());
                assertEquals(want.promptPositions(), got.get("usage").get("prompt_tokens").asInt());
                assertEquals(want.text(), got.get("choices").get(0).get("message").get("content").asText(), "prompt of " + want.promptPositions());
            }
        }
    }

    /**
     * The slot's logits after a prefill in pieces of 16 are bit for bit those of one forward call of the whole prompt
     * (the logits differ in their last bits, too little to change the tiny model's greedy answers above, when a piece
     * of one position is left where the one call has none).
     */
    @Test
    void aSlotsPrefillInPiecesGivesTheBitsOfOneForwardCall() throws Exception {
        try (Parallel pool = Parallel.create(TestServer.THREADS); Lfm2Model model = Lfm2Model.load(TestServer.model(), pool)) {
            int vocab = model.config().vocabSize();
            // 16k+1 (no piece of one may be left), 16k, 16k+15, 2 and 1 positions, and 513 = 512 + 1, which one call also
            // cuts into 512 and a piece of one (the state's batch size)
            for (int length : new int[] {81, 97, 96, 95, 2, 1, 513}) {
                int[] ids = new int[length];
                long[] keys = new long[length];
                for (int t = 0; t < length; t++) {
                    ids[t] = (31 * t + 5) % vocab;
                    keys[t] = ids[t];
                }
                float[] want = new float[vocab];
                model.forward(model.newState(1024), ids, 0, length, want);

                Slot slot = new Slot(model, model.tokenizer(), null, 1024, 16, new Metrics());
                ChatEngine.Job job = new ChatEngine.Job(Prompt.of(ids), List.of(), List.of(), keys, Sampler.Settings.greedy(), 1, List.of(), null);
                LruCache<String, List<float[]>> images = new LruCache<>(0, v -> 0L);
                slot.start(job, images);
                for (int step = 0; !slot.decoding(); step++) {
                    slot.step(images);
                    assertTrue(step < length, "the prefill ends");
                }
                Lfm2State state = slot.state();
                assertEquals(length, state.position());
                for (int v = 0; v < vocab; v++) {
                    if (Float.floatToRawIntBits(want[v]) != Float.floatToRawIntBits(slot.logits()[v])) {
                        throw new AssertionError("prompt of " + length + ": logit " + v + " is " + slot.logits()[v] + ", " + want[v]
                                + " in one call");
                    }
                }
            }
        }
    }

    @Test
    void anImageEntryCutInPiecesOf16AnswersAsTheRuntimesCaption() throws Exception {
        Path image = TestServer.image("img_256x384.png");
        Generator.Result want = TestServer.reference(image, "Describe this image.", 6);
        JsonNode got = JSON.readTree(server.post("/v1/chat/completions", TestServer.imageRequest(image, "Describe this image.", 6, false)).body());
        assertTrue(got.get("usage").get("prompt_tokens").asInt() > 64, got.toString());
        assertEquals(want.text(), got.get("choices").get(0).get("message").get("content").asText());
    }

    private static int positions(Lfm2Model model, String text) throws Exception {
        return new Conversation(model, null, model.tokenizer(), Sampler.Settings.greedy(), 1024, null).nextPrompt(text, List.of()).positions();
    }
}
