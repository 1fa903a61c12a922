package dev.lfm2vl.cli;

import dev.lfm2vl.runtime.ImagePlan;
import dev.lfm2vl.runtime.Lfm2Config;
import dev.lfm2vl.runtime.Lfm2Model;
import dev.lfm2vl.runtime.MemoryBudget;
import dev.lfm2vl.runtime.PreprocessMode;
import dev.lfm2vl.runtime.VisionConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What captioning a list of images would cost, as {@code lfm2vl plan} reports it: per image the resize, tiles,
 * tokens, prompt positions, KV-cache and activation memory (from {@link MemoryBudget}) and, with a bench result, the
 * estimated times; then a total. {@link #toJson()} gives the {@code --json} object, key for key.
 */
record CaptionPlan(Assumptions assumptions, List<Image> images, Total total, List<Failure> errors) {

    /** The shapes and inputs every image's plan was computed with; sources are null when published shapes were assumed. */
    record Assumptions(String textModel, int attentionLayers, int convLayers, long kvBytesPerPosition, long convStateBytes,
                       String visionModel, int visionHidden, int visionFf, int visionHeads, int generatedTokens, String prompt,
                       String bench) {}

    record Size(int w, int h) {}

    record Grid(int cols, int rows) {}

    /** One encoder input: a tile, the thumbnail of a tiled image, or the whole resized image. */
    record Entry(int w, int h, int tokens, boolean thumbnail) {}

    /**
     * One image's plan. {@code grid} and {@code canvas} are null for a single (untiled) image; the estimates are null
     * without the bench result they need.
     */
    record Image(String path, int width, int height, String mode, Size resized, Grid grid, Size canvas, List<Entry> entries,
                 int imageTokens, int markerTokens, int spanPositions, int textTokens, int promptPositions, boolean estimated,
                 int contextPositions, boolean fits, long kvCacheBytes, long activationBytes, long textActivationBytes,
                 int textBatch, long visionActivationBytes, Size visionLargestEntry, Double estEncodeMs, Double estPrefillMs,
                 String benchPp) {}

    /** Sums over the planned images (memory: the largest, as images are captioned one at a time). */
    record Total(int images, int failed, long imageTokens, long markerTokens, long promptPositions, long kvCacheBytes,
                 long activationBytes, Double estEncodeMs, Double estPrefillMs) {}

    /** An image that could not be read. */
    record Failure(String path, String error) {}

    /**
     * What every image's plan shares: the text and vision shapes, the text tokens around the image (estimated
     * without a tokenizer), the tokens to generate, the requested cache size (null: exactly prompt + generated), the
     * bench result and the thread count the vision scratch is sized for.
     */
    record Setup(Lfm2Config text, VisionConfig vision, int projectorHidden, int textTokens, boolean textEstimated,
                 int generate, Integer contextSize, PlanCommand.Bench bench, int threads) {

        Image image(String path, ImagePlan plan) {
            Grid grid = plan.tiled() ? new Grid(plan.gridCols(), plan.gridRows()) : null;
            Size canvas = plan.tiled() ? new Size(plan.canvasWidth(), plan.canvasHeight()) : null;
            List<Entry> entries = new ArrayList<>();
            long visionBytes = 0;
            long visionPack = 0;
            int largest = 0;
            double patchUnits = 0;
            for (int e = 0; e < plan.entryCount(); e++) {
                ImagePlan.EntryPlan entry = plan.entries().get(e);
                int w = entry.width();
                int h = entry.height();
                entries.add(new Entry(w, h, entry.imageTokens(), entry.thumbnail()));
                visionPack = Math.max(visionPack, MemoryBudget.visionMatMulPackBytes(vision, projectorHidden, w, h));
                long vb = MemoryBudget.visionBytes(vision, projectorHidden, w, h, threads);
                if (vb > visionBytes) {
                    visionBytes = vb;
                    largest = e;
                }
                patchUnits += MemoryBudget.patches(vision, w, h) / 1024.0;
            }
            int positions = plan.totalPositions() + textTokens;
            int needed = positions + generate;
            int capacity = contextSize != null ? Math.min(contextSize, text.contextLength()) : needed;
            int batch = Math.min(Lfm2Model.MAX_BATCH, capacity);
            // MatMul's packed activations: one buffer per thread, sized by the widest product of text or vision
            long textPack = MemoryBudget.textMatMulPackBytes(text, batch);
            long textScratch = MemoryBudget.textScratchBytes(text, capacity, batch) + textPack;
            visionBytes += Math.max(0, visionPack - textPack);
            Double encodeMs = bench.visionMs() != null ? round1(plan.entryCount() == 0 ? 0 : bench.visionMs() * patchUnits) : null;
            PlanCommand.Bench.Pp pp = bench.pp(positions);
            return new Image(path, plan.originalWidth(), plan.originalHeight(), modeName(plan.mode()),
                    new Size(plan.resizedWidth(), plan.resizedHeight()), grid, canvas, List.copyOf(entries),
                    plan.totalImageTokens(), plan.markerCount(), plan.totalPositions(), textTokens, positions, textEstimated,
                    capacity, needed <= capacity && needed <= text.contextLength(), MemoryBudget.kvCacheBytes(text, capacity),
                    textScratch + visionBytes, textScratch, batch, visionBytes,
                    new Size(plan.entries().get(largest).width(), plan.entries().get(largest).height()), encodeMs,
                    pp != null ? round1(positions / pp.tokensPerSecond() * 1000) : null, pp != null ? pp.test() : null);
        }

        Total total(List<Image> planned, int failed) {
            long imageTokens = 0;
            long markers = 0;
            long positions = 0;
            long kv = 0;
            long act = 0;
            double encode = 0;
            double prefill = 0;
            for (Image m : planned) {
                imageTokens += m.imageTokens();
                markers += m.markerTokens();
                positions += m.promptPositions();
                kv = Math.max(kv, m.kvCacheBytes());
                act = Math.max(act, m.activationBytes());
                encode += m.estEncodeMs() != null ? m.estEncodeMs() : 0;
                prefill += m.estPrefillMs() != null ? m.estPrefillMs() : 0;
            }
            return new Total(planned.size(), failed, imageTokens, markers, positions, kv, act,
                    bench.visionMs() != null ? round1(encode) : null, bench.hasPp() ? round1(prefill) : null);
        }
    }

    static String modeName(PreprocessMode mode) {
        return mode == PreprocessMode.HF ? "hf" : "llama.cpp";
    }

    private static double round1(double v) {
        return Math.round(v * 10) / 10.0;
    }

    // ---------------------------------------------------------------- JSON

    /** The {@code plan --json} object: keys in this order, estimates left out when unknown, {@code grid} null when untiled. */
    Map<String, Object> toJson() {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("assumptions", json(assumptions));
        List<Object> list = new ArrayList<>();
        for (Image m : images) {
            list.add(json(m));
        }
        report.put("images", list);
        report.put("total", json(total));
        List<Object> failures = new ArrayList<>();
        for (Failure f : errors) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("path", f.path());
            e.put("error", f.error());
            failures.add(e);
        }
        report.put("errors", failures);
        return report;
    }

    private static Map<String, Object> json(Assumptions a) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("text_model", a.textModel() != null ? a.textModel() : "LFM2-VL-3B published shapes (no -m)");
        m.put("attention_layers", a.attentionLayers());
        m.put("conv_layers", a.convLayers());
        m.put("kv_bytes_per_position", a.kvBytesPerPosition());
        m.put("conv_state_bytes", a.convStateBytes());
        m.put("vision_model", a.visionModel() != null ? a.visionModel() : "SigLIP2-so400m published shapes (no --mmproj)");
        m.put("vision_hidden", a.visionHidden());
        m.put("vision_ff", a.visionFf());
        m.put("vision_heads", a.visionHeads());
        m.put("generated_tokens", a.generatedTokens());
        m.put("prompt", a.prompt());
        m.put("bench", a.bench());
        return m;
    }

    private static Map<String, Object> json(Image i) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("path", i.path());
        m.put("width", i.width());
        m.put("height", i.height());
        m.put("mode", i.mode());
        m.put("resized", json(i.resized()));
        if (i.grid() != null) {
            Map<String, Object> g = new LinkedHashMap<>();
            g.put("cols", i.grid().cols());
            g.put("rows", i.grid().rows());
            m.put("grid", g);
            m.put("canvas", json(i.canvas()));
        } else {
            m.put("grid", null);
        }
        List<Object> entries = new ArrayList<>();
        for (Entry e : i.entries()) {
            Map<String, Object> en = new LinkedHashMap<>();
            en.put("w", e.w());
            en.put("h", e.h());
            en.put("tokens", e.tokens());
            en.put("thumbnail", e.thumbnail());
            entries.add(en);
        }
        m.put("entries", entries);
        m.put("image_tokens", i.imageTokens());
        m.put("marker_tokens", i.markerTokens());
        m.put("span_positions", i.spanPositions());
        m.put("text_tokens", i.textTokens());
        m.put("prompt_positions", i.promptPositions());
        m.put("estimated", i.estimated());
        m.put("context_positions", i.contextPositions());
        m.put("fits", i.fits());
        m.put("kv_cache_bytes", i.kvCacheBytes());
        m.put("activation_bytes", i.activationBytes());
        m.put("text_activation_bytes", i.textActivationBytes());
        m.put("text_batch", i.textBatch());
        m.put("vision_activation_bytes", i.visionActivationBytes());
        m.put("vision_largest_entry", json(i.visionLargestEntry()));
        if (i.estEncodeMs() != null) {
            m.put("est_encode_ms", i.estEncodeMs());
        }
        if (i.estPrefillMs() != null) {
            m.put("est_prefill_ms", i.estPrefillMs());
            m.put("bench_pp", i.benchPp());
        }
        return m;
    }

    private static Map<String, Object> json(Total t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("images", t.images());
        m.put("failed", t.failed());
        m.put("image_tokens", t.imageTokens());
        m.put("marker_tokens", t.markerTokens());
        m.put("prompt_positions", t.promptPositions());
        m.put("kv_cache_bytes", t.kvCacheBytes());
        m.put("activation_bytes", t.activationBytes());
        if (t.estEncodeMs() != null) {
            m.put("est_encode_ms", t.estEncodeMs());
        }
        if (t.estPrefillMs() != null) {
            m.put("est_prefill_ms", t.estPrefillMs());
        }
        return m;
    }

    private static Map<String, Object> json(Size s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("w", s.w());
        m.put("h", s.h());
        return m;
    }
}
