package dev.lfm2vl.cli;

import dev.lfm2vl.kernels.Ceilings;
import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.loader.GgufFile;
import dev.lfm2vl.loader.GgufTensor;
import dev.lfm2vl.runtime.Generator;
import dev.lfm2vl.runtime.ImageEntry;
import dev.lfm2vl.runtime.ImagePlan;
import dev.lfm2vl.runtime.ImageLoader;
import dev.lfm2vl.runtime.ImagePreprocessor;
import dev.lfm2vl.runtime.Lfm2Model;
import dev.lfm2vl.runtime.Lfm2State;
import dev.lfm2vl.runtime.Lfm2Vl;
import dev.lfm2vl.runtime.Listener;
import dev.lfm2vl.runtime.Prompt;
import dev.lfm2vl.runtime.PreprocessedImage;
import dev.lfm2vl.runtime.Sampler;
import dev.lfm2vl.runtime.Tokenizer;
import dev.lfm2vl.runtime.VisionModel;
import java.awt.image.BufferedImage;
import javax.imageio.ImageIO;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import dev.lfm2vl.hub.ModelCache;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code lfm2vl bench} (llama-bench spirit): prompt processing (pp) and generation (tg) tokens/s of the text
 * tower with random token ids, next to two machine ceilings measured in the same run: sequential read bandwidth
 * of mapped memory and F32 FMA throughput. With {@code --mmproj}: {@code vision512} (ms to encode one 512x512
 * entry, 1024 patches, through the vision tower and projector) and {@code ttft512} (ms from a 512x512 PNG file to
 * the first sampled token of the default caption request: load, pre-process, encode, prefill, sample).
 */
@Command(name = "bench",
        description = "Measure prompt processing (ppN) and generation (tgN) speed, with the machine's read-bandwidth and FMA ceilings.",
        mixinStandardHelpOptions = true,
        footer = {"", "tg is bounded by read bandwidth / weight bytes per token; pp by FMA peak / (2 x params) per token.", "",
                "Examples:",
                "  lfm2vl bench -m LFM2-VL-3B-Q4_0.gguf",
                "  lfm2vl bench -m model.gguf -p 64 -n 16 -r 1 -t 2 --json",
                "  lfm2vl bench -m model.gguf -p 0 -n 16 -r 3 --streams 1,2,4,8",
                "  lfm2vl bench -m model.gguf --mmproj mmproj.gguf -p 64 -n 16 -r 1"})
