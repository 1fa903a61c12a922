package dev.lfm2vl.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's Server section runs: its curl requests are sent as they are written (the same JSON bodies, with the
 * fixture image in place of photo.jpg), and its LangChain4j example compiles and runs against a server on the tiny
 * fixture pair.
 */
class ReadmeServerExamplesTest {
    static final String README_BASE = "http://127.0.0.1:8080";
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    static String serverSection() throws IOException {
        String readme = Files.readString(Path.of(System.getProperty("lfm2vl.root", "..")).resolve("README.md"));
        int from = readme.indexOf("## Server");
        assertTrue(from >= 0, "the README has a Server section");
        int to = readme.indexOf("\n## ", from + 1);
        return readme.substring(from, to < 0 ? readme.length() : to);
    }

    static List<String> blocks(String language) throws IOException {
        Matcher m = Pattern.compile("```" + language + "\\n(.*?)```", Pattern.DOTALL).matcher(serverSection());
        List<String> out = new ArrayList<>();
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    static String image() throws IOException {
        return Base64.getEncoder().encodeToString(Files.readAllBytes(TestServer.image("img_256x384.png")));
    }

    @Test
    void theCurlRequestsAnswerAsTheReadmeSays() throws Exception {
        List<String> bash = blocks("bash");
        assertTrue(bash.getFirst().contains("lfm2vl serve -m "), "the start command comes first: " + bash.getFirst());
        List<String> curls = bash.stream().filter(b -> b.contains("curl ")).toList();
        assertEquals(3, curls.size(), "a plain, a streaming and a structured-output request");
        assertTrue(curls.getFirst().startsWith("IMG=$(base64 -w0 photo.jpg)\n"), curls.getFirst());
        ObjectMapper json = new ObjectMapper();
        for (String block : curls) {
            Matcher url = Pattern.compile(Pattern.quote(README_BASE) + "(/\\S+)").matcher(block);
            assertTrue(url.find(), block);
            int start = block.indexOf("-d '");
            String body = block.substring(start + 4, block.lastIndexOf('\'')).replace("'\"$IMG\"'", image());
            HttpResponse<String> r = server.post(url.group(1), body);
            assertEquals(200, r.statusCode(), r.body());
            if (json.readTree(body).path("stream").asBoolean()) {
                assertTrue(block.contains("curl -sN "), "streams unbuffered");
                assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
                assertTrue(r.body().contains("\"delta\":{\"content\":"), r.body());
                assertTrue(r.body().contains("\"usage\":{\"prompt_tokens\":"), r.body());
                assertTrue(r.body().endsWith("data: [DONE]\n\n"), r.body());
            } else if (json.readTree(body).has("response_format")) {
                JsonNode doc = json.readTree(json.readTree(r.body()).get("choices").get(0).get("message").get("content").asText());
                assertTrue(List.of("red", "green", "blue").contains(doc.get("colour").asText()), doc.toString());
                assertTrue(doc.get("number").asInt() >= 1 && doc.get("number").asInt() <= 9, doc.toString());
            } else {
                JsonNode answer = json.readTree(r.body());
                assertFalse(answer.get("choices").get(0).get("message").get("content").asText().isEmpty(), r.body());
                assertTrue(answer.get("usage").get("prompt_tokens").asInt() > 64, "image positions counted: " + r.body());
            }
        }
    }

    @Test
    void thePythonExampleTalksToTheSameAddress() throws Exception {
        List<String> python = blocks("python");
        assertEquals(1, python.size());
        assertTrue(python.getFirst().contains("OpenAI(base_url=\"" + README_BASE + "/v1\""), python.getFirst());
        assertTrue(python.getFirst().contains("\"type\": \"image_url\"") && python.getFirst().contains("data:image/jpeg;base64,"));
    }

    @Test
    void theLangChain4jExampleCompilesAndRuns(@TempDir Path dir) throws Exception {
        List<String> java = blocks("java");
        assertEquals(1, java.size());
        String code = java.getFirst().replace("\"" + README_BASE + "/v1\"", "\"" + server.baseUrl() + "\"")
                .replace("\"photo.jpg\"", "\"" + TestServer.image("img_256x384.png").toAbsolutePath().toString().replace("\\", "\\\\") + "\"");
        assertTrue(code.contains(server.baseUrl()) && !code.contains("photo.jpg"), code);
        StringBuilder imports = new StringBuilder();
        StringBuilder body = new StringBuilder();
        for (String line : code.split("\n")) {
            (line.startsWith("import ") ? imports : body).append(line).append('\n');
        }
        Path src = dir.resolve("ServerExample.java");
        Files.writeString(src, imports + "public class ServerExample {\n  public static void main(String[] args) throws Exception {\n"
                + body + "  }\n}\n");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter diagnostics = new StringWriter();
        int rc = javac.run(null, null, new PrintStream(new ByteArrayOutputStream() {
            @Override
            public synchronized void flush() {
                diagnostics.write(toString(StandardCharsets.UTF_8));
                reset();
            }
        }, true), "-proc:none", "-cp", System.getProperty("java.class.path"), "-d", dir.toString(), src.toString());
        assertEquals(0, rc, "the example does not compile:\n" + diagnostics + "\n" + Files.readString(src));
        PrintStream saved = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
            Method main = loader.loadClass("ServerExample").getMethod("main", String[].class);
            main.invoke(null, (Object) new String[0]);
        } finally {
            System.setOut(saved);
        }
        assertTrue(printed.toString(StandardCharsets.UTF_8).strip().length() > 0, "the example printed the answer");
    }
}
