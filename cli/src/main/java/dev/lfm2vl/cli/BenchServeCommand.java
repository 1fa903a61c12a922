package dev.lfm2vl.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.runtime.Lfm2Model;
import dev.lfm2vl.runtime.Sampler;
import dev.lfm2vl.runtime.Tokenizer;
import dev.lfm2vl.runtime.VisionModel;
import dev.lfm2vl.server.ChatEngine;
import dev.lfm2vl.server.OpenAiServer;
import dev.lfm2vl.server.ServerConfig;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lfm2vl bench-serve} (issue #18): the server measured end to end. It starts {@code serve}'s engine and HTTP
 * server in this process on a free loopback port and drives it as clients do, with streaming requests over HTTP:
 *
 * <ul>
 *   <li>aggregate decode tokens/s of 1, 2, 4, 8... concurrent streams (short prompts, {@code -n} tokens each): all
 *   completion tokens the server reported, over the time from the first stream's first token to the last stream's
 *   end;</li>
 *   <li>the time to first token of a new request of {@code --prompt-tokens} (and with {@code --image-size} a fresh
 *   random image), alone and while {@code --busy} streams decode, and how long those streams stood still meanwhile
 *   (their longest gap between two tokens).</li>
 * </ul>
 *
 * Every round runs every measurement once (a busy neighbour slows them alike); best and median are reported. The
 * engine keeps no encoded images between requests (image cache off), so each TTFT includes the image's encode.
 */
@Command(name = "bench-serve", mixinStandardHelpOptions = true,
        description = {"Measure the server end to end over HTTP on 127.0.0.1: aggregate decode tokens/s of N concurrent streaming "
                + "requests, and the time to first token of a new request alone and while --busy streams decode.",
                "",
                "The server runs in this process (as 'lfm2vl serve' would, with enough slots); rounds interleave the measurements. "
                + "Progress goes to stderr, the table (or --json) to stdout."},
        footer = {"", "Examples:",
                "  lfm2vl bench-serve -m model.gguf --streams 1,2,4,8 -n 16 --prompt-tokens 256 --rounds 3",
                "  lfm2vl bench-serve -m model.gguf --mmproj mmproj.gguf --image-size 512 --streams 1,4 --json"})
final class BenchServeCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    ModelOptions options;

    @Mixin
    VisionOptions vision;

    @Option(names = "--streams", paramLabel = "N,N,...", split = ",", defaultValue = "1,2,4,8",
            description = "Concurrent streams to measure aggregate decode with (default: ${DEFAULT-VALUE}).")
    int[] streams;

    @Option(names = {"-n", "--n-gen"}, paramLabel = "N", defaultValue = "16",
            description = "Tokens each stream generates (default: ${DEFAULT-VALUE}).")
    int gen;

    @Option(names = "--prompt-tokens", paramLabel = "N", defaultValue = "256",
            description = "Text tokens of the new request whose time to first token is measured (default: ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = "--image-size", paramLabel = "PX", defaultValue = "0",
            description = "Add a fresh random PX x PX image to that request (needs --mmproj; default: ${DEFAULT-VALUE} = text only).")
    int imageSize;

    @Option(names = "--busy", paramLabel = "N", defaultValue = "4",
            description = "Streams decoding while the new request's time to first token is measured (default: ${DEFAULT-VALUE}).")
    int busy;

    @Option(names = "--prefill-chunk", paramLabel = "N", defaultValue = "" + ChatEngine.Settings.DEFAULT_PREFILL_CHUNK,
            description = "The server's prefill piece, as 'serve --prefill-chunk' (default: ${DEFAULT-VALUE}).")
    int prefillChunk;

    @Option(names = {"-r", "--rounds"}, paramLabel = "N", defaultValue = "3",
            description = "Rounds; each runs every measurement once (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Spec
    CommandSpec spec;

    /** Per measurement, the value of each round. */
    private final Map<String, double[]> results = new LinkedHashMap<>();
    private final Random random = new Random(1234);
    private HttpClient client;
    private URI chat;
    private URI metricsUri;
    private Tokenizer tokenizer;

    @Override
    public Integer call() throws Exception {
        for (int k : streams) {
            if (k < 1 || k > 64) {
                throw new UserError("--streams counts must be between 1 and 64, got " + k);
            }
        }
        if (gen < 4) {
            throw new UserError("-n must be at least 4 (decode speed is measured between the first and the last token), got " + gen);
        }
        if (promptTokens < 1) {
            throw new UserError("--prompt-tokens must be at least 1, got " + promptTokens);
        }
        if (busy < 0 || busy > 64) {
            throw new UserError("--busy must be between 0 and 64, got " + busy);
        }
        if (rounds < 1) {
            throw new UserError("--rounds must be at least 1, got " + rounds);
        }
        if (prefillChunk < 16 || prefillChunk > 512 || Integer.bitCount(prefillChunk) != 1) {
            throw new UserError("--prefill-chunk must be a power of two from 16 to 512, got " + prefillChunk);
        }
        if (imageSize < 0 || imageSize > 4096) {
            throw new UserError("--image-size must be between 0 and 4096, got " + imageSize);
        }
        if (imageSize > 0 && vision.mmproj == null && options.hubMmproj() == null) {
            throw new UserError("--image-size needs --mmproj MMPROJ.gguf");
        }
        PrintWriter err = spec.commandLine().getErr();
        int slots = Math.max(Arrays.stream(streams).max().orElse(1), busy + 1);
        Path modelPath = options.modelPath();
        Path mmproj = imageSize > 0 ? vision.pairedWith(options).requireMmproj("") : null;
        err.println("loading model...");
        err.flush();
        Parallel pool = options.pool();
        Lfm2Model model = null;
        VisionModel vm = null;
        OpenAiServer server = null;
        try {
            model = Lfm2Model.load(modelPath, pool);
            vm = mmproj == null ? null : vision.load(pool, model);
            tokenizer = model.tokenizer();
            int imagePositions = vm == null ? 0 : vm.tokens(imageSize, imageSize) * 4; // tiles and thumbnail, generously
            int context = options.contextSize != null ? options.contextSize(model.config().contextLength(), err)
                    : Math.min(model.config().contextLength(), Math.max(1024, Math.max(promptTokens + imagePositions + 64, gen + 64)));
            if (promptTokens + 16 > context || gen + 48 > context) {
                throw new UserError("a slot's context of " + context + " positions cannot hold --prompt-tokens " + promptTokens + " and -n "
                        + gen + " (raise -c)");
            }
            ChatEngine.Settings settings = new ChatEngine.Settings(slots, context, 4 * slots, -1, Sampler.Settings.defaults(), false,
                    vm == null ? null : vision.preprocessOptions(vm), vision.maxImagePixels, 0, prefillChunk);
            server = OpenAiServer.start(new ServerConfig("127.0.0.1", 0, null, ServerConfig.DEFAULT_MAX_BODY, List.of(), null, false, true,
                    Duration.ofSeconds(20), Duration.ofSeconds(2), false), err::println);
            ChatEngine engine = ChatEngine.start(model, vm, pool, settings, "bench");
            model = null; // the engine owns the models and the pool now; the server closes it
            vm = null;
            pool = null;
            server.attach(engine);
            String base = "http://127.0.0.1:" + server.port();
            chat = URI.create(base + "/v1/chat/completions");
            metricsUri = URI.create(base + "/metrics");
            client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor())
                    .build();
            err.printf(Locale.ROOT, "server on %s: %d slots of %d positions, prefill in pieces of %d, %d thread(s)%n", base, slots, context,
                    prefillChunk, options.threadCount());
            err.println("warm-up...");
            err.flush();
            decodeRound(Arrays.stream(streams).max().orElse(1), 0);
            ttftRound(Math.min(busy, 1), 0, "warm-up"); // a short prompt: enough for C2 to compile the prefill kernels
            for (int r = 0; r < rounds; r++) {
                for (int k : streams) {
                    err.printf(Locale.ROOT, "round %d/%d: %d stream(s) x %d tokens...%n", r + 1, rounds, k, gen);
                    err.flush();
                    record("decode x" + k, r, decodeRound(k, r));
                }
                err.printf(Locale.ROOT, "round %d/%d: time to first token alone...%n", r + 1, rounds);
                err.flush();
                ttftRound(0, r, "alone");
                if (busy > 0) {
                    err.printf(Locale.ROOT, "round %d/%d: time to first token beside %d decoding stream(s)...%n", r + 1, rounds, busy);
                    err.flush();
                    ttftRound(busy, r, "busy");
                }
            }
            print(slots, context);
        } finally {
            if (server != null) {
                server.close();
            }
            if (vm != null) {
                vm.close();
            }
            if (model != null) {
                model.close();
            }
            if (pool != null) {
                pool.close();
            }
        }
        return Main.EXIT_OK;
    }

    private void record(String name, int round, double value) {
        results.computeIfAbsent(name, x -> new double[rounds])[round] = value;
    }

    /**
     * {@code k} streams of {@code -n} tokens sent together: all their completion tokens (but each stream's first, which
     * ends its prefill) over the time from the first stream's first token to the last one's end.
     */
    private double decodeRound(int k, int round) throws IOException, InterruptedException {
        TimedStream[] s = new TimedStream[k];
        for (int i = 0; i < k; i++) {
            s[i] = TimedStream.start(client, chat, request(shortPrompt(), gen, 1000L * round + i, null));
        }
        long first = Long.MAX_VALUE;
        long last = 0;
        long tokens = 0;
        for (TimedStream t : s) {
            check(t.await(), "a decode stream");
            if (t.completionTokens() < 2) {
                throw new IllegalStateException("a stream ended after " + t.completionTokens() + " token(s) (" + t.finishReason()
                        + "): nothing to time; try again with another -n");
            }
            first = Math.min(first, t.firstToken());
            last = Math.max(last, t.lastToken());
            tokens += t.completionTokens() - 1;
        }
        awaitIdle();
        return tokens / ((last - first) / 1e9);
    }

    /**
     * The time to first token of a request of {@code --prompt-tokens} (and an image with {@code --image-size}), after
     * {@code beside} streams have started decoding; those streams' longest stall while it was prefilled is recorded too.
     */
    private void ttftRound(int beside, int round, String name) throws IOException, InterruptedException {
        TimedStream[] load = new TimedStream[beside];
        for (int i = 0; i < beside; i++) { // as long as the context allows: they are stopped once the new request answered
            load[i] = TimedStream.start(client, chat, request(shortPrompt(), -1, 5000L + 1000L * round + i, null));
        }
        for (TimedStream t : load) {
            if (!t.awaitFirstToken(600_000_000_000L)) {
                check(t.await(), "a busy stream");
                throw new IllegalStateException("a busy stream gave no token");
            }
        }
        String prompt = name.equals("warm-up") ? shortPrompt() : longPrompt();
        TimedStream probe = TimedStream.start(client, chat, request(prompt, 1, 9000L + round, name.equals("warm-up") ? null : image()));
        check(probe.await(), "the new request");
        int decoding = 0;
        long stall = 0;
        for (TimedStream t : load) {
            t.cancel();
        }
        for (TimedStream t : load) {
            t.await();
            if (t.decodingAfter(probe.firstToken())) {
                decoding++;
                stall = Math.max(stall, t.longestGap(probe.sent(), probe.firstToken()));
            }
        }
        awaitIdle();
        if (name.equals("warm-up")) {
            return;
        }
        record("ttft " + name + " ms", round, probe.timeToFirstToken() / 1e6);
        record("ttft " + name + " prompt positions", round, probe.promptTokens());
        if (beside > 0) {
            record("ttft " + name + " streams decoding", round, decoding);
            record("ttft " + name + " stall ms", round, stall / 1e6);
        }
    }

    private static void check(TimedStream t, String what) {
        if (t.error() != null) {
            throw new IllegalStateException(what + " failed: " + t.error());
        }
    }

    /** Waits until the server's slots are all free again (cancelled streams are dropped at their next step). */
    private void awaitIdle() throws IOException, InterruptedException {
        HttpRequest get = HttpRequest.newBuilder(metricsUri).GET().build();
        for (int i = 0; i < 60_000; i++) {
            String text = client.send(get, HttpResponse.BodyHandlers.ofString()).body();
            if (text.lines().anyMatch(l -> l.equals("lfm2vl_slots_busy 0")) && text.lines().anyMatch(l -> l.equals("lfm2vl_queue_depth 0"))) {
                return;
            }
            Thread.sleep(5);
        }
        throw new IllegalStateException("the server's slots did not free up");
    }

    /** A chat request body: temperature 1 with a seed (random weights answer greedily with early end tokens more often). */
    private static String request(String text, int maxTokens, long seed, String imageUrl) throws IOException {
        ObjectNode root = JSON.createObjectNode().put("model", "bench").put("stream", true).put("temperature", 1.0).put("seed", seed);
        root.putObject("stream_options").put("include_usage", true);
        if (maxTokens > 0) {
            root.put("max_tokens", maxTokens);
        }
        ObjectNode message = root.putArray("messages").addObject().put("role", "user");
        if (imageUrl == null) {
            message.put("content", text);
        } else {
            ArrayNode parts = message.putArray("content");
            parts.addObject().put("type", "image_url").putObject("image_url").put("url", imageUrl);
            parts.addObject().put("type", "text").put("text", text);
        }
        return JSON.writeValueAsString(root);
    }

    private static final String[] WORDS = ("the a of to and in is it that for on with as was at by this be from or have an they which one you "
            + "were her all she there would their we him been has when who will more no if out so said what up its about into than them "
            + "can only other new some could time these two may then do first any my now such like our over man me even most made after "
            + "also did many before must through back years where much your way well down should because each just those people how too "
            + "little state good very make world still own see men work long get here between both life being under never day same "
            + "another know while last might us great old year off come since against go came right used take three").split(" ");

    /** A few words, different each time (no request extends another, so none reuses a slot's cache). */
    private String shortPrompt() {
        return "Write a story about " + words(8) + ".";
    }

    /** Words until the text takes {@code --prompt-tokens} tokens, starting differently each time. */
    private String longPrompt() {
        StringBuilder b = new StringBuilder("Summarize this: ");
        while (tokenizer.encode(b.toString(), false, false).length < promptTokens) {
            b.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
        }
        return b.toString();
    }

    private String words(int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : " ").append(WORDS[random.nextInt(WORDS.length)]);
        }
        return b.toString();
    }

    /** A fresh random PNG of {@code --image-size} as a data URL, or null without one. */
    private String image() throws IOException {
        if (imageSize == 0) {
            return null;
        }
        BufferedImage img = new BufferedImage(imageSize, imageSize, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < imageSize; y++) {
            for (int x = 0; x < imageSize; x++) {
                img.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        if (!ImageIO.write(img, "png", png)) {
            throw new IOException("no PNG writer");
        }
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(png.toByteArray());
    }

    private static double best(double[] v, boolean lowest) {
        return lowest ? Arrays.stream(v).min().orElse(0) : Arrays.stream(v).max().orElse(0);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static double round3(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private void print(int slots, int context) throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectNode root = JSON.createObjectNode().put("threads", options.threadCount()).put("slots", slots).put("context", context)
                    .put("prefill_chunk", prefillChunk).put("rounds", rounds).put("tokens_per_stream", gen);
            ArrayNode list = root.putArray("results");
            for (int k : streams) {
                double[] v = results.get("decode x" + k);
                ObjectNode o = list.addObject().put("test", "decode").put("streams", k).put("best", round3(best(v, false)))
                        .put("median", round3(median(v)));
                Arrays.stream(v).forEach(x -> o.withArray("tokens_per_s").add(round3(x)));
            }
            ttftJson(list, "alone", 0);
            if (busy > 0) {
                ttftJson(list, "busy", busy);
            }
            out.println(JSON.writeValueAsString(root));
            out.flush();
            return;
        }
        out.printf(Locale.ROOT, "model: %s   threads: %d   server: %d slots of %d positions, prefill pieces of %d   rounds: %d%n",
                options.modelPath().getFileName(), options.threadCount(), slots, context, prefillChunk, rounds);
        out.printf(Locale.ROOT, "%-24s %10s %10s  %s%n", "test", "best", "median", "");
        double one = -1;
        for (int k : streams) {
            double[] v = results.get("decode x" + k);
            if (k == 1) {
                one = best(v, false);
            }
            out.printf(Locale.ROOT, "%-24s %10.2f %10.2f  tok/s aggregate (%d tokens each)%s%n", "decode, " + k + " stream" + (k == 1 ? "" : "s"),
                    best(v, false), median(v), gen, one > 0 && k > 1 ? String.format(Locale.ROOT, ", best %.2fx one stream", best(v, false) / one) : "");
        }
        double[] positions = results.get("ttft alone prompt positions");
        String what = String.format(Locale.ROOT, "ms to first token, %d prompt positions%s", (int) positions[0],
                imageSize > 0 ? " (" + imageSize + "x" + imageSize + " image)" : "");
        double[] alone = results.get("ttft alone ms");
        out.printf(Locale.ROOT, "%-24s %10.1f %10.1f  %s%n", "ttft, alone", best(alone, true), median(alone), what);
        if (busy > 0) {
            double[] beside = results.get("ttft busy ms");
            double[] stall = results.get("ttft busy stall ms");
            double[] decoding = results.get("ttft busy streams decoding");
            out.printf(Locale.ROOT, "%-24s %10.1f %10.1f  %s, beside %d decoding streams (%d of them still decoding at its first token)%n",
                    "ttft, beside " + busy + " streams", best(beside, true), median(beside), what, busy, (int) best(decoding, true));
            out.printf(Locale.ROOT, "%-24s %10.1f %10.1f  ms: the longest the %d streams stood still meanwhile%n", "stall of those streams",
                    best(stall, true), median(stall), busy);
        }
        out.flush();
    }

    private void ttftJson(ArrayNode list, String name, int beside) {
        double[] ms = results.get("ttft " + name + " ms");
        ObjectNode o = list.addObject().put("test", "ttft").put("beside", beside)
                .put("prompt_positions", (int) results.get("ttft " + name + " prompt positions")[0]).put("image_size", imageSize)
                .put("best_ms", round3(best(ms, true))).put("median_ms", round3(median(ms)));
        Arrays.stream(ms).forEach(x -> o.withArray("ms").add(round3(x)));
        if (beside > 0) {
            double[] stall = results.get("ttft " + name + " stall ms");
            o.put("stall_best_ms", round3(best(stall, true))).put("stall_median_ms", round3(median(stall)));
            Arrays.stream(stall).forEach(x -> o.withArray("stall_ms").add(round3(x)));
            o.put("streams_decoding_min", (int) best(results.get("ttft " + name + " streams decoding"), true));
        }
    }
}
