package dev.lfm2vl.cli;

import dev.lfm2vl.loader.GgufFile;
import dev.lfm2vl.loader.GgufFormatException;
import dev.lfm2vl.loader.GgufTensor;
import dev.lfm2vl.runtime.ChatTemplate;
import dev.lfm2vl.runtime.ImageLayoutItem;
import dev.lfm2vl.runtime.ImageLoadException;
import dev.lfm2vl.runtime.ImageLoader;
import dev.lfm2vl.runtime.ImagePlan;
import dev.lfm2vl.runtime.ImagePreprocessor;
import dev.lfm2vl.runtime.Lfm2Config;
import dev.lfm2vl.runtime.Lfm2Model;
import dev.lfm2vl.hub.Json;
import dev.lfm2vl.runtime.MemoryBudget;
import dev.lfm2vl.runtime.PreprocessMode;
import dev.lfm2vl.runtime.RgbImage;
import dev.lfm2vl.runtime.Tokenizer;
import dev.lfm2vl.runtime.VisionConfig;
import dev.lfm2vl.hub.ModelCache;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code lfm2vl plan IMAGE...}: what captioning each image would cost, without running (or even loading) the model:
 * the resize and tile grid, image and marker tokens, prompt positions, KV-cache and activation memory, and, when a
 * bench result is cached, the estimated vision-encode and prefill time.
 */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = {"Plan the captioning of images without running the model: per image the resize (single image, or tile "
                + "grid + thumbnail), image and marker tokens, the caption prompt's positions, KV-cache and activation memory, "
                + "and estimated encode/prefill time from the cached bench result; then a total.",
                "Without -m the text tokens are estimated and the LFM2-VL-3B text shapes are assumed (8 attention layers of "
                + "8 KV heads x 64, 22 conv layers of 2048 x 2); without --mmproj the SigLIP2-so400m vision shapes (hidden "
                + "1152, MLP 4304, 16 heads) and mean/std 0.5. Neither file is required; both are only read, not loaded.",
                "Time estimates need <cache>/bench.json (<cache> = $LFM2VL_CACHE, else $XDG_CACHE_HOME/lfm2vl, else "
                + "~/.cache/lfm2vl) holding the output of 'lfm2vl bench --json'.",
                "An unreadable image prints one 'error:' line on stderr; the others are still planned and the exit code is 2."},
        footer = {"", "Examples:",
                "  lfm2vl plan photo.jpg",
                "  lfm2vl plan --json --max-image-tokens 1024 big.png",
                "  lfm2vl plan -m model.gguf --mmproj mmproj.gguf *.jpg"})
final class PlanCommand implements Callable<Integer> {
    /** Text tokens assumed around the image without a tokenizer: BOS + chat template, before the prompt's own tokens. */
    static final int TEMPLATE_TOKEN_ALLOWANCE = 10;

