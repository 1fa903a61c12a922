package dev.lfm2vl.langchain4j;

import dev.lfm2vl.hub.ModelDownloader;
import dev.lfm2vl.runtime.Lfm2Vl;
import java.nio.file.Path;

/**
 * What the builders of {@link Lfm2VlChatModel} and {@link Lfm2VlStreamingChatModel} set: a model from files, from the
 * hub, or one already loaded, and the request defaults. Unset values are the model card's
 * ({@link Lfm2Vl.Options#defaults()}, {@link dev.lfm2vl.runtime.Sampler.Settings#defaults()}).
 *
 * @param <B> the concrete builder, returned by every setter
 * @param <M> the chat model it builds
 */
public abstract class Lfm2VlModelBuilder<B extends Lfm2VlModelBuilder<B, M>, M> {
    final ModelSettings settings = new ModelSettings();

    Lfm2VlModelBuilder() {}

    abstract B self();

    /** Loads the model (unless {@link #model(Lfm2Vl) given}); memory-mapped, so quick whatever its size. */
    public abstract M build();

    /** The text GGUF (e.g. {@code LFM2-VL-3B-Q4_0.gguf}). */
    public B modelPath(Path modelPath) {
        settings.modelPath = modelPath;
        return self();
    }

    /** The vision projector GGUF ({@code mmproj-*.gguf}); without it the model reads text only. */
    public B mmprojPath(Path mmprojPath) {
        settings.mmprojPath = mmprojPath;
        return self();
    }

    /**
     * The model pair from a Hugging Face-compatible hub instead of paths, as {@code REPO[:QUANT]} (e.g.
     * {@code LiquidAI/LFM2-VL-3B-GGUF:Q4_0}): downloaded once into the cache of the {@code hub} module
     * ({@code HF_ENDPOINT}, {@code HF_TOKEN}, {@code LFM2VL_CACHE} apply), then reused.
     */
    public B hf(String repoAndQuant) {
        settings.hf = repoAndQuant;
        return self();
    }

    /** The downloader {@link #hf} uses (default: {@link ModelDownloader#fromEnvironment()}); the caller closes it. */
    public B hub(ModelDownloader downloader) {
        settings.hub = downloader;
        return self();
    }

    /** With {@link #hf}: resolve from the download cache only, never the network (default false). */
    public B offline(boolean offline) {
        settings.offline = offline;
        return self();
    }

    /**
     * A model already loaded, shared with other chat models (and the application): this one does not close it,
     * and its options (threads, context size, answer length, sampling) are the defaults here.
     */
    public B model(Lfm2Vl model) {
        settings.model = model;
        return self();
    }

    /** Sampling temperature; 0 picks the most likely token (default: the model card's 0.1). */
    public B temperature(Double temperature) {
        settings.temperature = temperature;
        return self();
    }

    /** Top-p (default 0.95). */
    public B topP(Double topP) {
        settings.topP = topP;
        return self();
    }

    /** Top-k, 0 = off (default 40). */
    public B topK(Integer topK) {
        settings.topK = topK;
        return self();
    }

    /** Answer length limit in tokens (default 256); a request's {@code maxOutputTokens} overrides it. */
    public B maxTokens(Integer maxTokens) {
        settings.maxTokens = maxTokens;
        return self();
    }

    /** The sampler's seed for every request, for repeatable answers (default: a new random seed per request). */
    public B seed(Long seed) {
        settings.seed = seed;
        return self();
    }

    /** Worker threads (default: all cores). */
    public B threads(Integer threads) {
        settings.threads = threads;
        return self();
    }

    /** Positions the KV cache holds: prompt, image tokens and answer (default 4096, at most the model's). */
    public B contextSize(Integer contextSize) {
        settings.contextSize = contextSize;
        return self();
    }
}
