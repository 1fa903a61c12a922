package dev.lfm2vl.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.loader.Fixtures;
import dev.lfm2vl.loader.GgufFile;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library as a module-path user sees it: the README's module declaration ({@code requires dev.lfm2vl.runtime})
 * and its first {@code Lfm2Vl} example, compiled by javac into a consumer module against the runtime, kernels and
 * loader modules as built (target/classes or the packaged jars), then run in a child JVM with none of the suite's
 * flags. The suite itself compiles and runs on the class path (see the root pom), so this is where the descriptors
 * are checked for real.
 */
class ModulePathTest {

    private static Path root() {
        return Path.of(System.getProperty("lfm2vl.root", ".."));
    }

    private static List<String> javaBlocks() throws IOException {
        Matcher m = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(Files.readString(root().resolve("README.md")));
        List<String> blocks = new ArrayList<>();
        while (m.find()) {
            blocks.add(m.group(1));
        }
        return blocks;
    }

    /** The README's module declaration. */
    private static String moduleDeclaration() throws IOException {
        List<String> found = javaBlocks().stream().filter(b -> b.startsWith("module ")).toList();
        assertEquals(1, found.size(), "README.md has one module declaration");
        assertTrue(found.getFirst().contains("requires dev.lfm2vl.runtime;"), found.getFirst());
        return found.getFirst();
    }

    private static String moduleName(String declaration) {
        Matcher m = Pattern.compile("^module\\s+([\\w.]+)").matcher(declaration);
        assertTrue(m.find(), declaration);
        return m.group(1);
    }

    /** Where a class was loaded from: a module's target/classes directory or its jar. */
    private static Path codeSource(Class<?> type) throws URISyntaxException {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /**
     * The runtime, kernels and loader as built, and the WebP ImageIO plugin's jars (automatic modules) the runtime
     * finds through ImageIO's service lookup.
     */
    private static String libraryModulePath() throws URISyntaxException {
        List<String> path = new ArrayList<>(List.of(codeSource(Lfm2Vl.class).toString(), codeSource(Parallel.class).toString(),
                codeSource(GgufFile.class).toString()));
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (entry.replace('\\', '/').contains("/com/twelvemonkeys/")) {
                path.add(entry);
            }
        }
        return String.join(File.pathSeparator, path);
    }

    private record Compiled(int exitCode, String diagnostics) {}

    /** Compiles a consumer module: its declaration plus classes in the package named like the module. */
    private static Compiled compileConsumer(Path dir, String declaration, String... classes) throws Exception {
        Path src = dir.resolve("src");
        String module = moduleName(declaration);
        Path pkg = src.resolve(module.replace('.', '/'));
        Files.createDirectories(pkg);
        List<String> args = new ArrayList<>(List.of("--module-path", libraryModulePath(), "-proc:none",
                "-d", dir.resolve("out").toString()));
        Files.writeString(src.resolve("module-info.java"), declaration);
        args.add(src.resolve("module-info.java").toString());
        for (String code : classes) {
            Matcher name = Pattern.compile("public class (\\w+)").matcher(code);
            assertTrue(name.find(), code);
            Path file = pkg.resolve(name.group(1) + ".java");
            Files.writeString(file, "package " + module + ";\n" + code);
            args.add(file.toString());
        }
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int rc = ToolProvider.getSystemJavaCompiler().run(null, diagnostics, diagnostics, args.toArray(String[]::new));
        return new Compiled(rc, diagnostics.toString(StandardCharsets.UTF_8));
    }

    private record Run(int exitCode, String out, String err) {}

