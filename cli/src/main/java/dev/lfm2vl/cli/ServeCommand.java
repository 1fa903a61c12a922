package dev.lfm2vl.cli;

import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.runtime.Lfm2Model;
import dev.lfm2vl.runtime.Sampler;
import dev.lfm2vl.runtime.VisionModel;
import dev.lfm2vl.server.ChatEngine;
import dev.lfm2vl.server.OpenAiServer;
import dev.lfm2vl.server.ServerConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lfm2vl serve}: the OpenAI-compatible chat server (issue #18), until Ctrl-C or SIGTERM. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve the model over an OpenAI-compatible HTTP API: POST /v1/chat/completions (images as data: URLs; "
                + "streaming with \"stream\": true), GET /v1/models, GET /health, with --metrics GET /metrics, and a chat page to try the model at GET / (unless --no-webui). "
                + "Requests run side by side in --parallel slots; more wait in a queue, and past it get 503 with Retry-After.",
                "",
                "It binds 127.0.0.1 unless --host says otherwise. file:// image URLs are read only under --media-root, "
                + "http(s) image URLs only with --allow-remote-images. Ctrl-C or SIGTERM stops it: requests in flight "
                + "may finish for a few seconds, then it exits 0."},
        footer = {"", "Examples:",
                "  lfm2vl serve -m model.gguf --mmproj mmproj.gguf",
                "  lfm2vl serve --hf --port 8081 --parallel 4 --api-key-file key.txt",
                "  curl http://127.0.0.1:8080/v1/chat/completions -H 'Content-Type: application/json' \\",
                "    -d '{\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}'"})
final class ServeCommand implements Callable<Integer> {
    @Mixin
    ModelOptions options;

    @Mixin
    VisionOptions vision;

    @Mixin
    SamplingOptions sampling;

    @Option(names = "--host", paramLabel = "HOST", defaultValue = "127.0.0.1",
            description = "Address to listen on (default: ${DEFAULT-VALUE}, this machine only; 0.0.0.0 for every interface).")
    String host;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080", description = "Port to listen on (default: ${DEFAULT-VALUE}; 0 = any free port).")
    int port;

    @Option(names = {"-np", "--parallel"}, paramLabel = "N", defaultValue = "2",
            description = "Requests served side by side, each with its own context of -c positions (default: ${DEFAULT-VALUE}).")
    int parallel;

