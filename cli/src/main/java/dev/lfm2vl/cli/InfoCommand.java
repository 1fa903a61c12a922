package dev.lfm2vl.cli;

import dev.lfm2vl.loader.GgufFile;
import dev.lfm2vl.loader.GgufMetadata;
import dev.lfm2vl.loader.GgufTensor;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code lfm2vl info FILE.gguf}: what a GGUF file holds, without loading the weights. */
@Command(name = "info",
        description = "Describe a GGUF file: architecture, hyperparameters, tokenizer, tensors per type.",
        mixinStandardHelpOptions = true,
        footer = {"", "Examples:",
                "  lfm2vl info LFM2-VL-3B-Q4_0.gguf",
                "  lfm2vl info --tensors mmproj-LFM2-VL-3B-F16.gguf",
                "  lfm2vl info --json model.gguf | jq .tensor_count"})
final class InfoCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE.gguf", description = "A text model or mmproj GGUF file.")
    Path file;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Option(names = "--tensors", description = "Also list every tensor: name, type, shape, offset, bytes.")
    boolean tensors;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        try (GgufFile f = GgufFile.open(file)) {
            Map<String, Object> info = describe(f, tensors);
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(JsonWriter.write(info, true));
            } else {
                printText(out, info);
            }
        }
        return Main.EXIT_OK;
    }

    /** Everything {@code info} reports, as an ordered map (the JSON form). */
    static Map<String, Object> describe(GgufFile f, boolean withTensors) throws Exception {
        GgufMetadata md = f.metadata();
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("file", f.source());
        info.put("file_bytes", f.size());
        info.put("gguf_version", f.version());
        info.put("alignment", f.alignment());
        info.put("metadata_count", md.keys().size());
        String arch = md.getString("general.architecture", "unknown");
        info.put("architecture", arch);
        info.put("name", md.getString("general.name", null));
        if (md.has("general.file_type")) {
            info.put("file_type", md.getInt("general.file_type"));
        }
        if (arch.equals("clip")) {
            info.put("vision", visionSummary(f));
        } else if (md.has(arch + ".block_count")) {
            info.put("model", textSummary(md, arch, f));
        }
        if (md.has("tokenizer.ggml.tokens")) {
            info.put("tokenizer", tokenizerSummary(md));
        }
        info.put("tensor_count", f.tensors().size());
        Map<String, Map<String, Object>> byType = new TreeMap<>();
        long total = 0;
        for (GgufTensor t : f.tensors()) {
            Map<String, Object> e = byType.computeIfAbsent(t.type().name(), k -> new LinkedHashMap<>(Map.of("tensors", 0, "bytes", 0L)));
            e.put("tensors", (Integer) e.get("tensors") + 1);
            e.put("bytes", (Long) e.get("bytes") + t.byteSize());
            total += t.byteSize();
        }
        info.put("tensor_bytes", total);
        info.put("types", byType);
        if (withTensors) {
            List<Object> list = new ArrayList<>();
            for (GgufTensor t : f.tensors()) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("name", t.name());
                e.put("type", t.type().name());
                e.put("shape", t.shape());
                e.put("offset", t.fileOffset());
                e.put("bytes", t.byteSize());
                list.add(e);
            }
            info.put("tensors", list);
        }
        return info;
    }

    private static Map<String, Object> textSummary(GgufMetadata md, String arch, GgufFile f) throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        int layers = md.getInt(arch + ".block_count");
        m.put("layers", layers);
        int heads = md.getInt(arch + ".attention.head_count", 0);
        if (md.has(arch + ".attention.head_count_kv") && md.get(arch + ".attention.head_count_kv").type().name().equals("ARRAY")) {
            int[] kv = md.getIntArray(arch + ".attention.head_count_kv");
            List<Integer> attn = new ArrayList<>();
            int kvHeads = 0;
            for (int i = 0; i < kv.length; i++) {
                if (kv[i] > 0) {
                    attn.add(i);
                    kvHeads = kv[i];
                }
            }
            m.put("attention_layers", attn);
            m.put("conv_layers", layers - attn.size());
            m.put("kv_heads", kvHeads);
        } else if (md.has(arch + ".attention.head_count_kv")) {
            m.put("kv_heads", md.getInt(arch + ".attention.head_count_kv"));
        }
        m.put("heads", heads);
        int embd = md.getInt(arch + ".embedding_length", 0);
        m.put("embedding_length", embd);
        if (heads > 0) {
            m.put("head_dim", embd / heads);
        }
        m.put("feed_forward_length", md.getInt(arch + ".feed_forward_length", 0));
        m.put("context_length", md.getInt(arch + ".context_length", 0));
        if (md.has(arch + ".rope.freq_base")) {
            m.put("rope_freq_base", md.getFloat(arch + ".rope.freq_base"));
        }
        if (md.has(arch + ".attention.layer_norm_rms_epsilon")) {
            m.put("rms_norm_eps", md.getFloat(arch + ".attention.layer_norm_rms_epsilon"));
        }
        if (md.has(arch + ".shortconv.l_cache")) {
            m.put("conv_l_cache", md.getInt(arch + ".shortconv.l_cache"));
        }
        m.put("vocab_size", md.has(arch + ".vocab_size") ? md.getInt(arch + ".vocab_size")
                : md.has("tokenizer.ggml.tokens") ? md.getArray("tokenizer.ggml.tokens").length() : 0);
        m.put("tied_output", !f.hasTensor("output.weight"));
        return m;
    }

    private static Map<String, Object> visionSummary(GgufFile f) throws Exception {
        GgufMetadata md = f.metadata();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("projector_type", md.getString("clip.projector_type", "unknown"));
        m.put("vision_blocks", md.getInt("clip.vision.block_count", 0));
        m.put("hidden_size", md.getInt("clip.vision.embedding_length", 0));
        m.put("feed_forward_length", md.getInt("clip.vision.feed_forward_length", 0));
        m.put("heads", md.getInt("clip.vision.attention.head_count", 0));
        m.put("patch_size", md.getInt("clip.vision.patch_size", 0));
        m.put("projection_dim", md.getInt("clip.vision.projection_dim", 0));
        m.put("scale_factor", md.getInt("clip.vision.projector.scale_factor", 0));
        if (md.has("clip.vision.image_mean")) {
            m.put("image_mean", floats(md.getFloatArray("clip.vision.image_mean")));
            m.put("image_std", floats(md.getFloatArray("clip.vision.image_std")));
        }
        m.put("projector_layernorm", f.hasTensor("mm.input_norm.weight"));
        GgufTensor mm1 = f.findTensor("mm.1.weight");
        if (mm1 != null) {
            m.put("projector_hidden", mm1.rows());
        }
        return m;
    }

    private static List<Float> floats(float[] a) {
        List<Float> l = new ArrayList<>();
        for (float x : a) {
            l.add(x);
        }
        return l;
    }

    private static Map<String, Object> tokenizerSummary(GgufMetadata md) throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", md.getString("tokenizer.ggml.model", "unknown"));
        m.put("pre", md.getString("tokenizer.ggml.pre", "default"));
        String[] tokens = md.getStringArray("tokenizer.ggml.tokens");
        m.put("tokens", tokens.length);
        m.put("merges", md.has("tokenizer.ggml.merges") ? md.getArray("tokenizer.ggml.merges").length() : 0);
        for (String key : new String[] {"bos", "eos"}) {
            String k = "tokenizer.ggml." + key + "_token_id";
            if (md.has(k)) {
                int id = md.getInt(k);
                m.put(key, id >= 0 && id < tokens.length ? id + " " + tokens[id] : String.valueOf(id));
            }
        }
        m.put("chat_template", md.has("tokenizer.chat_template"));
        return m;
    }

    @SuppressWarnings("unchecked")
    private static void printText(PrintWriter out, Map<String, Object> info) {
        row(out, "file", info.get("file") + " (" + human((Long) info.get("file_bytes")) + ")");
        row(out, "format", "GGUF v" + info.get("gguf_version") + ", alignment " + info.get("alignment") + ", "
                + info.get("metadata_count") + " metadata keys");
        row(out, "architecture", info.get("architecture"));
        if (info.get("name") != null) {
            row(out, "name", info.get("name"));
        }
        for (String section : new String[] {"model", "vision", "tokenizer"}) {
            Object s = info.get(section);
            if (s != null) {
                out.println(section + ":");
                for (Map.Entry<String, Object> e : ((Map<String, Object>) s).entrySet()) {
                    row(out, "  " + e.getKey(), e.getValue());
                }
            }
        }
        row(out, "tensors", info.get("tensor_count") + " (" + human((Long) info.get("tensor_bytes")) + ")");
        for (Map.Entry<String, Map<String, Object>> e : ((Map<String, Map<String, Object>>) info.get("types")).entrySet()) {
            row(out, "  " + e.getKey(), e.getValue().get("tensors") + " tensors, " + human((Long) e.getValue().get("bytes")));
        }
        if (info.containsKey("tensors")) {
            out.printf("%-40s %-6s %-24s %14s %12s%n", "name", "type", "shape", "offset", "bytes");
            for (Object o : (List<Object>) info.get("tensors")) {
                Map<String, Object> t = (Map<String, Object>) o;
                out.printf("%-40s %-6s %-24s %14d %12d%n", t.get("name"), t.get("type"), Arrays.toString((long[]) t.get("shape")),
                        (Long) t.get("offset"), (Long) t.get("bytes"));
            }
        }
    }

    private static void row(PrintWriter out, String key, Object value) {
        out.printf("%-22s %s%n", key + ":", value);
    }

    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format("%.1f %s", v, units[u]);
    }

}
