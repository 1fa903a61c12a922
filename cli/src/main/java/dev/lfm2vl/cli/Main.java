package dev.lfm2vl.cli;

import dev.lfm2vl.loader.GgufFormatException;
import dev.lfm2vl.runtime.ContextFullException;
import dev.lfm2vl.runtime.ImageFormats;
import dev.lfm2vl.runtime.ImageMemoryException;
import dev.lfm2vl.runtime.PromptTooLongException;
import dev.lfm2vl.runtime.structured.SchemaException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code lfm2vl} command. Errors are one line on stderr starting with {@code error:}; exit code 2 for bad
 * input or usage, 1 for other failures; {@code --debug} adds the stack trace.
 */
@Command(name = "lfm2vl",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Run LiquidAI LFM2-VL vision-language models on the CPU, in pure Java, from GGUF files.",
        subcommands = {InfoCommand.class, TokenizeCommand.class, GenerateCommand.class, CaptionCommand.class, ChatCommand.class,
                EmbedImageCommand.class, LogitsCommand.class, SynthCommand.class, QuantizeCommand.class, BenchCommand.class, BenchServeCommand.class, PlanCommand.class, ServeCommand.class,
                CommandLine.HelpCommand.class},
        footer = {"", "Examples:",
                "  lfm2vl info model.gguf",
                "  lfm2vl info --json --tensors mmproj.gguf",
                "  lfm2vl tokenize -m model.gguf 'Hello world'",
                "  lfm2vl generate -m model.gguf -p 'Write a haiku about Java.'",
                "  lfm2vl generate -m model.gguf --mmproj mmproj.gguf --image photo.jpg -p 'What is in this image?'",
                "  lfm2vl caption -m model.gguf --mmproj mmproj.gguf photo1.jpg photo2.png",
                "  lfm2vl plan --max-image-tokens 1024 photo.jpg",
                "  lfm2vl serve -m model.gguf --mmproj mmproj.gguf --port 8080",
                "  lfm2vl embed-image -m model.gguf --mmproj mmproj.gguf photo.jpg --out photo.f32 --layout photo.json"})
public final class Main implements Runnable {
    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILURE = 1;
    public static final int EXIT_USAGE = 2;

    /** Help texts name the image formats as ${sys:lfm2vl.image.formats}: from the one list the loader and folder scans use. */
    static final String IMAGE_FORMATS_PROPERTY = "lfm2vl.image.formats";

    static {
        System.setProperty(IMAGE_FORMATS_PROPERTY, ImageFormats.names());
        System.setProperty(IMAGE_FORMATS_PROPERTY + ".extensions", ImageFormats.describe());
    }

    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT, description = "Print stack traces of errors.")
    boolean debug;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command (see 'lfm2vl --help')");
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the given streams and returns the exit code (tests call this). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        Main main = new Main();
        CommandLine cl = new CommandLine(main);
        cl.setOut(out);
        cl.setErr(err);
        HelpFooter.install(cl);
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("error: " + usageMessage(ex, cl));
            if (main.debug) {
                ex.printStackTrace(err);
            }
            err.flush();
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            err.println("error: " + describe(ex));
            if (main.debug) {
                ex.printStackTrace(err);
            }
            err.flush();
            return exitCodeOf(ex);
        });
        int code = cl.execute(args);
        out.flush();
        return code;
    }

    /**
     * The message of a usage error. A word where the command belongs is an unknown command, with picocli's nearest
     * command name ("unknown command 'captoin'; did you mean 'caption'?" rather than "Unmatched argument at index 0").
     */
    static String usageMessage(CommandLine.ParameterException ex, CommandLine root) {
        if (ex instanceof CommandLine.UnmatchedArgumentException u && u.getCommandLine() == root
                && !u.getUnmatched().isEmpty() && !u.getUnmatched().getFirst().startsWith("-")) {
            List<String> suggestions = u.getSuggestions();
            return "unknown command '" + u.getUnmatched().getFirst() + "'"
                    + (suggestions.isEmpty() ? " (see 'lfm2vl --help')" : "; did you mean '" + suggestions.getFirst() + "'?");
        }
        return ex.getMessage();
    }

    static int exitCodeOf(Throwable e) {
        return switch (e) {
            case UserError u -> EXIT_USAGE;
            case GgufFormatException g -> EXIT_USAGE;
            case NoSuchFileException n -> EXIT_USAGE;
            case AccessDeniedException a -> EXIT_USAGE;
            case PromptTooLongException p -> EXIT_USAGE; // the images and text do not fit the context
            case ContextFullException c -> EXIT_USAGE; // the prompt alone does not fit the requested --ctx-size
            case SchemaException s -> EXIT_USAGE; // --json-schema refused, or -n too small for its shortest document
            // any other IllegalArgumentException is a failed internal check, not the user's input: exit 1
            default -> EXIT_FAILURE;
        };
    }

    static String describe(Throwable e) {
        return switch (e) {
            case NoSuchFileException n -> n.getFile() + ": no such file";
            case AccessDeniedException a -> a.getFile() + ": permission denied";
            case OutOfMemoryError o -> "out of memory (" + o.getMessage() + "); try a smaller --ctx-size or a larger heap ("
                    + "LFM2VL_JAVA_OPTS=-Xmx" + (Runtime.getRuntime().maxMemory() / (1L << 30) + 2) + "g)";
            case ImageMemoryException m -> m.getMessage() + "; raise it with LFM2VL_JAVA_OPTS=-Xmx" + m.suggestedHeapGigabytes() + "g";
            default -> {
                String m = e.getMessage();
                yield m == null || m.isBlank() ? e.getClass().getSimpleName() : m.replace('\n', ' ');
            }
        };
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"lfm2vl " + (v == null ? "dev" : v) + " (Java " + Runtime.version() + ", "
                    + System.getProperty("os.arch") + ")"};
        }
    }
}
