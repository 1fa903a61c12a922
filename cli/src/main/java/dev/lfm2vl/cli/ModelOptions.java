package dev.lfm2vl.cli;

import dev.lfm2vl.kernels.Parallel;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options shared by the commands that run the text model (names follow llama.cpp's). */
final class ModelOptions {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL.gguf", description = "Text model GGUF (architecture lfm2).")
    Path model;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Worker threads (default: all ${sys:lfm2vl.cores} cores).")
    Integer threads;

    @Option(names = {"-c", "--ctx-size"}, paramLabel = "N", defaultValue = "4096",
            description = "Context size in positions, i.e. the KV cache (default: ${DEFAULT-VALUE}, at most the model's context).")
    int contextSize;

    static {
        System.setProperty("lfm2vl.cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
    }

    int threadCount() {
        int n = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (n < 1 || n > 1024) {
            throw new UserError("--threads must be between 1 and 1024, got " + n);
        }
        return n;
    }

    Parallel pool() {
        return Parallel.create(threadCount());
    }

    /** The context size, clamped to the model's maximum with a note. */
    int contextSize(int modelContext) {
        if (contextSize < 1) {
            throw new UserError("--ctx-size must be at least 1, got " + contextSize);
        }
        return Math.min(contextSize, modelContext);
    }
}