    @Option(names = "--queue", paramLabel = "N", defaultValue = "16",
            description = "Requests that may wait for a free slot; more get 503 with Retry-After (default: ${DEFAULT-VALUE}).")
    int queue;

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", defaultValue = "-1",
            description = "Answer length when a request sets no max_tokens (default: ${DEFAULT-VALUE}: until the end of the answer or a full context).")
    int maxTokens;

    @Option(names = "--api-key", paramLabel = "KEY", description = "Require 'Authorization: Bearer KEY' (GET /health stays open).")
    String apiKey;

    @Option(names = "--api-key-file", paramLabel = "FILE", description = "As --api-key, with the key read from FILE's first line (kept out of the process list).")
    Path apiKeyFile;

    @Option(names = "--max-body", paramLabel = "BYTES", defaultValue = "33554432",
            description = "Largest request body (images included); larger ones get 413 (default: ${DEFAULT-VALUE} = 32 MiB).")
    int maxBody;

    @Option(names = "--cors-origin", paramLabel = "ORIGIN", description = "Let web pages from ORIGIN call the API (repeatable; * = any).")
    List<String> corsOrigins = new ArrayList<>();

    @Option(names = "--media-root", paramLabel = "DIR", description = "Allow file:// image URLs for files under DIR (symbolic links out of it are refused).")
    Path mediaRoot;

    @Option(names = "--allow-remote-images", description = "Fetch http(s):// image URLs (off by default: the server would make requests on a client's behalf).")
    boolean allowRemoteImages;

    @Option(names = "--metrics", description = "Serve Prometheus metrics at GET /metrics.")
    boolean metrics;

    @Option(names = "--no-webui", description = "Do not serve the chat page at GET / (it talks to this server's own /v1/chat/completions).")
    boolean noWebui;

    @Option(names = "--alias", paramLabel = "NAME", description = "The model id /v1/models lists and responses carry (default: the model file's name).")
    String alias;

    @Option(names = "--image-cache", paramLabel = "MB", defaultValue = "256",
            description = "Memory for encoded images kept by content hash, so a resent image is not encoded again (default: ${DEFAULT-VALUE} MB).")
    int imageCacheMb;

    @Option(names = "--prefill-chunk", paramLabel = "N", defaultValue = "" + ChatEngine.Settings.DEFAULT_PREFILL_CHUNK,
            description = "Prompt positions a slot prefills per step between the other streams' tokens, a power of two from 16 to 512: "
                    + "a long prompt holds them up for one such piece at a time (default: ${DEFAULT-VALUE}).")
    int prefillChunk;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        if (parallel < 1) {
            throw new UserError("--parallel must be at least 1, got " + parallel);
        }
        if (queue < 0) {
            throw new UserError("--queue must be 0 or more, got " + queue);
        }
        if (maxTokens < -1 || maxTokens == 0) {
            throw new UserError("-n must be -1 or positive, got " + maxTokens);
        }
        if (prefillChunk < 16 || prefillChunk > 512 || Integer.bitCount(prefillChunk) != 1) {
            throw new UserError("--prefill-chunk must be a power of two from 16 to 512, got " + prefillChunk);
        }
        if (imageCacheMb < 0) {
            throw new UserError("--image-cache must be 0 or more, got " + imageCacheMb);
        }
        if (mediaRoot != null && !Files.isDirectory(mediaRoot)) {
            throw new UserError("--media-root " + mediaRoot + " is not a folder");
        }
        ServerConfig config;
        try {
            config = new ServerConfig(host, port, apiKey(), maxBody, corsOrigins, mediaRoot, allowRemoteImages, metrics,
                    Duration.ofSeconds(20), Duration.ofSeconds(10), !noWebui);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        Sampler.Settings defaults = sampling.settings();
        Path modelPath = options.modelPath();
        Path mmproj = vision.mmproj != null || options.hubMmproj() != null ? vision.pairedWith(options).requireMmproj("") : null;
        OpenAiServer server;
        try {
            server = OpenAiServer.start(config, err::println);
        } catch (BindException e) {
            throw new UserError("cannot listen on " + host + ":" + port + ": " + e.getMessage());
        }
        CountDownLatch stop = new CountDownLatch(1);
        Interrupts.onCtrlC(stop::countDown);
        Interrupts.onTerminate(stop::countDown);
        try {
            err.println("loading model...");
            Parallel pool = options.pool();
            Lfm2Model model = null;
            VisionModel vm = null;
            try {
                model = Lfm2Model.load(modelPath, pool);
                vm = mmproj == null ? null : vision.load(pool, model);
                int contextSize = options.contextSize(model.config().contextLength(), err);
                ChatEngine.Settings settings = new ChatEngine.Settings(parallel, contextSize, queue, maxTokens, defaults,
                        sampling.seed != -1, vm == null ? null : vision.preprocessOptions(vm), vision.maxImagePixels,
                        imageCacheMb * (1L << 20), prefillChunk);
                String id = alias != null ? alias : modelPath.getFileName().toString().replaceFirst("(?i)\\.gguf$", "");
                server.attach(ChatEngine.start(model, vm, pool, settings, id));
                err.println("lfm2vl serve: listening on http://" + server.host() + ":" + server.port() + "/v1 (model " + id + ", "
                        + parallel + " slot(s) of " + contextSize + " positions" + (vm == null ? ", text only" : "") + ")");
            } catch (IOException | RuntimeException e) {
                if (vm != null) {
                    vm.close();
                }
                if (model != null) {
                    model.close();
                }
                pool.close();
                throw e;
            }
            stop.await();
            err.println("stopping: finishing the requests in flight...");
        } finally {
            server.close();
        }
        return Main.EXIT_OK;
    }

    private String apiKey() throws IOException {
        if (apiKey != null && apiKeyFile != null) {
            throw new UserError("give either --api-key or --api-key-file, not both");
        }
        if (apiKeyFile == null) {
            return apiKey;
        }
        if (!Files.isRegularFile(apiKeyFile)) {
            throw new UserError("--api-key-file " + apiKeyFile + ": no such file");
        }
        List<String> lines = Files.readAllLines(apiKeyFile);
        String key = lines.isEmpty() ? "" : lines.getFirst().strip();
        if (key.isEmpty()) {
            throw new UserError("--api-key-file " + apiKeyFile + ": the first line is empty");
        }
        return key;
    }
}
