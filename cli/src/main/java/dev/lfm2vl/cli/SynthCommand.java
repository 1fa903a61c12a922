package dev.lfm2vl.cli;

import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.loader.GgmlType;
import dev.lfm2vl.cli.synth.GgufStreamWriter;
import dev.lfm2vl.cli.synth.SyntheticModels;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code lfm2vl synth}: a random-weight GGUF pair with real model shapes, for benchmarks and tests. */
@Command(name = "synth",
        description = "Write a random-weight text + mmproj GGUF pair with the exact shapes of a model preset.",
        mixinStandardHelpOptions = true,
        footer = {"", "Files: DIR/text-<TYPE>.gguf and DIR/mmproj-F16.gguf, their paths on stdout. stderr shows the progress",
                "when it is a terminal, and gets one summary line at the end.", "",
                "Examples:",
                "  lfm2vl synth --preset lfm2-vl-3b --type Q4_0 --out /tmp/synth",
                "  lfm2vl synth --preset tiny --type Q8_0 --out build/tiny"})
final class SynthCommand implements Callable<Integer> {
    @Option(names = "--preset", required = true, paramLabel = "NAME", description = "lfm2-vl-3b or tiny.")
    String preset;

    @Option(names = "--type", required = true, paramLabel = "TYPE", description = "Text weight type: Q4_0, Q8_0, Q4_K, Q6_K, F16 (also BF16, F32).")
    String type;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder (created if missing).")
    Path out;

    @Option(names = "--embd-type", paramLabel = "TYPE",
            description = "Type of token_embd.weight (default: Q6_K for Q4_0/Q4_K, as llama-quantize does for the tied output; else --type).")
    String embdType;

    @Option(names = "--seed", paramLabel = "N", description = "Random seed (default: ${DEFAULT-VALUE}).", defaultValue = "1")
    long seed;

    @Option(names = "--no-mmproj", description = "Only write the text model.")
    boolean noMmproj;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Worker threads (default and most: all cores).")
    Integer threads;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        SyntheticModels.Preset p = SyntheticModels.preset(preset);
        GgmlType t = parseType(type);
        GgmlType e = embdType == null ? SyntheticModels.defaultEmbeddingType(t) : parseType(embdType);
        Files.createDirectories(out);
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter stdout = spec.commandLine().getOut();
        int n = Threads.count(threads, err);
        Status status = Status.on(err, false);
        long start = System.nanoTime();
        StringBuilder summary = new StringBuilder();
        try (Parallel pool = Parallel.create(n)) {
            Path text = out.resolve("text-" + t + ".gguf");
            write(SyntheticModels.text(p, t, e, seed), text, pool, status, summary);
            stdout.println(text);
            if (!noMmproj) {
                Path mm = out.resolve("mmproj-F16.gguf");
                write(SyntheticModels.mmproj(p, GgmlType.F16, seed + 1), mm, pool, status, summary.append(", "));
                stdout.println(mm);
            }
        } finally {
            status.clear();
        }
        err.printf(Locale.ROOT, "%s in %.1f s%n", summary, (System.nanoTime() - start) / 1e9);
        err.flush();
        return Main.EXIT_OK;
    }

    /** Writes {@code path} with its progress on {@code status}, and adds "name X MB" to {@code summary}. */
    private static void write(GgufStreamWriter w, Path path, Parallel pool, Status status, StringBuilder summary) throws java.io.IOException {
        w.write(path, pool, progress(path.getFileName().toString(), status));
        summary.append(String.format(Locale.ROOT, "%s %.1f MB", path.getFileName(), w.dataBytes() / 1e6));
    }

    /**
     * Shows "name: X / Y MB (P%)" on the status line, redrawn in place as the percentage changes. The status line is
     * only drawn on a terminal: redirected, a progress line per step would bury the one summary line in the log.
     */
    static GgufStreamWriter.Progress progress(String name, Status status) {
        int[] lastPercent = {-1};
        return (done, total) -> {
            int percent = total == 0 ? 100 : (int) (done * 100 / total);
            if (percent != lastPercent[0]) {
                lastPercent[0] = percent;
                status.show(String.format(Locale.ROOT, "%s: %.1f / %.1f MB (%d%%)", name, done / 1e6, total / 1e6, percent));
            }
        };
    }

    static GgmlType parseType(String s) {
        try {
            GgmlType t = GgmlType.valueOf(s.toUpperCase(Locale.ROOT));
            if (dev.lfm2vl.kernels.Quantizer.canQuantize(t)) {
                return t;
            }
        } catch (IllegalArgumentException ignored) {
            // reported below
        }
        throw new UserError("unsupported type '" + s + "' (supported: F32 F16 BF16 Q8_0 Q4_0 Q4_K Q6_K)");
    }
}