    /** Runs MODULE/MODULE.MAIN in a child JVM on the module path only: no --add-modules, no class path. */
    private static Run runConsumer(Path dir, String module, String main) throws Exception {
        Path out = dir.resolve("stdout.txt");
        Path err = dir.resolve("stderr.txt");
        Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(),
                "--module-path", dir.resolve("out") + File.pathSeparator + libraryModulePath(),
                "--module", module + "/" + module + "." + main)
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "finished");
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    private static String quoted(Path p) {
        return "\"" + p.toAbsolutePath().toString().replace("\\", "\\\\") + "\"";
    }

    /** The README's first Lfm2Vl example as a main class, on the tiny fixtures. */
    private static String readmeExampleAsMainClass() throws IOException {
        String example = javaBlocks().stream().filter(b -> b.contains("Lfm2Vl.load(model, mmproj)")).findFirst().orElseThrow()
                .replace("\"LFM2-VL-3B-Q4_0.gguf\"", quoted(Fixtures.textModel("Q4_0")))
                .replace("\"mmproj-LFM2-VL-3B-F16.gguf\"", quoted(Fixtures.mmproj("F16")))
                .replace("\"photo.jpg\"", quoted(Fixtures.file("images/img_256x384.png")));
        StringBuilder imports = new StringBuilder();
        StringBuilder body = new StringBuilder();
        for (String line : example.split("\n")) {
            (line.startsWith("import ") ? imports : body).append(line).append('\n');
        }
        return imports + "public class Main {\n  public static void main(String[] args) throws Exception {\n" + body + "  }\n}\n";
    }

    @Test
    void theReadmeModuleRunsTheReadmeExampleWithoutAddModules(@TempDir Path dir) throws Exception {
        String declaration = moduleDeclaration();
        Compiled javac = compileConsumer(dir, declaration, readmeExampleAsMainClass());
        assertEquals(0, javac.exitCode(), javac.diagnostics());
        Run run = runConsumer(dir, moduleName(declaration), "Main");
        assertEquals(0, run.exitCode(), run.out() + run.err());
        assertFalse(run.out().isBlank(), "the example printed its caption and answer");
        // the runtime's descriptor brought the Vector API in (kernels: requires jdk.incubator.vector)
        assertTrue(run.err().contains("Using incubator modules: jdk.incubator.vector"), run.err());
        assertFalse(run.err().contains("Exception") || run.err().contains("Error"), run.err());
    }

    @Test
    void aConsumerReadsTheKernelsAndLoaderThroughTheRuntimeButNotTheVectorApi(@TempDir Path dir) throws Exception {
        String declaration = moduleDeclaration();
        // the engine API's own parameter types: the runtime requires the kernels and the loader transitively
        Compiled engine = compileConsumer(dir.resolve("engine"), declaration, """
                public class Engine {
                    static dev.lfm2vl.kernels.Parallel pool;
                    static dev.lfm2vl.loader.GgufFile file;
                    static dev.lfm2vl.runtime.structured.JsonSchema schema;
                }
                """);
        assertEquals(0, engine.exitCode(), engine.diagnostics());
        // the kernels read the Vector API for themselves only
        Compiled vector = compileConsumer(dir.resolve("vector"), declaration, """
                public class Simd {
                    static jdk.incubator.vector.FloatVector v;
                }
                """);
        assertNotEquals(0, vector.exitCode(), "compiled against jdk.incubator.vector without requiring it");
        assertTrue(vector.diagnostics().contains("package jdk.incubator.vector is not visible"), vector.diagnostics());
    }

    @Test
    void theRuntimeIsNotOpenToDeepReflection(@TempDir Path dir) throws Exception {
        // an automatic module opens every package; the runtime's descriptor opens none
        String declaration = moduleDeclaration();
        Compiled javac = compileConsumer(dir, declaration, """
                public class Reflect {
                    public static void main(String[] args) throws Exception {
                        java.lang.reflect.Field f = java.util.Arrays.stream(dev.lfm2vl.runtime.Lfm2Vl.class.getDeclaredFields())
                                .filter(x -> java.lang.reflect.Modifier.isPrivate(x.getModifiers())).findFirst().orElseThrow();
                        try {
                            f.setAccessible(true);
                            System.out.println("opened " + f);
                        } catch (java.lang.reflect.InaccessibleObjectException e) {
                            System.out.println("denied: " + e.getMessage());
                        }
                    }
                }
                """);
        assertEquals(0, javac.exitCode(), javac.diagnostics());
        Run run = runConsumer(dir, moduleName(declaration), "Reflect");
        assertEquals(0, run.exitCode(), run.out() + run.err());
        assertTrue(run.out().startsWith("denied: ") && run.out().contains("module dev.lfm2vl.runtime does not \"opens dev.lfm2vl.runtime\""),
                run.out());
    }
}
