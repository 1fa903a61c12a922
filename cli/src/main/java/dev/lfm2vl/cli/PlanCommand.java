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
import dev.lfm2vl.loader.json.Json;
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
        int textTokens = text.tokenizer() != null ? countTextTokens(text.tokenizer()) : estimateTextTokens();
        CaptionPlan.Setup setup = new CaptionPlan.Setup(text.config(), vis.config(), vis.projectorHidden(), textTokens,
                text.tokenizer() == null, generate, contextSize, bench, threads);

        List<CaptionPlan.Image> planned = new ArrayList<>();
        List<CaptionPlan.Failure> errors = new ArrayList<>();
        for (Path image : images) {
            RgbImage rgb;
            try {
                rgb = ImageLoader.load(image);
            } catch (ImageLoadException e) {
                err.println("error: " + Main.describe(e));
                err.flush();
                errors.add(new CaptionPlan.Failure(image.toString(), e.getMessage()));
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
            planned.add(setup.image(image.toString(), plan));
        }

        CaptionPlan report = new CaptionPlan(assumptions(text, vis, bench), List.copyOf(planned),
                setup.total(planned, errors.size()), List.copyOf(errors));
        if (json) {
            out.println(JsonWriter.write(report.toJson(), true));
        } else {
            printNotes(err, textTokens);
            printText(out, report);
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

    private CaptionPlan.Assumptions assumptions(TextSide text, VisionSide vis, Bench bench) {
        Lfm2Config c = text.config();
        return new CaptionPlan.Assumptions(text.source(), c.attentionLayerCount(), c.layers() - c.attentionLayerCount(),
                MemoryBudget.kvBytesPerPosition(c), MemoryBudget.convStateBytes(c), vis.source(), vis.config().hidden(),
                vis.config().ffnDim(), vis.config().heads(), generate, prompt,
                bench.source() != null ? bench.source().toString() : null);
    }


    // ---------------------------------------------------------------- text output

    /**
     * The assumed shapes, on stderr: they are remarks about the run, and stdout is the plan alone (which scripts
     * read; with --json the assumptions are in the object instead).
     */
    private void printNotes(PrintWriter err, int textTokens) {
        if (model == null) {
            err.printf(Locale.ROOT, "note: no -m: assuming LFM2-VL-3B text shapes (8 attention layers x 8 KV heads x 64, 22 conv "
                    + "layers of 2048 x 2) and estimating the prompt text as %d tokens%n", textTokens);
        }
        if (vision.mmproj == null) {
            err.println("note: no --mmproj: assuming SigLIP2-so400m vision shapes (hidden 1152, MLP 4304, 16 heads)");
        }
        err.flush();
    }

    private void printText(PrintWriter out, CaptionPlan report) {
        List<CaptionPlan.Image> planned = report.images();
        for (CaptionPlan.Image m : planned) {
            if (m != planned.getFirst()) {
                out.println(); // a blank line between images
            }
            out.printf(Locale.ROOT, "%s: %sx%s [%s]%n", m.path(), m.width(), m.height(), m.mode());
            CaptionPlan.Size r = m.resized();
            List<CaptionPlan.Entry> entries = m.entries();
            if (m.grid() != null) {
                row(out, "resize", "tiles " + m.canvas().w() + "x" + m.canvas().h() + " + thumbnail " + r.w() + "x" + r.h());
                row(out, "grid", m.grid().cols() + "x" + m.grid().rows() + " (cols x rows)");
                int tiles = entries.size() - 1;
                row(out, "image tokens", m.imageTokens() + " (" + tiles + " tile" + (tiles == 1 ? "" : "s") + " x "
                        + entries.get(0).tokens() + " + thumbnail " + entries.get(tiles).tokens() + ")");
            } else {
                row(out, "resize", r.w() + "x" + r.h());
                row(out, "grid", "single");
                row(out, "image tokens", m.imageTokens());
            }
            row(out, "marker tokens", m.markerTokens());
            row(out, "prompt", m.promptPositions() + " positions = " + m.spanPositions() + " image span + "
                    + m.textTokens() + " text tokens" + (m.estimated() ? " (text estimated; pass -m for the exact count)" : " (exact)"));
            String kv = InfoCommand.human(m.kvCacheBytes()) + " for " + m.contextPositions() + " positions";
            kv += contextSize == null ? " (prompt + " + generate + " generated)" : " (-c " + contextSize + ")";
            if (!m.fits()) {
                kv += "; prompt + " + generate + " generated = " + (m.promptPositions() + generate) + " positions DO NOT FIT";
            }
            row(out, "kv cache", kv);
            CaptionPlan.Size le = m.visionLargestEntry();
            row(out, "activations", InfoCommand.human(m.activationBytes()) + " = text scratch "
                    + InfoCommand.human(m.textActivationBytes()) + " (batch " + m.textBatch()
                    + ") + vision " + InfoCommand.human(m.visionActivationBytes())
                    + " (largest entry " + le.w() + "x" + le.h() + ")");
            row(out, "time", timeText(m.estEncodeMs(), m.estPrefillMs()));
        }
        CaptionPlan.Total t = report.total();
        out.println();
        out.println("total: " + t.images() + " image" + (t.images() == 1 ? "" : "s")
                + (t.failed() > 0 ? " (" + t.failed() + " failed)" : ""));
        row(out, "image tokens", t.imageTokens() + " (+ " + t.markerTokens() + " marker tokens)");
        row(out, "prompt", t.promptPositions() + " positions (summed over the images' own conversations)");
        row(out, "kv cache", InfoCommand.human(t.kvCacheBytes()) + " (largest; images are captioned one at a time)");
        row(out, "activations", InfoCommand.human(t.activationBytes()) + " (largest)");
        row(out, "time", timeText(t.estEncodeMs(), t.estPrefillMs()));
        String bench = report.assumptions().bench();
        if (bench != null && (t.estEncodeMs() != null || t.estPrefillMs() != null)) {
            row(out, "bench", bench);
        }
    }

    private static String timeText(Double encodeMs, Double prefillMs) {
        if (encodeMs == null && prefillMs == null) {
            return "no bench result cached (run lfm2vl bench)";
        }
        List<String> parts = new ArrayList<>();
        parts.add(encodeMs != null ? "encode ~" + fmtMs(encodeMs) : "encode unknown (no vision512 in the bench result)");
        parts.add(prefillMs != null ? "prefill ~" + fmtMs(prefillMs) : "prefill unknown (no ppN in the bench result)");
        return String.join(", ", parts);
    }

    private static String fmtMs(double v) {
        return v >= 10_000 ? String.format(Locale.ROOT, "%.1f s", v / 1000) : String.format(Locale.ROOT, "%.0f ms", v);
    }

    private static void row(PrintWriter out, String key, Object value) {
        out.printf("  %-15s %s%n", key + ":", value);
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
