package dev.lfm2vl.cli;

import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.hub.ConsoleProgress;
import dev.lfm2vl.hub.HubException;
import dev.lfm2vl.hub.HubModelRef;
import dev.lfm2vl.hub.ModelDownloader;
import dev.lfm2vl.hub.ResolvedModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Options shared by the commands that run the model (names follow llama.cpp's). The model comes from
 * {@code -m} (and {@code --mmproj}), or from a Hugging Face repository with {@code --hf REPO[:QUANT]}, which is
 * also the default when no {@code -m} is given.
 */
final class ModelOptions {
    @Option(names = {"-m", "--model"}, paramLabel = "MODEL.gguf", description = "Text model GGUF (architecture lfm2).")
    Path model;

    @Option(names = "--hf", arity = "0..1", fallbackValue = "", paramLabel = "REPO[:QUANT]",
            description = "Download (once, into the cache) the model pair from a Hugging Face repository; default "
                    + HubModelRef.DEFAULT_REPO + ":" + HubModelRef.DEFAULT_QUANT + ", used when no -m is given. "
                    + "The hub address comes from HF_ENDPOINT, the token from HF_TOKEN, the cache from LFM2VL_CACHE.")
    String hf;

    @Option(names = "--offline", description = "Never touch the network: use the download cache only.")
    boolean offline;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Worker threads (default and most: all ${sys:lfm2vl.cores} cores).")
    Integer threads;

    static final int DEFAULT_CONTEXT_SIZE = 4096;

    /** -c as given, null when not given ({@link #DEFAULT_CONTEXT_SIZE}): only a given -c is warned about when capped. */
    @Option(names = {"-c", "--ctx-size"}, paramLabel = "N",
            description = "Context size in positions, i.e. the KV cache (default: " + DEFAULT_CONTEXT_SIZE + "; at most the "
                    + "model's context: more is capped to it, with a warning).")
    Integer contextSize;

    static {
        System.setProperty("lfm2vl.cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
    }

    private ResolvedModel resolved;

    /** The command these options belong to: its stderr gets the warning about too many threads. */
    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    int threadCount() {
        return Threads.count(threads, command.commandLine().getErr());
    }

    Parallel pool() {
        return Parallel.create(threadCount());
    }

    /** The context size asked for: -c, else the default. */
    int requestedContextSize() {
        int n = contextSize == null ? DEFAULT_CONTEXT_SIZE : contextSize;
        if (n < 1) {
            throw new UserError("--ctx-size must be at least 1, got " + n);
        }
        return n;
    }

    /**
     * The context size, at most the model's maximum; a -c over it gets a warning on {@code err}, since the advice
     * to raise -c can only be followed up to there.
     */
    int contextSize(int modelContext, PrintWriter err) {
        int n = requestedContextSize();
        if (n > modelContext && contextSize != null) {
            err.println("warning: --ctx-size " + n + " is more than the model's context: using " + modelContext + " positions");
            err.flush();
        }
        return Math.min(n, modelContext);
    }

    /** What to do about a full context of {@code contextSize} positions: raise -c while the model allows it. */
    static String contextFullAdvice(int contextSize, int modelContext) {
        return contextSize < modelContext ? "raise --ctx-size (the model allows " + modelContext + ")"
                : contextSize + " positions is the model's maximum";
    }

    /** The text model path: {@code -m}, else downloaded from the hub (with a progress bar on stderr). */
    Path modelPath() {
        if (model != null && hf == null) {
            return model;
        }
        return resolve().model();
    }

    /** The mmproj path from the hub when the model came from there, else null (the caller uses --mmproj). */
    Path hubMmproj() {
        return model != null && hf == null ? null : resolve().mmproj();
    }

    private ResolvedModel resolve() {
        if (resolved == null) {
            if (model != null) {
                throw new UserError("give either -m or --hf, not both");
            }
            try (ModelDownloader downloader = ModelDownloader.fromEnvironment()) {
                HubModelRef ref = HubModelRef.parse(hf);
                resolved = downloader.resolve(ref, offline, new ConsoleProgress(System.err, Status.stderrIsTerminal()));
            } catch (HubException e) {
                // a bad --hf value or a repository/quant that does not exist is bad input (exit 2); no network,
                // HTTP errors and cache trouble are failures (exit 1), reported with the same one line
                if (e.kind() == HubException.Kind.BAD_REQUEST) {
                    throw new UserError(e.getMessage());
                }
                throw e;
            }
        }
        return resolved;
    }
}