final class BenchCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL.gguf", description = "Text model GGUF.")
    Path model;

    @Option(names = "--mmproj", paramLabel = "MMPROJ.gguf", description = "Vision projector GGUF: adds vision512 (one 512x512 tile through the vision tower) and ttft512 (512x512 PNG to first caption token).")
    Path mmproj;

    @Option(names = {"-p", "--n-prompt"}, paramLabel = "N", defaultValue = "512", description = "Prompt tokens for pp (0 = skip; default ${DEFAULT-VALUE}).")
    int prompt;

    @Option(names = {"-n", "--n-gen"}, paramLabel = "N", defaultValue = "128", description = "Generated tokens for tg (0 = skip; default ${DEFAULT-VALUE}).")
    int gen;

    @Option(names = {"-r", "--repetitions"}, paramLabel = "N", defaultValue = "3", description = "Repetitions of each test (default ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Worker threads (default and most: all cores).")
    Integer threads;

    @Option(names = "--streams", paramLabel = "N,N,...", split = ",",
            description = "Also measure decode with this many concurrent sequences, batched as a server steps them (e.g. 1,2,4,8): aggregate tg tokens/s, rounds interleaved over the counts.")
    int[] streams;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Option(names = "--save-to", paramLabel = "FILE",
            description = "Where to keep the result for 'lfm2vl plan' time estimates (default: <cache>/bench.json; 'none' = do not keep).")
    Path saveTo;

    @Option(names = "--ceiling-bytes", hidden = true, defaultValue = "1073741824", description = "Bytes of mapped memory the bandwidth ceiling reads.")
    long ceilingBytes;

    @Option(names = "--ceiling-ms", hidden = true, defaultValue = "1000", description = "Minimum duration of each ceiling measurement.")
    long ceilingMillis;

    @picocli.CommandLine.Mixin
    JsonSchemaOption jsonSchema;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (prompt < 0 || gen < 0 || reps < 1) {
            throw new UserError("-p and -n must be >= 0 and -r >= 1");
        }
        if (streams != null) {
            for (int k : streams) {
                if (k < 1 || k > 64) {
                    throw new UserError("--streams counts must be between 1 and 64, got " + k);
                }
            }
            if (gen < 1) {
                throw new UserError("--streams needs -n >= 1 generated tokens");
            }
        }
        if (ceilingBytes < 4096 || ceilingMillis < 1) {
            throw new UserError("--ceiling-bytes must be >= 4096 and --ceiling-ms >= 1");
        }
        int n = Threads.count(threads, spec.commandLine().getErr());
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (Parallel pool = Parallel.create(n); Lfm2Model m = Lfm2Model.load(model, pool)) {
            long weightBytes = weightBytesPerToken(m.gguf());
            long params = weightParamsPerToken(m.gguf());
            int ctx = Math.min(m.config().contextLength(), Math.max(1, Math.max(prompt, gen)));
            if (prompt > m.config().contextLength() || gen > m.config().contextLength()) {
                throw new UserError("-p/-n exceed the model's context length " + m.config().contextLength());
            }
            double readGbs = MachineCeilings.readBandwidth(pool, m.gguf().segment(), ceilingBytes, ceilingMillis);
            double fmaGflops = Ceilings.fmaThroughput(pool, ceilingMillis);

            Random rnd = new Random(1234);
            float[] logits = new float[m.config().vocabSize()];
            // warm-up (JIT, page faults of the mapped weights): a short batch and a few single tokens
            Lfm2State warm = m.newState(ctx);
            int w = Math.min(8, Math.max(1, prompt));
            m.forward(warm, randomTokens(rnd, w, m.config().vocabSize()), 0, Math.min(w, ctx), logits);
            List<Map<String, Object>> results = new ArrayList<>();
            if (prompt > 0) {
                double[] tps = new double[reps];
                for (int r = 0; r < reps; r++) {
                    int[] ids = randomTokens(rnd, prompt, m.config().vocabSize());
                    Lfm2State st = m.newState(ctx);
                    long t0 = System.nanoTime();
                    m.forward(st, ids, 0, prompt, logits);
                    tps[r] = prompt / ((System.nanoTime() - t0) / 1e9);
                }
                results.add(result("pp" + prompt, tps));
            }
            if (gen > 0) {
                double[] tps = new double[reps];
                for (int r = 0; r < reps; r++) {
                    int[] ids = randomTokens(rnd, gen, m.config().vocabSize());
                    Lfm2State st = m.newState(ctx);
                    long t0 = System.nanoTime();
                    for (int i = 0; i < gen; i++) {
                        m.forward(st, ids, i, 1, logits);
                    }
                    tps[r] = gen / ((System.nanoTime() - t0) / 1e9);
                }
                results.add(result("tg" + gen, tps));
                if (jsonSchema.present()) {
                    results.add(maskCost(m, ctx, logits));
                }
            }
            if (streams != null) {
                double[][] tps = new double[streams.length][reps];
                for (int r = 0; r < reps; r++) { // each round runs every count: a busy neighbour slows them alike
                    for (int k = 0; k < streams.length; k++) {
                        tps[k][r] = streamsRound(m, streams[k], gen, rnd);
                    }
                }
                for (int k = 0; k < streams.length; k++) {
                    Map<String, Object> sr = result("tg" + gen + "x" + streams[k], tps[k]);
                    double[] sorted = tps[k].clone();
                    java.util.Arrays.sort(sorted);
                    sr.put("streams", streams[k]);
                    sr.put("best", round(sorted[sorted.length - 1]));
                    sr.put("median", round(sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                            : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2));
                    results.add(sr);
                }
            }
            long visionFlops = 0;
            if (mmproj != null) {
                visionFlops = vision(pool, m, results);
            }
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("threads", n);
            Map<String, Object> ceilings = new LinkedHashMap<>();
            ceilings.put("read_gb_s", round(readGbs));
            ceilings.put("fma_gflop_s", round(fmaGflops));
            report.put("ceilings", ceilings);
            report.put("weight_bytes_per_token", weightBytes);
            report.put("results", results);
            report.put("peak_rss_bytes", peakRss());
            String line = JsonWriter.write(report, false);
            if (saveTo == null || !saveTo.toString().equals("none")) {
                Path file = saveTo != null ? saveTo : ModelCache.fromEnvironment().root().resolve("bench.json");
                try {
                    Files.createDirectories(file.toAbsolutePath().getParent());
                    AtomicFiles.write(file, (line + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
                } catch (IOException | RuntimeException e) {
                    err.println("warning: could not keep the bench result in " + file + ": " + e.getMessage());
                }
            }
            if (json) {
                out.println(line);
            } else {
                printTable(out, report, weightBytes, params, readGbs, fmaGflops, visionFlops);
            }
        }
        return Main.EXIT_OK;
    }

    /**
     * The cost of structured output: {@code -n} tokens sampled (temperature 1, seeded) under {@code --json-schema}
     * ({@code -r} times), timing the allowed-token mask (the token-trie walk or the mask kept for the parse state, plus
     * recording the token; not the sampling between them, which is the same with or without a schema) apart from the
     * decode step that follows it; a finished document starts the next one. Rounds interleave mask and step, so
     * machine noise hits both alike.
     */
    private Map<String, Object> maskCost(Lfm2Model m, int ctx, float[] logits) throws IOException {
        dev.lfm2vl.runtime.Tokenizer tok = m.tokenizer();
        dev.lfm2vl.runtime.structured.JsonSchema schema = jsonSchema.compiled();
        int vocab = m.config().vocabSize();
        long[] allowed = new long[(vocab + 63) >> 6];
        double[] maskMs = new double[reps];
        double[] stepMs = new double[reps];
        int documents = 0;
        for (int r = 0; r < reps; r++) {
            dev.lfm2vl.runtime.Sampler sampler = new dev.lfm2vl.runtime.Sampler(vocab,
                    new dev.lfm2vl.runtime.Sampler.Settings(1f, 0f, 0, 1f, 1f, 0, 42 + r));
            Lfm2State st = m.newState(ctx);
            m.forward(st, new int[] {Math.max(0, tok.bosId())}, 0, 1, logits);
            dev.lfm2vl.runtime.TokenConstraint c = schema.constraint(tok);
            long mask = 0;
            long step = 0;
            int steps = 0;
            for (int i = 0; i < gen && st.remaining() > 0; i++) {
                long t0 = System.nanoTime();
                c.allowed(allowed, 1 << 20);
                long sampled = System.nanoTime();
                int id = sampler.sample(logits, 0, allowed); // not timed: the same with or without a schema
                long picked = System.nanoTime();
                c.accept(id);
                long t1 = System.nanoTime();
                if (tok.isEndOfGeneration(id)) {
                    c = schema.constraint(tok);
                    documents++;
                }
                m.forward(st, new int[] {id}, 0, 1, logits);
                long t2 = System.nanoTime();
                mask += (sampled - t0) + (t1 - picked);
                step += t2 - t1;
                steps++;
            }
            maskMs[r] = mask / 1e6 / steps;
            stepMs[r] = step / 1e6 / steps;
        }
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("test", "json_schema_mask");
        o.put("mask_ms_per_token", round(median(maskMs)));
        o.put("mask_ms_best", round(java.util.Arrays.stream(maskMs).min().orElse(0)));
        o.put("decode_ms_per_token", round(median(stepMs)));
        o.put("mask_share_of_decode", round(median(maskMs) / median(stepMs)));
        o.put("documents_finished", documents);
        return o;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /**
     * Aggregate decode tokens/s of {@code count} sequences stepped together by {@link Lfm2Model#decode} for
     * {@code gen} steps (each sequence its own state and random tokens; weights read once per step for all).
     */
    private static double streamsRound(Lfm2Model m, int count, int gen, Random rnd) {
        int vocab = m.config().vocabSize();
        Lfm2State[] states = new Lfm2State[count];
        float[][] logits = new float[count][vocab];
        int[][] ids = new int[count][];
        for (int i = 0; i < count; i++) {
            states[i] = m.newState(Math.max(gen, 4));
            ids[i] = randomTokens(rnd, gen, vocab);
        }
        int[] step = new int[count];
        for (int t = 0; t < Math.min(4, gen); t++) { // untimed: size the batch scratch, let C2 compile the batched kernels
            m.decode(states, step, count, logits);
        }
        for (Lfm2State s : states) {
            s.reset();
        }
        long t0 = System.nanoTime();
        for (int t = 0; t < gen; t++) {
            for (int i = 0; i < count; i++) {
                step[i] = ids[i][t];
            }
            m.decode(states, step, count, logits);
        }
        return (double) count * gen / ((System.nanoTime() - t0) / 1e9);
    }

    /** Side of the vision benchmarks' image: one full tile (1024 patches of 16 px, 256 image tokens). */
    static final int TILE = 512;

    /**
     * vision512 and ttft512 (each {@code -r} times; results appended to {@code results}). Returns the FLOPs of one
     * 512x512 encode (for the table's ratio).
     */
    private long vision(Parallel pool, Lfm2Model m, List<Map<String, Object>> results) throws IOException {
        try (VisionModel v = VisionModel.load(mmproj, pool)) {
            v.checkCompatible(m);
            Random rnd = new Random(4321);
            // JIT warm-up of the vision kernels on a small entry (a full tile of the real model takes tens of seconds)
            v.embed(randomEntry(v, rnd, 64));
            double[] ms = new double[reps];
            for (int r = 0; r < reps; r++) {
                ImageEntry e = randomEntry(v, rnd, TILE);
                long t0 = System.nanoTime();
                v.embed(e);
                ms[r] = (System.nanoTime() - t0) / 1e6;
            }
            Map<String, Object> vr = new LinkedHashMap<>();
            vr.put("test", "vision" + TILE);
            vr.put("ms", round(mean(ms)));
            vr.put("stddev", round(stddev(ms)));
            results.add(vr);

            Lfm2Vl.Options d = Lfm2Vl.Options.defaults(); // what 'caption' and Lfm2Vl.caption use
            Tokenizer tokenizer = m.tokenizer();
            Generator generator = new Generator(m, tokenizer);
            ImagePreprocessor pre = new ImagePreprocessor(v.preprocessOptions(d.preprocess())
                    .withImageTokens(d.minImageTokens(), d.maxImageTokens()).withImageSplitting(d.imageSplitting()));
            Path png = Files.createTempFile("lfm2vl-bench-", ".png");
            try {
                BufferedImage img = new BufferedImage(TILE, TILE, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < TILE; y++) {
                    for (int x = 0; x < TILE; x++) {
                        img.setRGB(x, y, rnd.nextInt(1 << 24));
                    }
                }
                if (!ImageIO.write(img, "png", png.toFile())) {
                    throw new IOException("no PNG writer");
                }
                double[] ttft = new double[reps];
                for (int r = 0; r < reps; r++) {
                    Sampler sampler = new Sampler(m.config().vocabSize(), d.sampling());
                    long t0 = System.nanoTime();
                    PreprocessedImage image = pre.preprocess(ImageLoader.load(png, d.maxImagePixels()));
                    Prompt request = Lfm2Vl.buildPrompt(null, Lfm2Vl.DESCRIBE, List.of(image), tokenizer);
                    if (request.positions() > m.config().contextLength()) {
                        throw new UserError("the caption prompt takes " + request.positions() + " positions; the model holds "
                                + m.config().contextLength());
                    }
                    Lfm2State st = m.newState(request.positions() + 1);
                    generator.prefill(st, request.encode(v, Listener.NONE));
                    int first = sampler.sample(generator.logits(), 0);
                    ttft[r] = (System.nanoTime() - t0) / 1e6;
                    if (first < 0) {
                        throw new IllegalStateException("no token sampled");
                    }
                }
                Map<String, Object> tr = new LinkedHashMap<>();
                tr.put("test", "ttft" + TILE);
                tr.put("ms", round(mean(ttft)));
                results.add(tr);
            } finally {
                Files.deleteIfExists(png);
            }
            return visionFlops(v, TILE, TILE);
        }
    }

    /** A {@code side x side} entry of random normalised pixels (uniform in [-1, 1], like (u8/255 - 0.5)/0.5). */
    private static ImageEntry randomEntry(VisionModel v, Random rnd, int side) {
        float[] px = new float[3 * side * side];
        for (int i = 0; i < px.length; i++) {
            px[i] = rnd.nextFloat() * 2 - 1;
        }
        return new ImageEntry(new ImagePlan.EntryPlan(side, side, v.tokens(side, side), 0, 0, false), px);
    }

    /**
     * FLOPs of encoding one {@code width x height} entry: 2 x elements of every encoder matrix x patches (the patch
     * embedding is a matrix over the patches too; the position embedding is a lookup), 2 x projector matrices x
     * image tokens, and the attention products QK^T and PV: 4 x patches^2 x hidden x layers.
     */
    static long visionFlops(VisionModel v, int width, int height) {
        long patches = (long) (width / v.config().patchSize()) * (height / v.config().patchSize());
        long tokens = v.tokens(width, height);
        long flops = 0;
        for (GgufTensor t : v.gguf().tensors()) {
            if (t.rank() < 2 || t.name().startsWith("v.position_embd")) {
                continue;
            }
            flops += 2 * t.elementCount() * (t.name().startsWith("mm.") ? tokens : patches);
        }
        return flops + 4L * patches * patches * v.config().hidden() * v.config().layers();
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    private static double stddev(double[] v) {
        if (v.length < 2) {
            return 0;
        }
        double mu = mean(v);
        double var = 0;
        for (double x : v) {
            var += (x - mu) * (x - mu);
        }
        return Math.sqrt(var / (v.length - 1));
    }

    private static Map<String, Object> result(String test, double[] tps) {
        double mean = 0;
        for (double v : tps) {
            mean += v;
        }
        mean /= tps.length;
        double var = 0;
        for (double v : tps) {
            var += (v - mean) * (v - mean);
        }
        double sd = tps.length > 1 ? Math.sqrt(var / (tps.length - 1)) : 0;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("test", test);
        r.put("tokens_per_s", round(mean));
        r.put("stddev", round(sd));
        return r;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private static int[] randomTokens(Random rnd, int n, int vocab) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = rnd.nextInt(vocab);
        }
        return ids;
    }

    private void printTable(PrintWriter out, Map<String, Object> report, long weightBytes, long params, double readGbs, double fmaGflops,
            long visionFlops) {
        double tgCeiling = readGbs * 1e9 / weightBytes;
        out.printf(Locale.ROOT, "model: %s%n", model.getFileName());
        out.printf(Locale.ROOT, "threads: %s   weights/token: %.1f MB (%.3f B params)   peak RSS: %.1f MB%n",
                report.get("threads"), weightBytes / 1e6, params / 1e9, ((Number) report.get("peak_rss_bytes")).longValue() / 1e6);
        out.printf(Locale.ROOT, "ceilings: read %.2f GB/s (mapped) -> tg <= %.2f tok/s;  FMA %.1f GFLOP/s -> pp <= %.2f tok/s%n",
                readGbs, tgCeiling, fmaGflops, fmaGflops * 1e9 / (2.0 * params));
        out.printf(Locale.ROOT, "%-8s %14s %10s %10s  %s%n", "test", "tokens/s", "stddev", "ratio", "of ceiling");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> results = (List<Map<String, Object>>) report.get("results");
        for (Map<String, Object> r : results) {
            String test = (String) r.get("test");
            if (r.containsKey("mask_ms_per_token")) {
                out.printf(Locale.ROOT, "%-8s %11.3f ms %10s %9.1f%%  of a decode step (%.1f ms) for the --json-schema token mask%n", "mask",
                        ((Number) r.get("mask_ms_per_token")).doubleValue(), "", 100 * ((Number) r.get("mask_share_of_decode")).doubleValue(),
                        ((Number) r.get("decode_ms_per_token")).doubleValue());
                continue;
            }
            if (r.containsKey("ms")) {
                double ms = ((Number) r.get("ms")).doubleValue();
                if (test.startsWith("vision")) {
                    double gflops = visionFlops / (ms / 1e3) / 1e9;
                    out.printf(Locale.ROOT, "%-8s %11.1f ms %10.1f %9.1f%%  %.1f GFLOP/s (%.1f GFLOP per 512x512 tile)%n", test, ms,
                            ((Number) r.get("stddev")).doubleValue(), 100 * gflops / fmaGflops, gflops, visionFlops / 1e9);
                } else {
                    out.printf(Locale.ROOT, "%-8s %11.1f ms %10s %10s  image file to first caption token%n", test, ms, "", "");
                }
                continue;
            }
            double tps = ((Number) r.get("tokens_per_s")).doubleValue();
            double ratio;
            String what;
            if (r.containsKey("streams")) { // aggregate over the streams; the weights are read once per step
                int k = ((Number) r.get("streams")).intValue();
                ratio = tps / k / tgCeiling;
                what = String.format(Locale.ROOT, "%d streams: best %.2f, median %.2f tok/s; %.2f GB/s weight read", k,
                        ((Number) r.get("best")).doubleValue(), ((Number) r.get("median")).doubleValue(), tps / k * weightBytes / 1e9);
            } else if (test.startsWith("tg")) {
                ratio = tps / tgCeiling;
                what = String.format(Locale.ROOT, "%.2f GB/s effective weight read", tps * weightBytes / 1e9);
            } else {
                ratio = 2.0 * params * tps / (fmaGflops * 1e9);
                what = String.format(Locale.ROOT, "%.1f GFLOP/s (2 x params x tokens/s)", 2.0 * params * tps / 1e9);
            }
            out.printf(Locale.ROOT, "%-8s %14.2f %10.2f %9.1f%%  %s%n", test, tps, ((Number) r.get("stddev")).doubleValue(), 100 * ratio, what);
        }
    }

    /** Whether the text model reuses token_embd.weight as its LM head (no output.weight). */
    private static boolean tied(GgufFile f) {
        return !f.hasTensor("output.weight");
    }

    /**
     * Bytes of every matrix a decoded token reads: all tensors of rank >= 2, the tied embedding once (as the LM
     * head); an untied token_embd.weight is skipped (a token reads one row of it).
     */
    static long weightBytesPerToken(GgufFile f) {
        long n = 0;
        for (GgufTensor t : f.tensors()) {
            if (t.rank() >= 2 && (tied(f) || !t.name().equals("token_embd.weight"))) {
                n += t.byteSize();
            }
        }
        return n;
    }

    /** Elements of the same matrices (multiply-adds per token). */
    static long weightParamsPerToken(GgufFile f) {
        long n = 0;
        for (GgufTensor t : f.tensors()) {
            if (t.rank() >= 2 && (tied(f) || !t.name().equals("token_embd.weight"))) {
                n += t.elementCount();
            }
        }
        return n;
    }

    /** Linux: VmHWM of /proc/self/status in bytes; -1 elsewhere. */
    static long peakRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    String[] parts = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return -1;
    }

    /** The read ceiling's data ({@link Ceilings#readBandwidth} times it): the model file when large enough, else a temp file. */
    static final class MachineCeilings {
        private MachineCeilings() {}

        /**
         * GB/s of summing mapped memory with the Vector API over the pool's threads: the model file itself when it
         * has at least {@code minBytes}, else a temporary file of {@code minBytes} (deleted afterwards). One
         * untimed pass faults the pages in; then the best of the timed passes run for {@code millis}.
         */
        static double readBandwidth(Parallel pool, MemorySegment model, long minBytes, long millis) throws IOException {
            if (model.byteSize() >= minBytes) {
                return Ceilings.readBandwidth(pool, model, millis); // the model's own mapping: no second copy in the RSS
            }
            Path tmp = Files.createTempFile("lfm2vl-bench-", ".bin");
            try {
                try (OutputStream os = Files.newOutputStream(tmp)) {
                    byte[] chunk = new byte[1 << 20];
                    new Random(7).nextBytes(chunk);
                    for (long done = 0; done < minBytes; done += chunk.length) {
                        os.write(chunk, 0, (int) Math.min(chunk.length, minBytes - done));
                    }
                }
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.READ); Arena arena = Arena.ofShared()) {
                    return Ceilings.readBandwidth(pool, ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size() / 4096 * 4096, arena), millis);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }
}
