package dev.lfm2vl.cli.synth;

import dev.lfm2vl.loader.GgmlType;
import dev.lfm2vl.loader.GgufValue;
import dev.lfm2vl.loader.GgufValue.GgufArray;
import dev.lfm2vl.loader.GgufValueType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Random-weight LFM2-VL GGUF pairs with exact model shapes (docs/MODEL.md §2.6-§2.8), for benchmarks and tests
 * without downloading a real model. Weights are N(0, 0.02)-like (Irwin–Hall of four uniforms from a per-row
 * xorshift stream seeded by (seed, tensor, row), so the output does not depend on thread scheduling); norm
 * weights are 1 ± small noise. Nothing is held in memory: the returned {@link GgufStreamWriter}s generate and
 * quantize each row when the file is written.
 */
public final class SyntheticModels {
    private SyntheticModels() {}

    /** Text tower hyperparameters (docs/MODEL.md §3.1). */
    public record TextShape(int layers, int dim, int ffn, int heads, int kvHeads, int[] attentionLayers, int vocab,
            int context, int lCache, float ropeTheta, float rmsEps) {
        public boolean isAttention(int layer) {
            return Arrays.stream(attentionLayers).anyMatch(a -> a == layer);
        }

        public int headDim() {
            return dim / heads;
        }
    }

    /** Vision tower + projector hyperparameters (docs/MODEL.md §4.1, §2.8). */
    public record VisionShape(int hidden, int blocks, int heads, int ffn, int patch, int positions, int scaleFactor,
            int projectorHidden, int projectionDim) {}

    public record Preset(String name, TextShape text, VisionShape vision) {}

    /** The preset names {@link #preset} accepts. */
    public static final List<String> PRESETS = List.of("lfm2-vl-3b", "tiny");

