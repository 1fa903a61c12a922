package dev.lfm2vl.cli;

import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.runtime.Lfm2Model;
import dev.lfm2vl.runtime.Lfm2State;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code lfm2vl logits}: the logits of every position of a token sequence, as raw float32. */
@Command(name = "logits", mixinStandardHelpOptions = true,
        description = {"Write the logits of every position of a token sequence to a raw float32 file.",
                "Little-endian, row-major [n_tokens][n_vocab]: row i predicts token i+1."},
        footer = {"", "Examples:",
                "  lfm2vl logits -m model.gguf --tokens 1,6,497,128 --out logits.f32",
                "  lfm2vl logits -m model.gguf --tokens 1,6,497,128 --out logits.f32 --decode"})
final class LogitsCommand implements Callable<Integer> {
    @Mixin
    ModelOptions options;

    @Option(names = "--tokens", required = true, split = ",", paramLabel = "ID,ID,...", description = "Token ids, comma-separated.")
    int[] tokens;

    @Option(names = "--out", required = true, paramLabel = "FILE.f32", description = "Output file (written atomically).")
    Path out;

    @Option(names = "--decode", description = "Feed one token at a time (the decode path) instead of one batch.")
    boolean decode;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (tokens.length == 0) {
            throw new UserError("--tokens is empty");
        }
        try (Parallel pool = options.pool(); Lfm2Model model = Lfm2Model.load(options.modelPath(), pool)) {
            int vocab = model.config().vocabSize();
            if ((long) tokens.length * vocab > Integer.MAX_VALUE - 16) {
                throw new UserError(tokens.length + " tokens x " + vocab + " logits do not fit in one output buffer");
            }
            for (int id : tokens) {
                if (id < 0 || id >= vocab) {
                    throw new UserError("--tokens: token id " + id + " is outside the vocabulary (0.." + (vocab - 1) + ")");
                }
            }
            if (tokens.length > model.config().contextLength()) {
                throw new UserError(tokens.length + " tokens exceed the model's context of " + model.config().contextLength());
            }
            Lfm2State state = model.newState(Math.min(Math.max(options.requestedContextSize(), tokens.length), model.config().contextLength()));
            float[] logits = new float[tokens.length * vocab];
            if (decode) {
                float[] row = new float[vocab];
                int[] one = new int[1];
                for (int i = 0; i < tokens.length; i++) {
                    one[0] = tokens[i];
                    model.forward(state, one, 0, 1, row);
                    System.arraycopy(row, 0, logits, i * vocab, vocab);
                }
            } else {
                model.forward(state, tokens, 0, tokens.length, logits);
            }
            ByteBuffer buf = ByteBuffer.allocate(logits.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            buf.asFloatBuffer().put(logits);
            AtomicFiles.write(out, buf.array());
        }
        return Main.EXIT_OK;
    }
}
