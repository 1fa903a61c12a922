package dev.lfm2vl.runtime;

import dev.lfm2vl.loader.GgufFile;
import dev.lfm2vl.loader.GgufFormatException;
import dev.lfm2vl.loader.GgufMetadata;
import dev.lfm2vl.loader.GgufValueType;
import java.util.Arrays;

/**
 * The LFM2 text tower's hyperparameters, all read from the GGUF metadata (docs/MODEL.md §3.1); nothing is fixed to a size.
 *
 * @param layers        number of blocks
 * @param dim           residual width ({@code embedding_length})
 * @param ffnDim        SwiGLU hidden width as stored ({@code feed_forward_length})
 * @param heads         query heads of the attention layers
 * @param kvHeads       KV heads per layer; 0 marks a short-conv layer (docs/MODEL.md pitfall 5)
 * @param headDim       {@code dim / heads}; RoPE covers the whole head
 * @param convKernel    short-conv taps ({@code shortconv.l_cache}); the state keeps {@code convKernel - 1} rows
 * @param ropeTheta     RoPE base ({@code rope.freq_base}; llama.cpp's default 10000 when absent)
 * @param rmsEps        RMSNorm epsilon
 * @param contextLength the model's maximum positions
 * @param vocabSize     rows of the embedding table
 */
public record Lfm2Config(int layers, int dim, int ffnDim, int heads, int[] kvHeads, int headDim, int convKernel,
        float ropeTheta, float rmsEps, int contextLength, int vocabSize) {

    public static final String ARCHITECTURE = "lfm2";

    public Lfm2Config {
        kvHeads = kvHeads.clone();
    }

    @Override
    public int[] kvHeads() {
        return kvHeads.clone();
    }

    /** Whether layer {@code l} is an attention layer (else a gated short-conv layer). */
    public boolean isAttention(int l) {
        return kvHeads[l] > 0;
    }

    public int kvHeads(int l) {
        return kvHeads[l];
    }

    public int attentionLayerCount() {
        int n = 0;
        for (int k : kvHeads) {
            n += k > 0 ? 1 : 0;
        }
        return n;
    }

    /** Reads and checks the hyperparameters; another architecture is an error naming it. */
    public static Lfm2Config from(GgufFile gguf) throws GgufFormatException {
        GgufMetadata md = gguf.metadata();
        String arch = md.getString("general.architecture", "(none)");
        if (!arch.equals(ARCHITECTURE)) {
            throw new GgufFormatException(gguf.source() + ": architecture '" + arch + "' is not supported (lfm2vl runs '"
                    + ARCHITECTURE + "' text models" + (arch.equals("clip") ? "; this is a vision projector, pass it with --mmproj" : "") + ")");
        }
        String p = ARCHITECTURE + ".";
        int layers = md.getInt(p + "block_count");
        int dim = md.getInt(p + "embedding_length");
        int ffn = md.getInt(p + "feed_forward_length");
        int heads = md.getInt(p + "attention.head_count");
        int[] kv;
        String kvKey = p + "attention.head_count_kv";
        if (md.has(kvKey) && md.get(kvKey).type() == GgufValueType.ARRAY) {
            kv = md.getIntArray(kvKey);
        } else {
            kv = new int[layers];
            Arrays.fill(kv, md.getInt(kvKey, heads)); // a scalar means every layer is attention
        }
        int convKernel = md.getInt(p + "shortconv.l_cache", 3);
        float theta = md.getFloat(p + "rope.freq_base", 10_000f);
        float eps = md.getFloat(p + "attention.layer_norm_rms_epsilon", 1e-5f);
        int ctx = md.getInt(p + "context_length", 4096);
        long embdRows = gguf.tensor("token_embd.weight").rows();
        int vocab = embdRows > Integer.MAX_VALUE ? -1 : (int) embdRows;
        String where = gguf.source() + ": ";
        check(layers > 0 && layers <= 1024, where + "block_count " + layers + " is out of range");
        check(dim > 0 && heads > 0 && dim % heads == 0, where + "embedding_length " + dim + " is not a multiple of head_count " + heads);
        check((dim / heads) % 2 == 0, where + "head dim " + dim / heads + " must be even for RoPE");
        check(ffn > 0, where + "feed_forward_length " + ffn + " is out of range");
        check(kv.length == layers, where + kvKey + " has " + kv.length + " entries for " + layers + " layers");
        for (int l = 0; l < layers; l++) {
            check(kv[l] >= 0 && (kv[l] == 0 || heads % kv[l] == 0),
                    where + "layer " + l + " has " + kv[l] + " KV heads, which does not divide " + heads + " heads");
        }
        check(convKernel >= 1 && convKernel <= 64, where + "shortconv.l_cache " + convKernel + " is out of range");
        check(ctx > 0, where + "context_length " + ctx + " is out of range");
        // RMSNorm divides by sqrt(mean(x^2) + eps): eps <= 0 can divide by zero, a large one flattens every layer
        check(eps > 0 && eps < 1, where + "attention.layer_norm_rms_epsilon " + eps + " is out of range (0, 1)");
        check(theta > 0 && Float.isFinite(theta), where + "rope.freq_base " + theta + " is out of range");
        check(vocab > 0, where + "token_embd.weight has no rows");
        // llama.cpp takes n_vocab from the token list, the embedding and output rows must agree with it
        String vocabKey = p + "vocab_size";
        if (md.has(vocabKey)) {
            long declared = md.getLong(vocabKey);
            check(declared == vocab, where + vocabKey + " " + declared + " disagrees with token_embd.weight's " + vocab
                    + " rows");
        }
        if (md.has("tokenizer.ggml.tokens")) {
            int tokens = md.getArray("tokenizer.ggml.tokens").length();
            check(tokens == vocab, where + "tokenizer.ggml.tokens lists " + tokens + " tokens but token_embd.weight has "
                    + vocab + " rows");
        }
        check(gguf.tensor("token_embd.weight").columns() == dim, where + "token_embd.weight rows are not " + dim + " wide");
        return new Lfm2Config(layers, dim, ffn, heads, kv, dim / heads, convKernel, theta, eps, ctx, vocab);
    }

    private static void check(boolean ok, String message) throws GgufFormatException {
        if (!ok) {
            throw new GgufFormatException(message);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Lfm2Config c && c.layers == layers && c.dim == dim && c.ffnDim == ffnDim && c.heads == heads
                && Arrays.equals(c.kvHeads, kvHeads) && c.convKernel == convKernel && c.ropeTheta == ropeTheta
                && c.rmsEps == rmsEps && c.contextLength == contextLength && c.vocabSize == vocabSize;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(kvHeads) * 31 + dim;
    }

    @Override
    public String toString() {
        return "Lfm2Config[layers=" + layers + ", dim=" + dim + ", ffnDim=" + ffnDim + ", heads=" + heads + ", kvHeads="
                + Arrays.toString(kvHeads) + ", headDim=" + headDim + ", convKernel=" + convKernel + ", ropeTheta=" + ropeTheta
                + ", rmsEps=" + rmsEps + ", contextLength=" + contextLength + ", vocabSize=" + vocabSize + "]";
    }
}