    /** {@code lfm2-vl-3b} (the real LFM2-VL-3B shapes) or {@code tiny} (the shared fixture's shapes). */
    public static Preset preset(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "lfm2-vl-3b" -> new Preset("lfm2-vl-3b",
                    new TextShape(30, 2048, 10752, 32, 8, new int[] {2, 5, 9, 13, 17, 21, 24, 27}, 65536, 128000, 3, 1_000_000f, 1e-5f),
                    new VisionShape(1152, 27, 16, 4304, 16, 256, 2, 2048, 2048));
            case "tiny" -> new Preset("tiny",
                    new TextShape(5, 256, 512, 4, 2, new int[] {2, 4}, 640, 4096, 3, 1_000_000f, 1e-5f),
                    new VisionShape(64, 3, 4, 128, 16, 256, 2, 192, 256));
            default -> throw new IllegalArgumentException("unknown preset '" + name + "' (known: " + String.join(", ", PRESETS) + ")");
        };
    }

    /** llama.cpp's {@code general.file_type} (llama_ftype) for a file whose weights are mostly {@code type}. */
    public static int fileType(GgmlType type) {
        return switch (type) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q8_0 -> 7;
            case Q4_K -> 15; // Q4_K_M
            case Q6_K -> 18;
            case BF16 -> 32;
            default -> throw new IllegalArgumentException("no file type for " + type);
        };
    }

    /**
     * The type llama-quantize gives a tied {@code token_embd.weight} (it doubles as the output matrix): Q6_K for
     * the 4-bit recipes, else the file's type.
     */
    public static GgmlType defaultEmbeddingType(GgmlType type) {
        return type == GgmlType.Q4_0 || type == GgmlType.Q4_K ? GgmlType.Q6_K : type;
    }

    // ---------------------------------------------------------------------------------------------- text

    /** The text GGUF: every tensor of docs/MODEL.md §2.7, 2-D weights of {@code type} ({@code embdType} for the embedding). */
    public static GgufStreamWriter text(Preset preset, GgmlType type, GgmlType embdType, long seed) {
        TextShape s = preset.text();
        GgufStreamWriter w = new GgufStreamWriter();
        String a = "lfm2.";
        w.put("general.architecture", GgufValue.ofString("lfm2"));
        w.put("general.type", GgufValue.ofString("model"));
        w.put("general.name", GgufValue.ofString("synthetic-" + preset.name()));
        w.put("general.file_type", GgufValue.ofUInt32(fileType(type)));
        w.put("general.quantization_version", GgufValue.ofUInt32(2));
        w.put(a + "block_count", GgufValue.ofUInt32(s.layers()));
        w.put(a + "context_length", GgufValue.ofUInt32(s.context()));
        w.put(a + "embedding_length", GgufValue.ofUInt32(s.dim()));
        w.put(a + "feed_forward_length", GgufValue.ofUInt32(s.ffn()));
        w.put(a + "attention.head_count", GgufValue.ofUInt32(s.heads()));
        long[] kv = new long[s.layers()];
        for (int l = 0; l < s.layers(); l++) {
            kv[l] = s.isAttention(l) ? s.kvHeads() : 0;
        }
        w.put(a + "attention.head_count_kv", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32, kv)));
        w.put(a + "rope.freq_base", GgufValue.ofFloat32(s.ropeTheta()));
        w.put(a + "attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(s.rmsEps()));
        w.put(a + "vocab_size", GgufValue.ofUInt32(s.vocab()));
        w.put(a + "shortconv.l_cache", GgufValue.ofUInt32(s.lCache()));
        Vocab v = vocab(s.vocab());
        w.put("tokenizer.ggml.model", GgufValue.ofString("gpt2"));
        w.put("tokenizer.ggml.pre", GgufValue.ofString("lfm2"));
        w.put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufArray.ofStrings(v.tokens())));
        w.put("tokenizer.ggml.token_type", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32, v.types())));
        w.put("tokenizer.ggml.merges", GgufValue.ofArray(GgufArray.ofStrings(v.merges())));
        w.put("tokenizer.ggml.bos_token_id", GgufValue.ofUInt32(1));
        w.put("tokenizer.ggml.eos_token_id", GgufValue.ofUInt32(7));
        w.put("tokenizer.ggml.padding_token_id", GgufValue.ofUInt32(0));
        w.put("tokenizer.ggml.add_bos_token", GgufValue.ofBool(true));
        w.put("tokenizer.ggml.add_eos_token", GgufValue.ofBool(false));
        w.put("tokenizer.chat_template", GgufValue.ofString(CHAT_TEMPLATE));

        Tensors t = new Tensors(w, seed);
        int d = s.dim();
        t.weight("token_embd.weight", embdType, d, s.vocab());
        for (int l = 0; l < s.layers(); l++) {
            String p = "blk." + l + ".";
            t.norm(p + "attn_norm.weight", d);
            if (s.isAttention(l)) {
                int kvDim = s.kvHeads() * s.headDim();
                t.weight(p + "attn_q.weight", type, d, d);
                t.weight(p + "attn_k.weight", type, d, kvDim);
                t.weight(p + "attn_v.weight", type, d, kvDim);
                t.weight(p + "attn_output.weight", type, d, d);
                t.norm(p + "attn_q_norm.weight", s.headDim());
                t.norm(p + "attn_k_norm.weight", s.headDim());
            } else {
                t.weight(p + "shortconv.in_proj.weight", type, d, 3 * d);
                t.random(p + "shortconv.conv.weight", GgmlType.F32, new long[] {s.lCache(), d}, 0f, 0.1f);
                t.weight(p + "shortconv.out_proj.weight", type, d, d);
            }
            t.norm(p + "ffn_norm.weight", d);
            t.weight(p + "ffn_gate.weight", type, d, s.ffn());
            t.weight(p + "ffn_up.weight", type, d, s.ffn());
            t.weight(p + "ffn_down.weight", type, s.ffn(), d);
        }
        t.norm("token_embd_norm.weight", d);
        return w;
    }

    // ---------------------------------------------------------------------------------------------- mmproj

    /**
     * The mmproj GGUF (docs/MODEL.md §2.8): 2-D weights and the patch embedding of {@code type} (F16 in the official
     * F16 mmproj; a weight whose rows cannot take the type, like ffn_down with 4304 columns, falls back to F16),
     * position embedding, norms and biases F32.
     */
    public static GgufStreamWriter mmproj(Preset preset, GgmlType type, long seed) {
        VisionShape s = preset.vision();
        GgufStreamWriter w = new GgufStreamWriter();
        w.put("general.architecture", GgufValue.ofString("clip"));
        w.put("general.type", GgufValue.ofString("mmproj"));
        w.put("general.name", GgufValue.ofString("synthetic-" + preset.name() + "-mmproj"));
        w.put("general.file_type", GgufValue.ofUInt32(fileType(type)));
        w.put("clip.has_vision_encoder", GgufValue.ofBool(true));
        w.put("clip.projector_type", GgufValue.ofString("lfm2"));
        w.put("clip.use_gelu", GgufValue.ofBool(true));
        w.put("clip.vision.image_size", GgufValue.ofUInt32(256));
        w.put("clip.vision.patch_size", GgufValue.ofUInt32(s.patch()));
        w.put("clip.vision.embedding_length", GgufValue.ofUInt32(s.hidden()));
        w.put("clip.vision.feed_forward_length", GgufValue.ofUInt32(s.ffn()));
        w.put("clip.vision.block_count", GgufValue.ofUInt32(s.blocks()));
        w.put("clip.vision.attention.head_count", GgufValue.ofUInt32(s.heads()));
        w.put("clip.vision.attention.layer_norm_epsilon", GgufValue.ofFloat32(1e-6f));
        w.put("clip.vision.projection_dim", GgufValue.ofUInt32(s.projectionDim()));
        w.put("clip.vision.image_mean", GgufValue.ofArray(GgufArray.ofFloats(0.5, 0.5, 0.5)));
        w.put("clip.vision.image_std", GgufValue.ofArray(GgufArray.ofFloats(0.5, 0.5, 0.5)));
        w.put("clip.vision.projector.scale_factor", GgufValue.ofUInt32(s.scaleFactor()));

        Tensors t = new Tensors(w, seed);
        int v = s.hidden();
        int p = s.patch();
        GgmlType patchType = type.blockSize <= p ? type : GgmlType.F16;
        t.random("v.patch_embd.weight", patchType, new long[] {p, p, 3, v}, 0f, 0.02f);
        t.bias("v.patch_embd.bias", v);
        t.random("v.position_embd.weight", GgmlType.F32, new long[] {v, s.positions()}, 0f, 0.02f);
        for (int l = 0; l < s.blocks(); l++) {
            String b = "v.blk." + l + ".";
            for (String n : new String[] {"attn_q", "attn_k", "attn_v", "attn_out"}) {
                t.weight(b + n + ".weight", fit(type, v), v, v);
                t.bias(b + n + ".bias", v);
            }
            t.norm(b + "ln1.weight", v);
            t.bias(b + "ln1.bias", v);
            t.weight(b + "ffn_up.weight", fit(type, v), v, s.ffn());
            t.bias(b + "ffn_up.bias", s.ffn());
            t.weight(b + "ffn_down.weight", fit(type, s.ffn()), s.ffn(), v);
            t.bias(b + "ffn_down.bias", v);
            t.norm(b + "ln2.weight", v);
            t.bias(b + "ln2.bias", v);
        }
        t.norm("v.post_ln.weight", v);
        t.bias("v.post_ln.bias", v);
        int merged = v * s.scaleFactor() * s.scaleFactor();
        t.norm("mm.input_norm.weight", merged);
        t.bias("mm.input_norm.bias", merged);
        t.weight("mm.1.weight", fit(type, merged), merged, s.projectorHidden());
        t.bias("mm.1.bias", s.projectorHidden());
        t.weight("mm.2.weight", fit(type, s.projectorHidden()), s.projectorHidden(), s.projectionDim());
        t.bias("mm.2.bias", s.projectionDim());
        return w;
    }

    /** {@code type}, or F16 when rows of {@code cols} values are not whole blocks of it (llama.cpp's fallback). */
    static GgmlType fit(GgmlType type, int cols) {
        return cols % type.blockSize == 0 ? type : GgmlType.F16;
    }

    // ---------------------------------------------------------------------------------------------- tensors

    /** Adds random tensors, each with its own index in the seed. */
    private static final class Tensors {
        private final GgufStreamWriter w;
        private final long seed;
        private int index;

        Tensors(GgufStreamWriter w, long seed) {
            this.w = w;
            this.seed = seed;
        }

        /** A linear weight: ne = [in, out], N(0, 0.02). */
        void weight(String name, GgmlType type, int in, int out) {
            random(name, type, new long[] {in, out}, 0f, 0.02f);
        }

        /** A norm weight: 1 + N(0, 0.02). */
        void norm(String name, int n) {
            random(name, GgmlType.F32, new long[] {n}, 1f, 0.02f);
        }

        void bias(String name, int n) {
            random(name, GgmlType.F32, new long[] {n}, 0f, 0.02f);
        }

        void random(String name, GgmlType type, long[] shape, float mean, float sigma) {
            long tensorSeed = mix(seed ^ mix(++index));
            w.addRows(name, type, shape, (row, out) -> fillGaussian(out, mix(tensorSeed + row), mean, sigma));
        }
    }

    /** splitmix64's finalizer: a well-mixed 64-bit value of x. */
    static long mix(long x) {
        x += 0x9E3779B97F4A7C15L;
        x = (x ^ (x >>> 30)) * 0xBF58476D1CE4E5B9L;
        x = (x ^ (x >>> 27)) * 0x94D049BB133111EBL;
        return x ^ (x >>> 31);
    }

    /**
     * Approximately N(mean, sigma) values from a xorshift64 stream: each value is the sum of the four 16-bit
     * quarters of one draw (Irwin–Hall, n = 4), centred and scaled. Fast (one draw per value) and bounded
     * (|z| <= 2·sqrt(3)), which is fine for synthetic weights.
     */
    static void fillGaussian(float[] out, long state, float mean, float sigma) {
        long s = state == 0 ? 0x2545F4914F6CDD1DL : state;
        // sum of four U{0..65535}: mean 2·65535.5 - 2, variance 4·(65536² - 1)/12
        final double centre = 2 * 65535.0;
        final float scale = (float) (sigma / Math.sqrt(4 * (65536.0 * 65536.0 - 1) / 12));
        for (int i = 0; i < out.length; i++) {
            s ^= s << 13;
            s ^= s >>> 7;
            s ^= s << 17;
            long sum = (s & 0xFFFF) + ((s >>> 16) & 0xFFFF) + ((s >>> 32) & 0xFFFF) + (s >>> 48);
            out[i] = mean + (float) (sum - centre) * scale;
        }
    }

    // ---------------------------------------------------------------------------------------------- vocab

    /** A synthetic byte-level BPE vocabulary: token texts, types, merges. */
    public record Vocab(String[] tokens, long[] types, String[] merges) {}

    static final int TYPE_NORMAL = 1;
    static final int TYPE_CONTROL = 3;

    /**
     * {@code size} tokens: the special tokens of docs/MODEL.md §8.2 at their ids (vocabularies of at least 1024 tokens;
     * smaller ones use the shared fixture's compact layout: controls 0..117, image markers 14..117), then the
     * 256 byte symbols (GPT-2 byte-to-unicode alphabet), then two-symbol merge tokens, one merge each.
     */
    public static Vocab vocab(int size) {
        String[] specials = size >= 1024 ? realSpecials() : compactSpecials();
        int bytesAt = specials.length;
        int merges = size - bytesAt - 256;
        if (merges < 0 || merges > 256 * 256) {
            throw new IllegalArgumentException("vocabulary size " + size + " out of range");
        }
        String[] tokens = new String[size];
        long[] types = new long[size];
        for (int i = 0; i < bytesAt; i++) {
            tokens[i] = specials[i];
            types[i] = TYPE_CONTROL;
        }
        char[] byteChar = byteToUnicode();
        for (int b = 0; b < 256; b++) {
            tokens[bytesAt + b] = String.valueOf(byteChar[b]);
            types[bytesAt + b] = TYPE_NORMAL;
        }
        // merge pairs in a rough "text-like first" order: letters, space, digits, punctuation, the rest
        List<Integer> order = new ArrayList<>();
        for (int c = 'a'; c <= 'z'; c++) order.add(c);
        order.add((int) ' ');
        for (int c = 'A'; c <= 'Z'; c++) order.add(c);
        for (int c = '0'; c <= '9'; c++) order.add(c);
        for (int b = 0; b < 256; b++) {
            if (!order.contains(b)) {
                order.add(b);
            }
        }
        String[] m = new String[merges];
        int k = 0;
        outer:
        for (int left : order) {
            for (int right : order) {
                if (k == merges) {
                    break outer;
                }
                String l = String.valueOf(byteChar[left]);
                String r = String.valueOf(byteChar[right]);
                m[k] = l + " " + r;
                tokens[bytesAt + 256 + k] = l + r;
                types[bytesAt + 256 + k] = TYPE_NORMAL;
                k++;
            }
        }
        return new Vocab(tokens, types, m);
    }

    /** docs/MODEL.md §8.2 ids: 0..7 chat controls, reserved up to 395, &lt;image&gt; 396, tile markers 397..496, 497..499. */
    private static String[] realSpecials() {
        String[] s = new String[500];
        String[] head = {"<|pad|>", "<|startoftext|>", "<|endoftext|>", "<|fim_pre|>", "<|fim_mid|>", "<|fim_suf|>", "<|im_start|>", "<|im_end|>"};
        System.arraycopy(head, 0, s, 0, head.length);
        for (int i = head.length; i < 396; i++) {
            s[i] = "<|reserved_" + i + "|>";
        }
        s[396] = "<image>";
        for (int r = 1; r <= 10; r++) {
            for (int c = 1; c <= 10; c++) {
                s[397 + (r - 1) * 10 + (c - 1)] = "<|img_row_" + r + "_col_" + c + "|>";
            }
        }
        s[497] = "<|img_thumbnail|>";
        s[498] = "<|image_start|>";
        s[499] = "<|image_end|>";
        return s;
    }

    /** The fixture's compact layout (MANIFEST.md): 118 controls, image markers at 14..117. */
    private static String[] compactSpecials() {
        String[] s = new String[118];
        String[] head = {"<|pad|>", "<|startoftext|>", "<|endoftext|>", "<|fim_pre|>", "<|fim_mid|>", "<|fim_suf|>", "<|im_start|>", "<|im_end|>"};
        System.arraycopy(head, 0, s, 0, head.length);
        for (int i = head.length; i < 14; i++) {
            s[i] = "<|reserved_" + i + "|>";
        }
        s[14] = "<image>";
        s[15] = "<|image_start|>";
        s[16] = "<|image_end|>";
        s[17] = "<|img_thumbnail|>";
        for (int r = 1; r <= 10; r++) {
            for (int c = 1; c <= 10; c++) {
                s[18 + 10 * (r - 1) + (c - 1)] = "<|img_row_" + r + "_col_" + c + "|>";
            }
        }
        return s;
    }

    /** GPT-2 bytes_to_unicode (docs/MODEL.md §7). */
    static char[] byteToUnicode() {
        char[] map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char) b : (char) next++;
        }
        return map;
    }

    /** A ChatML template in the shape of the LFM2-VL one (docs/MODEL.md §8.1). */
    static final String CHAT_TEMPLATE = "{{- bos_token -}}{%- for message in messages -%}"
            + "{{- '<|im_start|>' + message['role'] + '\\n' -}}"
            + "{%- if message['content'] is string -%}{{- message['content'] -}}{%- else -%}"
            + "{%- for item in message['content'] -%}{%- if item['type'] == 'image' -%}{{- '<image>' -}}"
            + "{%- elif item['type'] == 'text' -%}{{- item['text'] -}}{%- endif -%}{%- endfor -%}{%- endif -%}"
            + "{{- '<|im_end|>\\n' -}}{%- endfor -%}"
            + "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}";
}
