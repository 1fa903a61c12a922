package dev.lfm2vl.spark;

import dev.lfm2vl.kernels.Activations;
import dev.lfm2vl.runtime.Lfm2Vl;
import dev.lfm2vl.runtime.PreprocessMode;
import dev.lfm2vl.runtime.Sampler;
import java.io.Serializable;

/**
 * Everything a task needs to caption its images, sent from the driver to every executor with the task: the model
 * pair's paths (local paths on each worker, or names of files shipped with {@code --files}) and what to ask.
 * {@link #modelKey(int)} is the part that decides which loaded model pair serves it ({@link ExecutorModels}).
 */
record CaptionSettings(String model, String mmproj, int threads, int contextSize, PreprocessMode preprocess,
        int minImageTokens, int maxImageTokens, boolean imageSplitting, long maxImagePixels, Activations.Gelu projectorGelu,
        String jsonSchema, String system, String prompt, int maxTokens, float temperature, float minP, int topK, float topP,
        float repeatPenalty, int repeatLastN, long seed) implements Serializable {

    /** What a loaded model pair depends on: tasks whose keys are equal share one pair in an executor JVM. */
    record ModelKey(String model, String mmproj, int threads, int contextSize, PreprocessMode preprocess, int minImageTokens,
            int maxImageTokens, boolean imageSplitting, long maxImagePixels, Activations.Gelu projectorGelu, String jsonSchema)
            implements Serializable {}

    /** The key with {@code threads} resolved (0 in the settings: the task's {@code spark.task.cpus}). */
    ModelKey modelKey(int threads) {
        return new ModelKey(model, mmproj, threads, contextSize, preprocess, minImageTokens, maxImageTokens, imageSplitting,
                maxImagePixels, projectorGelu, jsonSchema);
    }

    /** The runtime's options for the loaded pair (Lfm2Vl itself caps the context size at the model's own length). */
    static Lfm2Vl.Options apiOptions(ModelKey key) {
        return Lfm2Vl.Options.defaults().withThreads(key.threads()).withContextSize(key.contextSize())
                .withPreprocess(key.preprocess()).withImageTokens(key.minImageTokens(), key.maxImageTokens())
                .withImageSplitting(key.imageSplitting()).withMaxImagePixels(key.maxImagePixels()).withJsonSchema(key.jsonSchema());
    }

    Sampler.Settings sampling() {
        return new Sampler.Settings(temperature, minP, topK, topP, repeatPenalty, repeatLastN, seed);
    }
}
