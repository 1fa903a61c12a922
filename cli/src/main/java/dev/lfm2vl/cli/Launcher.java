package dev.lfm2vl.cli;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The jar's entry point. The kernels use the Vector API, an incubator module that the JVM only resolves when asked
 * with {@code --add-modules jdk.incubator.vector}, and a jar manifest cannot ask for it. So a plain
 * {@code java -jar lfm2vl.jar} re-executes the same {@code java} with that flag (and the same JVM options, class path
 * and arguments) and passes on its exit code, instead of dying later with a NoClassDefFoundError. This class must
 * not touch the Vector API itself: it runs before the module is there.
 */
public final class Launcher {
    static final String VECTOR_MODULE = "jdk.incubator.vector";
    /** Set on the re-executed JVM, so that a JVM which still lacks the module reports it instead of looping. */
    static final String RELAUNCHED_PROPERTY = "lfm2vl.relaunched";

    private Launcher() {}

    public static void main(String[] args) throws Exception {
        if (ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent()) {
            Main.main(args);
            return;
        }
        Optional<List<String>> command = Boolean.getBoolean(RELAUNCHED_PROPERTY) ? Optional.empty() : relaunchCommand(args);
        if (command.isEmpty()) {
            System.err.println(missingModuleMessage());
            System.exit(Main.EXIT_FAILURE);
        }
        // The child reacts to Ctrl-C (chat stops the answer, other commands exit); this JVM must outlive it, so it
        // ignores Ctrl-C and waits for the child's exit code.
        ignoreCtrlC();
        Process child = new ProcessBuilder(command.get()).inheritIO().start();
        System.exit(child.waitFor());
    }

    static String missingModuleMessage() {
        return "error: lfm2vl needs the Vector API: run java with --add-modules " + VECTOR_MODULE
                + " --enable-native-access=ALL-UNNAMED (e.g. java --add-modules " + VECTOR_MODULE + " -jar lfm2vl.jar)";
    }

    /** The command line that runs this launcher again with the module, or empty when the java binary is unknown. */
    static Optional<List<String>> relaunchCommand(String[] args) {
        Optional<String> java = ProcessHandle.current().info().command();
        String classPath = System.getProperty("java.class.path", "");
        if (java.isEmpty() || classPath.isEmpty()) {
            return Optional.empty();
        }
        List<String> command = new ArrayList<>();
        command.add(java.get());
        command.add("--add-modules");
        command.add(VECTOR_MODULE);
        command.add("--enable-native-access=ALL-UNNAMED");
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.add("-D" + RELAUNCHED_PROPERTY + "=true");
        // With java -jar the class path is the jar itself.
        command.add("-cp");
        command.add(classPath);
        command.add(Launcher.class.getName());
        command.addAll(List.of(args));
        return Optional.of(command);
    }

    private static void ignoreCtrlC() {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("INT"), sun.misc.SignalHandler.SIG_IGN);
        } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError e) {
            // no SIGINT on this platform: nothing to ignore
        }
    }
}