    @Mixin
    VisionOptions vision;

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "Images to plan (${sys:lfm2vl.image.formats}).")
    List<Path> images;

    @Option(names = {"-m", "--model"}, paramLabel = "MODEL.gguf",
            description = "Text model GGUF: exact prompt tokens and KV-cache shapes (default: LFM2-VL-3B shapes, estimated text).")
    Path model;

    @Option(names = {"-p", "--prompt"}, paramLabel = "PROMPT", defaultValue = CaptionCommand.DEFAULT_PROMPT,
            description = "The caption prompt (default: ${DEFAULT-VALUE}).")
    String prompt;

    @Option(names = "--system", paramLabel = "TEXT", description = "A system message placed before the prompt.")
    String system;

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", defaultValue = "256",
            description = "Tokens to be generated, counted in the KV cache (default: ${DEFAULT-VALUE}).")
    int generate;

    @Option(names = {"-c", "--ctx-size"}, paramLabel = "N",
            description = "Size the KV cache like 'caption -c N' and check the prompt + -n fits (default: exactly prompt + -n).")
    Integer contextSize;

    @Option(names = "--bench-file", paramLabel = "FILE",
            description = "Bench result ('lfm2vl bench --json' output) for the time estimates (default: <cache>/bench.json).")
    Path benchFile;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Spec
    CommandSpec spec;

    /** The text side: shapes and, with -m, the tokenizer. */
    private record TextSide(Lfm2Config config, Tokenizer tokenizer, String source) {}

    /** The vision side: shapes and projector hidden width. */
    private record VisionSide(VisionConfig config, int projectorHidden, String source) {}

    @Override
    public Integer call() throws Exception {
        if (vision.minImageTokens < 1 || vision.maxImageTokens < vision.minImageTokens) {
            throw new UserError("need 1 <= --min-image-tokens <= --max-image-tokens, got " + vision.minImageTokens + " and "
                    + vision.maxImageTokens);
        }
        if (generate < 0) {
            throw new UserError("-n must be 0 or more for plan, got " + generate);
        }
        if (contextSize != null && contextSize < 1) {
            throw new UserError("--ctx-size must be at least 1, got " + contextSize);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();

        TextSide text = textSide();
        VisionSide vis = visionSide();
        if (model != null && vision.mmproj != null && vis.config().projectionDim() != text.config().dim()) {
            throw new UserError(vision.mmproj + " makes " + vis.config().projectionDim() + "-wide image vectors but " + model
                    + " is " + text.config().dim() + " wide: they do not belong together");
        }
        ImagePreprocessor pre = new ImagePreprocessor(preprocessOptions(vis.config()));
        Bench bench = Bench.read(benchFile != null ? benchFile : defaultBenchFile(), err);
        int threads = Runtime.getRuntime().availableProcessors();

        // text tokens around the image span: the same for every image
        int textTokens;
        if (text.tokenizer() != null) {
            textTokens = countTextTokens(text.tokenizer());
        } else {
            textTokens = estimateTextTokens();
        }

        List<Map<String, Object>> planned = new ArrayList<>();
        List<Map<String, Object>> errors = new ArrayList<>();
        for (Path image : images) {
            RgbImage rgb;
            try {
                rgb = ImageLoader.load(image);
            } catch (ImageLoadException e) {
                err.println("error: " + Main.describe(e));
                err.flush();
                Map<String, Object> e1 = new LinkedHashMap<>();
                e1.put("path", image.toString());
                e1.put("error", e.getMessage());
                errors.add(e1);
                continue;
            }
            ImagePlan plan = pre.plan(rgb.width(), rgb.height());
            if (text.tokenizer() != null) {
                for (ImageLayoutItem item : plan.layout()) {
                    if (item instanceof ImageLayoutItem.Marker m && text.tokenizer().tokenId(m.tokenText()) < 0) {
                        throw new GgufFormatException(text.source() + ": the vocabulary has no token " + m.tokenText()
                                + " (not an LFM2-VL tokenizer?)");
                    }
                }
            }
            planned.add(planImage(image, plan, textTokens, text, vis, bench, threads));
        }

        Map<String, Object> report = new LinkedHashMap<>();
        report.put("assumptions", assumptions(text, vis, bench));
        report.put("images", planned);
        report.put("total", total(planned, errors.size(), bench));
        report.put("errors", errors);
        if (json) {
            out.println(JsonWriter.write(report, true));
        } else {
            printNotes(err, planned);
            printText(out, report, planned);
        }
        out.flush();
        return errors.isEmpty() ? Main.EXIT_OK : Main.EXIT_USAGE;
    }

    // ---------------------------------------------------------------- inputs

    private TextSide textSide() throws IOException {
        if (model == null) {
            return new TextSide(MemoryBudget.LFM2_VL_3B_TEXT, null, null);
        }
        if (!Files.exists(model)) {
            throw new NoSuchFileException(model.toString());
        }
        try (GgufFile f = GgufFile.open(model)) {
            Lfm2Config config = Lfm2Config.from(f);
            Tokenizer tokenizer;
            try {
                tokenizer = Tokenizer.fromGguf(f.metadata());
            } catch (IllegalArgumentException e) {
                throw new GgufFormatException(f.source() + ": " + e.getMessage());
            }
            return new TextSide(config, tokenizer, model.toString());
        }
    }

    private VisionSide visionSide() throws IOException {
        if (vision.mmproj == null) {
            return new VisionSide(MemoryBudget.SIGLIP2_SO400M, MemoryBudget.LFM2_VL_3B_PROJECTOR_HIDDEN, null);
        }
        if (!Files.exists(vision.mmproj)) {
            throw new NoSuchFileException(vision.mmproj.toString());
        }
        try (GgufFile f = GgufFile.open(vision.mmproj)) {
            VisionConfig config = VisionConfig.from(f);
            GgufTensor fc1 = f.findTensor("mm.1.weight");
            int hidden = fc1 != null ? (int) fc1.rows() : config.projectionDim();
            return new VisionSide(config, hidden, vision.mmproj.toString());
        }
    }

    /** The pre-processing options caption would use: docs/MODEL.md §6.1 defaults, the mmproj's patch/scale/mean/std, these flags. */
    private ImagePreprocessor.Options preprocessOptions(VisionConfig vc) {
        PreprocessMode mode = vision.preprocess;
        ImagePreprocessor.Options d = ImagePreprocessor.Options.defaults(mode, vc.imageMean(), vc.imageStd());
        ImagePreprocessor.Options o = new ImagePreprocessor.Options(mode, vision.minImageTokens, vision.maxImageTokens,
                d.imageSplitting(), d.tileSize(), d.minTiles(), d.maxTiles(), d.maxPixelsTolerance(), d.mean(), d.std(),
                vc.patchSize(), vc.scaleFactor());
        return vision.noImageSplit ? o.withImageSplitting(false) : o;
    }

    private List<ChatTemplate.Message> messages() {
        List<ChatTemplate.Message> m = new ArrayList<>();
        if (system != null && !system.isEmpty()) {
            m.add(ChatTemplate.Message.system(system));
        }
        m.add(ChatTemplate.Message.user(prompt, 1));
        return m;
    }

    /** Exact text tokens of the caption prompt as the conversation encodes it: BOS with the first piece, parse-special. */
    private int countTextTokens(Tokenizer tokenizer) {
        List<ChatTemplate.Piece> pieces;
        try {
            pieces = ChatTemplate.pieces(messages(), true);
        } catch (IllegalArgumentException e) {
            throw new UserError("-p: " + e.getMessage());
        }
        int n = 0;
        boolean first = true;
        for (ChatTemplate.Piece p : pieces) {
            if (p instanceof ChatTemplate.Text t) {
                n += tokenizer.encode(t.text(), first, true).length;
                first = false;
            } else if (first) {
                n += tokenizer.bosId() >= 0 ? 1 : 0; // BOS before a leading image (never with the chat template)
                first = false;
            }
        }
        return n;
    }

    /**
     * Text tokens without a tokenizer: {@value #TEMPLATE_TOKEN_ALLOWANCE} for BOS and the chat template plus about
     * one token per 4 characters of prompt (15 for the default prompt), plus 5 + chars/4 for a system message.
     */
    int estimateTextTokens() {
        try {
            ChatTemplate.pieces(messages(), true); // same marker check as with a tokenizer
        } catch (IllegalArgumentException e) {
            throw new UserError("-p: " + e.getMessage());
        }
        int n = TEMPLATE_TOKEN_ALLOWANCE + Math.ceilDiv(prompt.replace(ChatTemplate.MEDIA_MARKER, "").length(), 4);
        if (system != null && !system.isEmpty()) {
            n += 5 + Math.ceilDiv(system.length(), 4);
        }
        return n;
    }

    static Path defaultBenchFile() {
        return ModelCache.fromEnvironment().root().resolve("bench.json");
    }

    // ---------------------------------------------------------------- per image

    private Map<String, Object> planImage(Path image, ImagePlan plan, int textTokens, TextSide text, VisionSide vis, Bench bench,
                                          int threads) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("path", image.toString());
        m.put("width", plan.originalWidth());
        m.put("height", plan.originalHeight());
        m.put("mode", modeName(plan.mode()));
        m.put("resized", size(plan.resizedWidth(), plan.resizedHeight()));
        if (plan.tiled()) {
            Map<String, Object> g = new LinkedHashMap<>();
            g.put("cols", plan.gridCols());
            g.put("rows", plan.gridRows());
            m.put("grid", g);
            m.put("canvas", size(plan.canvasWidth(), plan.canvasHeight()));
        } else {
            m.put("grid", null);
        }
        List<Map<String, Object>> entries = new ArrayList<>();
        long visionBytes = 0;
        long visionPack = 0;
        int largest = 0;
        double patchUnits = 0;
        for (int e = 0; e < plan.entryCount(); e++) {
            int w = plan.entryWidths()[e];
            int h = plan.entryHeights()[e];
            Map<String, Object> en = new LinkedHashMap<>();
            en.put("w", w);
            en.put("h", h);
            en.put("tokens", plan.entryTokens()[e]);
            en.put("thumbnail", plan.tiled() && e == plan.entryCount() - 1);
            entries.add(en);
            visionPack = Math.max(visionPack, MemoryBudget.visionMatMulPackBytes(vis.config(), vis.projectorHidden(), w, h));
            long vb = MemoryBudget.visionBytes(vis.config(), vis.projectorHidden(), w, h, threads);
            if (vb > visionBytes) {
                visionBytes = vb;
                largest = e;
            }
            patchUnits += MemoryBudget.patches(vis.config(), w, h) / 1024.0;
        }
        m.put("entries", entries);
        m.put("image_tokens", plan.totalImageTokens());
        m.put("marker_tokens", plan.markerCount());
        m.put("span_positions", plan.totalPositions());
        m.put("text_tokens", textTokens);
        int positions = plan.totalPositions() + textTokens;
        m.put("prompt_positions", positions);
        m.put("estimated", text.tokenizer() == null);
        int needed = positions + generate;
        int capacity = contextSize != null ? Math.min(contextSize, text.config().contextLength()) : needed;
        m.put("context_positions", capacity);
        m.put("fits", needed <= capacity && needed <= text.config().contextLength());
        m.put("kv_cache_bytes", MemoryBudget.kvCacheBytes(text.config(), capacity));
        int batch = Math.min(Lfm2Model.MAX_BATCH, capacity);
        // MatMul's packed activations: one buffer per thread, sized by the widest product of text or vision
        long textPack = MemoryBudget.textMatMulPackBytes(text.config(), batch);
        long textScratch = MemoryBudget.textScratchBytes(text.config(), capacity, batch) + textPack;
        visionBytes += Math.max(0, visionPack - textPack);
        m.put("activation_bytes", textScratch + visionBytes);
        m.put("text_activation_bytes", textScratch);
        m.put("text_batch", batch);
        m.put("vision_activation_bytes", visionBytes);
        m.put("vision_largest_entry", size(plan.entryWidths()[largest], plan.entryHeights()[largest]));
        if (bench.visionMs() != null) {
            m.put("est_encode_ms", round1(plan.entryCount() == 0 ? 0 : bench.visionMs() * patchUnits));
        }
        Bench.Pp pp = bench.pp(positions);
        if (pp != null) {
            m.put("est_prefill_ms", round1(positions / pp.tokensPerSecond() * 1000));
            m.put("bench_pp", pp.test());
        }
        return m;
    }

    private Map<String, Object> total(List<Map<String, Object>> planned, int failed, Bench bench) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("images", planned.size());
        t.put("failed", failed);
        long imageTokens = 0;
        long markers = 0;
        long positions = 0;
        long kv = 0;
        long act = 0;
        double encode = 0;
        double prefill = 0;
        for (Map<String, Object> m : planned) {
            imageTokens += ((Number) m.get("image_tokens")).longValue();
            markers += ((Number) m.get("marker_tokens")).longValue();
            positions += ((Number) m.get("prompt_positions")).longValue();
            kv = Math.max(kv, ((Number) m.get("kv_cache_bytes")).longValue());
            act = Math.max(act, ((Number) m.get("activation_bytes")).longValue());
            encode += m.containsKey("est_encode_ms") ? ((Number) m.get("est_encode_ms")).doubleValue() : 0;
            prefill += m.containsKey("est_prefill_ms") ? ((Number) m.get("est_prefill_ms")).doubleValue() : 0;
        }
        t.put("image_tokens", imageTokens);
        t.put("marker_tokens", markers);
        t.put("prompt_positions", positions);
        t.put("kv_cache_bytes", kv);
        t.put("activation_bytes", act);
        if (bench.visionMs() != null) {
            t.put("est_encode_ms", round1(encode));
        }
        if (bench.hasPp()) {
            t.put("est_prefill_ms", round1(prefill));
        }
        return t;
    }

    private Map<String, Object> assumptions(TextSide text, VisionSide vis, Bench bench) {
        Map<String, Object> a = new LinkedHashMap<>();
        Lfm2Config c = text.config();
        a.put("text_model", text.source() != null ? text.source() : "LFM2-VL-3B published shapes (no -m)");
        a.put("attention_layers", c.attentionLayerCount());
        a.put("conv_layers", c.layers() - c.attentionLayerCount());
        a.put("kv_bytes_per_position", MemoryBudget.kvBytesPerPosition(c));
        a.put("conv_state_bytes", MemoryBudget.convStateBytes(c));
        a.put("vision_model", vis.source() != null ? vis.source() : "SigLIP2-so400m published shapes (no --mmproj)");
        a.put("vision_hidden", vis.config().hidden());
        a.put("vision_ff", vis.config().ffnDim());
        a.put("vision_heads", vis.config().heads());
        a.put("generated_tokens", generate);
        a.put("prompt", prompt);
        a.put("bench", bench.source() != null ? bench.source().toString() : null);
        return a;
    }

    // ---------------------------------------------------------------- text output

    /**
     * The assumed shapes, on stderr: they are remarks about the run, and stdout is the plan alone (which scripts
     * read; with --json the assumptions are in the object instead).
     */
    private void printNotes(PrintWriter err, List<Map<String, Object>> planned) {
        if (model == null) {
            err.printf(Locale.ROOT, "note: no -m: assuming LFM2-VL-3B text shapes (8 attention layers x 8 KV heads x 64, 22 conv "
                    + "layers of 2048 x 2) and estimating the prompt text as %d tokens%n", planned.isEmpty()
                    ? estimateTextTokens() : ((Number) planned.get(0).get("text_tokens")).intValue());
        }
        if (vision.mmproj == null) {
            err.println("note: no --mmproj: assuming SigLIP2-so400m vision shapes (hidden 1152, MLP 4304, 16 heads)");
        }
        err.flush();
    }

    @SuppressWarnings("unchecked")
    private void printText(PrintWriter out, Map<String, Object> report, List<Map<String, Object>> planned) {
        Map<String, Object> a = (Map<String, Object>) report.get("assumptions");
        for (Map<String, Object> m : planned) {
            if (m != planned.getFirst()) {
                out.println(); // a blank line between images
            }
            out.printf(Locale.ROOT, "%s: %sx%s [%s]%n", m.get("path"), m.get("width"), m.get("height"), m.get("mode"));
            Map<String, Object> r = (Map<String, Object>) m.get("resized");
            Map<String, Object> g = (Map<String, Object>) m.get("grid");
            List<Map<String, Object>> entries = (List<Map<String, Object>>) m.get("entries");
            if (g != null) {
                Map<String, Object> canvas = (Map<String, Object>) m.get("canvas");
                row(out, "resize", "tiles " + canvas.get("w") + "x" + canvas.get("h") + " + thumbnail " + r.get("w") + "x" + r.get("h"));
                row(out, "grid", g.get("cols") + "x" + g.get("rows") + " (cols x rows)");
                int tiles = entries.size() - 1;
                row(out, "image tokens", m.get("image_tokens") + " (" + tiles + " tile" + (tiles == 1 ? "" : "s") + " x "
                        + entries.get(0).get("tokens") + " + thumbnail " + entries.get(tiles).get("tokens") + ")");
            } else {
                row(out, "resize", r.get("w") + "x" + r.get("h"));
                row(out, "grid", "single");
                row(out, "image tokens", m.get("image_tokens"));
            }
            row(out, "marker tokens", m.get("marker_tokens"));
            boolean estimated = (Boolean) m.get("estimated");
            row(out, "prompt", m.get("prompt_positions") + " positions = " + m.get("span_positions") + " image span + "
                    + m.get("text_tokens") + " text tokens" + (estimated ? " (text estimated; pass -m for the exact count)" : " (exact)"));
            String kv = InfoCommand.human(((Number) m.get("kv_cache_bytes")).longValue()) + " for " + m.get("context_positions")
                    + " positions";
            kv += contextSize == null ? " (prompt + " + generate + " generated)" : " (-c " + contextSize + ")";
            if (!(Boolean) m.get("fits")) {
                kv += "; prompt + " + generate + " generated = "
                        + (((Number) m.get("prompt_positions")).intValue() + generate) + " positions DO NOT FIT";
            }
            row(out, "kv cache", kv);
            Map<String, Object> le = (Map<String, Object>) m.get("vision_largest_entry");
            row(out, "activations", InfoCommand.human(((Number) m.get("activation_bytes")).longValue()) + " = text scratch "
                    + InfoCommand.human(((Number) m.get("text_activation_bytes")).longValue()) + " (batch " + m.get("text_batch")
                    + ") + vision " + InfoCommand.human(((Number) m.get("vision_activation_bytes")).longValue())
                    + " (largest entry " + le.get("w") + "x" + le.get("h") + ")");
            row(out, "time", timeText(m));
        }
        Map<String, Object> t = (Map<String, Object>) report.get("total");
        out.println();
        int failed = ((Number) t.get("failed")).intValue();
        out.println("total: " + t.get("images") + " image" + (((Number) t.get("images")).intValue() == 1 ? "" : "s")
                + (failed > 0 ? " (" + failed + " failed)" : ""));
        row(out, "image tokens", t.get("image_tokens") + " (+ " + t.get("marker_tokens") + " marker tokens)");
        row(out, "prompt", t.get("prompt_positions") + " positions (summed over the images' own conversations)");
        row(out, "kv cache", InfoCommand.human(((Number) t.get("kv_cache_bytes")).longValue()) + " (largest; images are captioned one at a time)");
        row(out, "activations", InfoCommand.human(((Number) t.get("activation_bytes")).longValue()) + " (largest)");
        row(out, "time", timeText(t));
        if (a.get("bench") != null && (t.containsKey("est_encode_ms") || t.containsKey("est_prefill_ms"))) {
            row(out, "bench", a.get("bench"));
        }
    }

    private static String timeText(Map<String, Object> m) {
        Object enc = m.get("est_encode_ms");
        Object pre = m.get("est_prefill_ms");
        if (enc == null && pre == null) {
            return "no bench result cached (run lfm2vl bench)";
        }
        List<String> parts = new ArrayList<>();
        parts.add(enc != null ? "encode ~" + fmtMs((Number) enc) : "encode unknown (no vision512 in the bench result)");
        parts.add(pre != null ? "prefill ~" + fmtMs((Number) pre) : "prefill unknown (no ppN in the bench result)");
        return String.join(", ", parts);
    }

    private static String fmtMs(Number ms) {
        double v = ms.doubleValue();
        return v >= 10_000 ? String.format(Locale.ROOT, "%.1f s", v / 1000) : String.format(Locale.ROOT, "%.0f ms", v);
    }

    private static void row(PrintWriter out, String key, Object value) {
        out.printf("  %-15s %s%n", key + ":", value);
    }

    // ---------------------------------------------------------------- helpers

    private static Map<String, Object> size(int w, int h) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("w", w);
        s.put("h", h);
        return s;
    }

    static String modeName(PreprocessMode mode) {
        return mode == PreprocessMode.HF ? "hf" : "llama.cpp";
    }

    private static double round1(double v) {
        return Math.round(v * 10) / 10.0;
    }

    // ---------------------------------------------------------------- bench cache

    /**
     * The cached bench result: the object {@code lfm2vl bench --json} prints, whose {@code results} list holds
     * {@code {"test": "ppN", "tokens_per_s": X}} entries and, for the vision tower, {@code {"test": "vision512",
     * "ms": X}} (milliseconds to encode one 512x512 entry = 1024 patches; {@code tokens_per_s} in image tokens/s is
     * accepted too, 256 per entry). Missing or unreadable files give an empty result (unreadable: a warning).
     */
    record Bench(Path source, Double visionMs, List<Pp> pps) {
        record Pp(String test, int n, double tokensPerSecond) {}

        static final Bench NONE = new Bench(null, null, List.of());

        boolean hasPp() {
            return !pps.isEmpty();
        }

        /** The pp result whose N is nearest the prompt's positions (ties: the larger N). */
        Pp pp(int positions) {
            Pp best = null;
            for (Pp p : pps) {
                if (best == null || Math.abs(p.n() - positions) < Math.abs(best.n() - positions)
                        || (Math.abs(p.n() - positions) == Math.abs(best.n() - positions) && p.n() > best.n())) {
                    best = p;
                }
            }
            return best;
        }

        static Bench read(Path file, PrintWriter err) {
            if (file == null || !Files.isRegularFile(file)) {
                return NONE;
            }
            try {
                Object root = Json.parse(Files.readString(file));
                if (!(root instanceof Map<?, ?> map) || !(map.get("results") instanceof List<?> results)) {
                    throw new IllegalArgumentException("no \"results\" list");
                }
                Double visionMs = null;
                List<Pp> pps = new ArrayList<>();
                for (Object o : results) {
                    if (!(o instanceof Map<?, ?> r) || !(r.get("test") instanceof String test)) {
                        continue;
                    }
                    Double tps = r.get("tokens_per_s") instanceof Number n ? n.doubleValue() : null;
                    if (test.equals("vision512")) {
                        if (r.get("ms") instanceof Number ms && ms.doubleValue() > 0) {
                            visionMs = ms.doubleValue();
                        } else if (tps != null && tps > 0) {
                            visionMs = 256 / tps * 1000;
                        }
                    } else if (test.matches("pp[0-9]{1,9}") && tps != null && tps > 0) {
                        pps.add(new Pp(test, Integer.parseInt(test.substring(2)), tps));
                    }
                }
                return new Bench(file, visionMs, List.copyOf(pps));
            } catch (IOException | RuntimeException e) {
                err.println("warning: ignoring the bench result " + file + ": " + e.getMessage());
                err.flush();
                return NONE;
            }
        }
    }

}
