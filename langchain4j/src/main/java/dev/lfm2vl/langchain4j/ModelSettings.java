package dev.lfm2vl.langchain4j;

import dev.lfm2vl.hub.HubModelRef;
import dev.lfm2vl.hub.ModelDownloader;
import dev.lfm2vl.hub.ResolvedModel;
import dev.lfm2vl.runtime.Lfm2Vl;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * What the two models' builders collect: where the model comes from (files, a hub reference, or a loaded
 * {@link Lfm2Vl}), how it loads, and the request defaults. Unset values are the model card's
 * ({@link Lfm2Vl.Options#defaults()}, {@link dev.lfm2vl.runtime.Sampler.Settings#defaults()}).
 */
final class ModelSettings {
    Path modelPath;
    Path mmprojPath;
    String hf;
    ModelDownloader hub;
    boolean offline;
    Lfm2Vl model;
    Double temperature;
    Double topP;
    Integer topK;
    Integer maxTokens;
    Long seed;
    Integer threads;
    Integer contextSize;

    /** Loads the model (or takes the given one) and makes the engine both chat models run on. */
    ChatEngine open() {
        if (model != null) {
            if (modelPath != null || mmprojPath != null || hf != null || threads != null || contextSize != null) {
                throw new IllegalStateException("model(Lfm2Vl) is already loaded: modelPath, mmprojPath, hf, threads and "
                        + "contextSize belong to its own loading and cannot be set with it");
            }
            return new ChatEngine(model, false, this);
        }
        if (hf != null && (modelPath != null || mmprojPath != null)) {
            throw new IllegalStateException("give either hf(\"REPO[:QUANT]\") or modelPath/mmprojPath, not both");
        }
        Path text = modelPath;
        Path mmproj = mmprojPath;
        if (hf != null) {
            ResolvedModel pair = resolve(HubModelRef.parse(hf));
            text = pair.model();
            mmproj = pair.mmproj();
        }
        if (text == null) {
            throw new IllegalStateException("no model: set modelPath (and mmprojPath for images), hf(\"REPO[:QUANT]\") or model(Lfm2Vl)");
        }
        Lfm2Vl.Options options = Lfm2Vl.Options.defaults();
        if (threads != null) {
            options = options.withThreads(threads);
        }
        if (contextSize != null) {
            options = options.withContextSize(contextSize);
        }
        Lfm2Vl loaded;
        try {
            loaded = Lfm2Vl.load(text, mmproj, options);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load the model: " + e.getMessage(), e);
        }
        try {
            return new ChatEngine(loaded, true, this);
        } catch (RuntimeException e) { // a bad default (temperature, maxTokens...): do not keep the model mapped
            loaded.close();
            throw e;
        }
    }

    private ResolvedModel resolve(HubModelRef ref) {
        if (hub != null) {
            return hub.resolve(ref, offline, null);
        }
        try (ModelDownloader downloader = ModelDownloader.fromEnvironment()) {
            return downloader.resolve(ref, offline, null);
        }
    }
}
