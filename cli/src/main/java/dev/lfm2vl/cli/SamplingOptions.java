package dev.lfm2vl.cli;

import dev.lfm2vl.runtime.Sampler;
import java.util.Random;
import picocli.CommandLine.Option;

/** Sampling options, named as in llama.cpp; defaults are the model card's. */
final class SamplingOptions {
    @Option(names = "--temp", paramLabel = "T", defaultValue = "0.1", description = "Temperature; 0 = greedy (default: ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--min-p", paramLabel = "P", defaultValue = "0.15", description = "Min-p, relative to the top token (default: ${DEFAULT-VALUE}; 0 = off).")
    float minP;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "40", description = "Top-k (default: ${DEFAULT-VALUE}; 0 = off).")
    int topK;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "0.95", description = "Top-p (default: ${DEFAULT-VALUE}; 1 = off).")
    float topP;

    @Option(names = "--repeat-penalty", paramLabel = "R", defaultValue = "1.05", description = "Repetition penalty (default: ${DEFAULT-VALUE}; 1 = off).")
    float repeatPenalty;

    @Option(names = "--repeat-last-n", paramLabel = "N", defaultValue = "64", description = "Generated tokens the penalty looks back on (default: ${DEFAULT-VALUE}).")
    int repeatLastN;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "-1", description = "Random seed; -1 = random (default).")
    long seed;

    Sampler.Settings settings() {
        long s = seed == -1 ? new Random().nextLong() : seed;
        try {
            return new Sampler.Settings(temperature, minP, topK, topP, repeatPenalty, repeatLastN, s);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }
}
