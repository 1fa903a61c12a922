package dev.lfm2vl.spark;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lfm2vl-spark}: the Spark front end. Every failure ends as one {@code error:} line on stderr (Spark's
 * exceptions carry whole remote stack traces in their messages: only the first line of the root cause is kept);
 * {@code --debug} prints the stack trace too.
 */
@Command(name = "lfm2vl-spark", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "lfm2vl on Apache Spark: caption an image corpus with one model pair per executor JVM.",
        subcommands = CaptionCommand.class)
public final class Main implements Runnable {
    static final int EXIT_OK = 0;
    static final int EXIT_FAILURE = 1;
    static final int EXIT_USAGE = 2;

    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT, description = "Print stack traces of errors.")
    boolean debug;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command (see 'lfm2vl-spark --help')");
    }

    public static void main(String[] args) {
        System.exit(run(args, System.err, null));
    }

    /** Runs a command; {@code session} (null: each command starts and stops its own) is used and left running. */
    static int run(String[] args, PrintStream err, SparkSession session) {
        Main main = new Main();
        CommandLine cl = new CommandLine(main);
        cl.setErr(new PrintWriter(err, true));
        CommandLine caption = cl.getSubcommands().get("caption");
        CaptionCommand command = caption.getCommand();
        command.err = err;
        command.session = session;
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("error: " + ex.getMessage());
            err.flush();
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            err.println("error: " + describe(ex));
            if (main.debug) {
                ex.printStackTrace(err);
            }
            err.flush();
            return ex instanceof UserError ? EXIT_USAGE : EXIT_FAILURE;
        });
        return cl.execute(args);
    }

    /** One line for a failure: ours as they are, Spark's as the first line of the root cause. */
    static String describe(Throwable e) {
        if (e instanceof UserError) {
            return e.getMessage();
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = switch (root) {
            case NoSuchFileException n -> n.getFile() + ": no such file" + (n.getReason() != null ? " (" + n.getReason() + ")" : "");
            case AccessDeniedException a -> a.getFile() + ": permission denied";
            case OutOfMemoryError o -> "out of memory (" + o.getMessage() + "); give the JVM more (-Xmx, spark.executor.memory)";
            default -> root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        };
        // a remote task's failure, without a cause object: "... most recent failure: Lost task ... : java.io.X: why\n\tat ..."
        int lost = message.indexOf("most recent failure: ");
        if (lost >= 0) {
            int colon = message.indexOf("): ", lost);
            message = colon >= 0 ? message.substring(colon + 3) : message.substring(lost);
        }
        int newline = message.indexOf('\n');
        return (newline < 0 ? message : message.substring(0, newline)).strip();
    }

    /** The version from the jar's manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"lfm2vl-spark " + (v == null ? "(development build)" : v)};
        }
    }
}
