package dev.lfm2vl.cli;

import dev.lfm2vl.loader.GgufFile;
import dev.lfm2vl.loader.GgufFormatException;
import dev.lfm2vl.loader.GgufMetadata;
import dev.lfm2vl.runtime.Tokenizer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code lfm2vl tokenize}: the token ids of a text, comma-separated on one line. */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Print the token ids of TEXT, comma-separated, using the model's tokenizer.",
        footer = {"", "Examples:",
                "  lfm2vl tokenize -m model.gguf 'Hello world'",
                "  lfm2vl tokenize -m model.gguf --no-bos --no-parse-special '<|im_start|>user'"})
final class TokenizeCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL.gguf", description = "Text model GGUF.")
    Path model;

    @Option(names = "--no-bos", description = "Do not add the beginning-of-sequence token.")
    boolean noBos;

    @Option(names = "--no-parse-special", description = "Treat special-token texts such as <|im_start|> as plain text.")
    boolean noParseSpecial;

    @Parameters(paramLabel = "TEXT", description = "The text to tokenize.")
    String text;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        try (GgufFile f = GgufFile.open(model)) {
            Tokenizer tok = tokenizerOf(f, model);
            int[] ids = tok.encode(text, !noBos, !noParseSpecial);
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < ids.length; i++) {
                b.append(i > 0 ? "," : "").append(ids[i]);
            }
            spec.commandLine().getOut().println(b);
        }
        return Main.EXIT_OK;
    }

    /**
     * The tokenizer of {@code file}, with errors that name it and say what is wrong: the usual mistake is the
     * mmproj file given for -m, which has no tokenizer at all ({@code tokenizer.ggml.model = <missing>} said neither).
     */
    static Tokenizer tokenizerOf(GgufFile gguf, Path file) throws GgufFormatException {
        GgufMetadata md = gguf.metadata();
        if (!md.has("tokenizer.ggml.model")) {
            String arch = md.getString("general.architecture", null);
            throw new UserError(file + " has no tokenizer (" + ("clip".equals(arch)
                    ? "it is a vision projector (clip) file; pass the text model with -m)"
                    : "no tokenizer.ggml.* metadata; pass the text model (architecture lfm2) with -m)"));
        }
        try {
            return Tokenizer.fromGguf(md);
        } catch (IllegalArgumentException e) {
            throw new UserError(file + ": " + e.getMessage());
        }
    }
}
