package dev.lfm2vl.server;

import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.loader.Fixtures;
import dev.lfm2vl.runtime.Generator;
import dev.lfm2vl.runtime.Lfm2Model;
import dev.lfm2vl.runtime.Lfm2Vl;
import dev.lfm2vl.runtime.PreprocessMode;
import dev.lfm2vl.runtime.Sampler;
import dev.lfm2vl.runtime.VisionModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

/**
 * A server on 127.0.0.1 (any free port) over the tiny fixture pair, for the tests; {@link #close()} stops it.
 * Also the reference answers: the runtime's own caption path ({@link Lfm2Vl#answer}) on the same models' files.
 */
final class TestServer implements AutoCloseable {
    static final int THREADS = 2;
    /** The model card's sampling with a fixed seed; requests set temperature 0 for greedy answers. */
    static final Sampler.Settings SAMPLING = new Sampler.Settings(0.1f, 0.15f, 40, 0.95f, 1.05f, 64, 42);

    final OpenAiServer server;
    final ChatEngine engine;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    private TestServer(OpenAiServer server, ChatEngine engine) {
        this.server = server;
        this.engine = engine;
    }

    static Path model() {
        return Fixtures.textModel("Q4_0");
    }

    static Path mmproj() {
        return Fixtures.mmproj("F16");
    }

    static Path image(String name) {
        return Fixtures.file("images/" + name);
    }

    static TestServer start() throws IOException {
        return start(ServerConfig.defaults(), 2, 8, 1024);
    }

    static TestServer start(ServerConfig config, int slots, int queue, int contextSize) throws IOException {
        return start(config, slots, queue, contextSize, ChatEngine.Settings.DEFAULT_PREFILL_CHUNK);
    }

    static TestServer start(ServerConfig config, int slots, int queue, int contextSize, int prefillChunk) throws IOException {
        Parallel pool = Parallel.create(THREADS);
        Lfm2Model text = Lfm2Model.load(model(), pool);
        VisionModel vision = VisionModel.load(mmproj(), pool);
        ChatEngine.Settings settings = new ChatEngine.Settings(slots, contextSize, queue, -1, SAMPLING, false,
                vision.preprocessOptions(PreprocessMode.HF).withImageTokens(64, 256), 100_000_000L, 64L << 20, prefillChunk);
        OpenAiServer server = OpenAiServer.start(config.withPort(0), line -> System.err.println("server: " + line));
        ChatEngine engine = ChatEngine.start(text, vision, pool, settings, "lfm2-tiny");
        server.attach(engine);
        return new TestServer(server, engine);
    }

    /** The OpenAI base URL clients take: {@code http://127.0.0.1:PORT/v1}. */
    String baseUrl() {
        return "http://127.0.0.1:" + server.port() + "/v1";
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    /** POSTs {@code json} to {@code path}; {@code headers} are name, value pairs. */
    HttpResponse<String> post(String path, String json, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** POSTs {@code body} without a length (chunked transfer encoding). */
    HttpResponse<String> postStream(String path, byte[] body) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body))).build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).GET();
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String dataUrl(Path image) {
        try {
            return "data:image/png;base64," + Base64.getEncoder().encodeToString(Files.readAllBytes(image));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A chat request body: one user message with [image, text] parts, greedy, at most {@code maxTokens}. */
    static String imageRequest(Path image, String prompt, int maxTokens, boolean stream) {
        return "{\"model\":\"any\",\"temperature\":0,\"max_tokens\":" + maxTokens + ",\"stream\":" + stream
                + (stream ? ",\"stream_options\":{\"include_usage\":true}" : "")
                + ",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + dataUrl(image)
                + "\"}},{\"type\":\"text\",\"text\":\"" + prompt + "\"}]}]}";
    }

    /**
     * The runtime's greedy answer to {@code prompt} about {@code image}, as {@code lfm2vl caption --temp 0} computes
     * it, on separately loaded models (the server's are busy with its scheduler).
     */
    static Generator.Result reference(Path image, String prompt, int maxTokens) throws IOException {
        Lfm2Vl.Options options = Lfm2Vl.Options.defaults().withThreads(THREADS).withContextSize(1024);
        try (Lfm2Vl vlm = Lfm2Vl.load(model(), mmproj(), options)) {
            Sampler.Settings greedy = new Sampler.Settings(0f, SAMPLING.minP(), SAMPLING.topK(), SAMPLING.topP(), SAMPLING.repeatPenalty(),
                    SAMPLING.repeatLastN(), 0);
            return vlm.answer(null, prompt, List.of(image), greedy, maxTokens, dev.lfm2vl.runtime.Listener.NONE).result();
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
