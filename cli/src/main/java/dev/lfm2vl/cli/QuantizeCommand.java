package dev.lfm2vl.cli;

import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.kernels.WeightMatrix;
import dev.lfm2vl.loader.GgmlType;
import dev.lfm2vl.loader.GgufFile;
import dev.lfm2vl.loader.GgufTensor;
import dev.lfm2vl.loader.GgufValue;
import dev.lfm2vl.cli.synth.GgufStreamWriter;
import dev.lfm2vl.cli.synth.SyntheticModels;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code lfm2vl quantize IN OUT TYPE}: requantizes the 2-D weights of a GGUF file (llama-quantize --pure style). */
@Command(name = "quantize",
        description = "Requantize every 2-D weight of a GGUF file to TYPE; metadata is copied (general.file_type updated).",
        mixinStandardHelpOptions = true,
        footer = {"", "Kept as they are: 1-D tensors (norms, biases), blk.N.shortconv.conv.weight, v.position_embd.weight,",
                "tensors of 3+ dimensions, tensors already of TYPE, and weights whose rows are not whole TYPE blocks",
                "(e.g. the vision ffn_down with 4304 columns). Every weight, token_embd included, gets TYPE (no k-quant mix).",
                "The output is written to a temporary file and renamed; the input is never modified.", "",
                "Examples:",
                "  lfm2vl quantize LFM2-VL-3B-F16.gguf LFM2-VL-3B-Q8_0.gguf Q8_0",
                "  lfm2vl quantize mmproj-F16.gguf mmproj-Q8_0.gguf Q8_0"})
final class QuantizeCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IN.gguf", description = "Source file (any type the kernels read).")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT.gguf", description = "Destination file (replaced if present).")
    Path outPath;

    @Parameters(index = "2", paramLabel = "TYPE", description = "F32, F16, BF16, Q8_0, Q4_0, Q4_K or Q6_K.")
    String type;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Worker threads (default and most: all cores).")
    Integer threads;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        GgmlType t = SynthCommand.parseType(type);
        if (!Files.isRegularFile(in)) {
            throw new java.nio.file.NoSuchFileException(in.toString());
        }
        Path a = in.toAbsolutePath().normalize();
        Path b = outPath.toAbsolutePath().normalize();
        if (a.equals(b) || (Files.exists(b) && Files.isSameFile(a, b))) {
            throw new UserError("OUT.gguf must differ from IN.gguf (" + in + ")");
        }
        // Checked first: otherwise the error would name the temporary file the output is written through.
        if (b.getParent() != null && !Files.isDirectory(b.getParent())) {
            throw new UserError(outPath + ": the output folder " + (outPath.getParent() != null ? outPath.getParent() : b.getParent())
                    + " does not exist");
        }
        int n = Threads.count(threads, spec.commandLine().getErr());
        PrintWriter err = spec.commandLine().getErr();
        Status status = Status.on(err, false);
        try (Parallel pool = Parallel.create(n)) {
            Result r;
            try {
                r = quantize(in, outPath, t, pool, SynthCommand.progress(outPath.getFileName().toString(), status));
            } finally {
                status.clear();
            }
            err.printf(Locale.ROOT, "%s: %d tensors requantized to %s, %d kept; %.1f MB -> %.1f MB%n", outPath.getFileName(),
                    r.requantized, t, r.kept, r.inBytes / 1e6, r.outBytes / 1e6);
            err.flush();
        }
        return Main.EXIT_OK;
    }

    record Result(int requantized, int kept, long inBytes, long outBytes) {}

    /** Whether {@code tensor} gets {@code type}: 2-D weights whose rows are whole blocks and can be read. */
    static boolean requantizes(GgufTensor tensor, GgmlType type) {
        String name = tensor.name();
        return tensor.rank() == 2
                && tensor.type() != type
                && !name.endsWith("shortconv.conv.weight")
                && !name.equals("v.position_embd.weight")
                && !name.endsWith("_norm.weight")
                && tensor.columns() % type.blockSize == 0
                && tensor.columns() <= Integer.MAX_VALUE && tensor.rows() <= Integer.MAX_VALUE
                && WeightMatrix.isSupported(tensor.type());
    }

    static Result quantize(Path in, Path out, GgmlType type, Parallel pool, GgufStreamWriter.Progress progress) throws IOException {
        try (GgufFile src = GgufFile.open(in)) {
            GgufStreamWriter w = new GgufStreamWriter().putAll(src.metadata());
            w.put("general.file_type", GgufValue.ofUInt32(SyntheticModels.fileType(type)));
            w.put("general.quantization_version", GgufValue.ofUInt32(2));
            int requantized = 0;
            int kept = 0;
            long inBytes = 0;
            for (GgufTensor t : src.tensors()) {
                inBytes += t.byteSize();
                if (requantizes(t, type)) {
                    WeightMatrix m = WeightMatrix.of(t);
                    w.addRows(t.name(), type, t.shape(), (row, dst) -> m.dequantizeRow((int) row, dst, 0));
                    requantized++;
                } else {
                    w.addRaw(t.name(), t.type(), t.shape(), t.data());
                    kept++;
                }
            }
            w.write(out, pool, progress);
            return new Result(requantized, kept, inBytes, w.dataBytes());
        }
    }
}
