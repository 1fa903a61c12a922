package dev.lfm2vl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.loader.Fixtures;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code java} block of the README compiles and runs: imports go to the top of a class, the rest into
 * {@code main}, and the README's file names are replaced by the tiny fixtures. The test classpath has every library
 * module (the LangChain4j provider and {@code dev.langchain4j:langchain4j} included), so one runner covers them all.
 */
class ReadmeExamplesTest {

    private static Path root() {
        return Path.of(System.getProperty("lfm2vl.root", ".."));
    }

    /**
     * The library examples (runtime, hub, loader, the LangChain4j provider); the Server section's OpenAI-client example
     * needs a running server and runs in the server module (ReadmeServerExamplesTest), and the module declaration
     * runs on the module path in the runtime module (ModulePathTest).
     */
    private static List<String> javaBlocks() throws IOException {
        return blocks("java").stream()
                .filter(b -> !b.contains("import dev.langchain4j.model.openai.") && !b.startsWith("module "))
                .toList();
    }

    private static List<String> blocks(String language) throws IOException {
        Path readme = root().resolve("README.md");
        Matcher m = Pattern.compile("```" + language + "\\n(.*?)```", Pattern.DOTALL).matcher(Files.readString(readme));
        List<String> blocks = new ArrayList<>();
        while (m.find()) {
            blocks.add(m.group(1));
        }
        return blocks;
    }

    private static String withFixtures(String code) {
        return code.replace("\"LFM2-VL-3B-Q4_0.gguf\"", quoted(Fixtures.textModel("Q4_0")))
                .replace("\"mmproj-LFM2-VL-3B-F16.gguf\"", quoted(Fixtures.mmproj("F16")))
                .replace("\"photo.jpg\"", quoted(Fixtures.file("images/img_256x384.png")));
    }

    private static String quoted(Path p) {
        return "\"" + p.toAbsolutePath().toString().replace("\\", "\\\\") + "\"";
    }

    @Test
    void javaApiSectionSaysHowToInstallTheRuntimeLocallyAndGivesItsCoordinates() throws IOException {
        // No public repository serves dev.lfm2vl yet: the README must say to install it, with the coordinates the build has.
        Matcher parent = Pattern.compile("<artifactId>lfm2vl-parent</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(Files.readString(root().resolve("pom.xml")));
        assertTrue(parent.find(), "the parent pom's version");
        // the BOM (with the build's version) imported, then the runtime without a version
        String snippet = """
                <dependencyManagement>
                  <dependencies>
                    <dependency>
                      <groupId>dev.lfm2vl</groupId>
                      <artifactId>lfm2vl-bom</artifactId>
                      <version>%s</version>
                      <type>pom</type>
                      <scope>import</scope>
                    </dependency>
                  </dependencies>
                </dependencyManagement>
                <dependencies>
                  <dependency>
                    <groupId>dev.lfm2vl</groupId>
                    <artifactId>lfm2vl-runtime</artifactId>
                  </dependency>
                </dependencies>
                """.formatted(parent.group(1));
        assertTrue(Files.readString(root().resolve("runtime/pom.xml")).contains("<artifactId>lfm2vl-runtime</artifactId>"));
        assertTrue(Files.readString(root().resolve("bom/pom.xml")).contains("<artifactId>lfm2vl-runtime</artifactId>"));
        assertTrue(blocks("xml").contains(snippet), "the dependency snippet: " + blocks("xml"));
        // the LangChain4j provider, its version from the same BOM
        assertTrue(Files.readString(root().resolve("bom/pom.xml")).contains("<artifactId>lfm2vl-langchain4j</artifactId>"));
        assertTrue(blocks("xml").contains("<dependency>\n  <groupId>dev.lfm2vl</groupId>\n  <artifactId>lfm2vl-langchain4j</artifactId>\n</dependency>\n"),
                "the LangChain4j provider's snippet: " + blocks("xml"));
        assertTrue(blocks("bash").stream().anyMatch(b -> b.strip().equals("./mvnw install -DskipTests")), "the install command");
        String readme = Files.readString(root().resolve("README.md"));
        String api = readme.substring(readme.indexOf("## Java API"), readme.indexOf("## Testing"));
        assertTrue(api.contains("--add-modules jdk.incubator.vector"), api);
    }

    @Test
    void everyJavaExampleInTheReadmeCompilesAndRuns(@TempDir Path dir) throws Exception {
        List<String> blocks = javaBlocks();
        assertTrue(blocks.size() >= 2, "README has the API and loader examples");
        assertTrue(blocks.stream().anyMatch(b -> b.contains("AiServices.create")), "README has the LangChain4j examples");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        for (int i = 0; i < blocks.size(); i++) {
            StringBuilder imports = new StringBuilder();
            StringBuilder body = new StringBuilder();
            for (String line : withFixtures(blocks.get(i)).split("\n")) {
                (line.startsWith("import ") ? imports : body).append(line).append('\n');
            }
            String name = "ReadmeExample" + i;
            Path src = dir.resolve(name + ".java");
            Files.writeString(src, imports + "public class " + name + " {\n  public static void main(String[] args) throws Exception {\n"
                    + body + "  }\n}\n");
            StringWriter diagnostics = new StringWriter();
            int rc = javac.run(null, null, new PrintStream(new ByteArrayOutputStream() {
                @Override
                public synchronized void flush() {
                    diagnostics.write(toString(StandardCharsets.UTF_8));
                    reset();
                }
            }, true), "--add-modules", "jdk.incubator.vector", "-proc:none", "-cp", System.getProperty("java.class.path"),
                    "-d", dir.toString(), src.toString());
            assertEquals(0, rc, "example " + i + " does not compile:\n" + diagnostics + "\n" + Files.readString(src));
            PrintStream saved = System.out;
            ByteArrayOutputStream printed = new ByteArrayOutputStream();
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
                Method main = loader.loadClass(name).getMethod("main", String[].class);
                main.invoke(null, (Object) new String[0]);
            } finally {
                System.setOut(saved);
            }
            assertTrue(printed.size() > 0, "example " + i + " printed something");
        }
    }
}
