package dev.lfm2vl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.networknt.schema.InputFormat;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.lfm2vl.loader.json.Json;
import dev.lfm2vl.loader.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --json-schema} on the commands: stdout is exactly the document, records carry it, bad schemas exit 2. */
class JsonSchemaCommandsTest {
    private static final String SCHEMA = "{\"type\":\"object\",\"properties\":{\"caption\":{\"type\":\"string\",\"maxLength\":20},"
            + "\"count\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":9}},\"required\":[\"caption\",\"count\"],\"additionalProperties\":false}";

    private static String model() {
        return Fixtures.textModel("Q4_0").toString();
    }

    private static String mmproj() {
        return Fixtures.mmproj("F16").toString();
    }

    private static void assertValid(String schema, String json) {
        var errors = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(schema, InputFormat.JSON)
                .validate(json, InputFormat.JSON);
        assertTrue(errors.isEmpty(), json + " " + errors);
    }

    /** The words of a shell command line with single-quoted arguments (the README's). */
    private static List<String> words(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean quoted = false;
        boolean any = false;
        for (char c : line.toCharArray()) {
            if (c == '\'') {
                quoted = !quoted;
                any = true;
            } else if (c == ' ' && !quoted) {
                if (any) {
                    out.add(w.toString());
                }
                w.setLength(0);
                any = false;
            } else {
                w.append(c);
                any = true;
            }
        }
        if (any) {
            out.add(w.toString());
        }
        return out;
    }

    @Test
    void theReadmeCaptionExamplePrintsExactlyOneValidDocument() throws IOException {
        String readme = Files.readString(Path.of(System.getProperty("lfm2vl.root", "..")).resolve("README.md"));
        String line = readme.lines().filter(l -> l.startsWith("./lfm2vl caption") && l.contains("--json-schema")).findFirst().orElseThrow();
        List<String> args = words(line.substring("./lfm2vl ".length()));
        List<String> resolved = new ArrayList<>();
        for (String a : args) {
            resolved.add(a.replace("$M", model()).replace("$P", mmproj()).replace("$F", Fixtures.file("images/img_256x384.png").getParent().getParent().toString()));
        }
        resolved.add("-t");
        resolved.add("2");
        CliRun r = CliRun.of(resolved.toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.err());
        String schema = resolved.get(resolved.indexOf("--json-schema") + 1);
        assertTrue(r.out().endsWith("\n") && r.out().indexOf('\n') == r.out().length() - 1, r.out());
        assertValid(schema, r.out().strip());
    }

    @Test
    void generateWithASchemaFilePrintsOnlyTheDocument(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("schema.json");
        Files.writeString(file, SCHEMA);
        for (String seed : new String[] {"1", "2", "3"}) {
            CliRun r = CliRun.of("generate", "-m", model(), "-p", "Describe it.", "--json-schema", file.toString(), "--temp", "1.5",
                    "--seed", seed, "-n", "30", "-t", "2");
            assertEquals(0, r.exitCode(), r.err());
            assertValid(SCHEMA, r.out().strip());
            assertEquals(r.out().strip() + "\n", r.out().replace(System.lineSeparator(), "\n"));
        }
    }

    @Test
    void captionRecordsCarryTheParsedObject() {
        CliRun r = CliRun.of("caption", "-m", model(), "--mmproj", mmproj(), Fixtures.file("images/img_64x48.png").toString(),
                Fixtures.file("images/img_256x384.png").toString(), "--json", "--json-schema", SCHEMA, "--temp", "1.2", "--seed", "5",
                "-n", "30", "-t", "2", "--quiet");
        assertEquals(0, r.exitCode(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(2, lines.size(), r.out());
        for (String l : lines) {
            Map<?, ?> record = (Map<?, ?>) Json.parse(l);
            assertTrue(record.get("json") instanceof Map, l);
            assertValid(SCHEMA, (String) record.get("caption"));
        }
    }

    /**
     * Chat with a nearly full context (issue 19): a message after which the shortest document cannot fit is refused
     * with one line before it is fed, and the chat goes on: the next, shorter message is answered with a document.
     */
    @Test
    void chatRefusesAMessageWhoseShortestDocumentCannotFitAndGoesOn() {
        String schema = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"minLength\":24}},\"required\":[\"a\"]}";
        java.io.InputStream in = System.in;
        System.setIn(new java.io.ByteArrayInputStream(("word ".repeat(22) + "\nHi\n").getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        try {
            CliRun r = CliRun.of("chat", "-m", model(), "-c", "96", "--temp", "0", "--json-schema", schema);
            List<String> errors = r.err().lines().filter(l -> l.startsWith("error:")).toList();
            assertEquals(1, errors.size(), r.err());
            assertTrue(errors.get(0).contains("the prompt and the shortest answer the JSON schema accepts need"), errors.get(0));
            List<String> answers = r.out().lines().filter(l -> !l.isBlank()).toList();
            assertEquals(1, answers.size(), r.out());
            assertValid(schema, answers.get(0).strip());
            assertEquals(2, r.exitCode(), "a refused message is a usage error");
        } finally {
            System.setIn(in);
        }
    }

    @Test
    void badSchemasAndTooSmallLimitsExitWithOneLine() {
        CliRun r = CliRun.of("generate", "-m", model(), "-p", "x", "--json-schema", "{\"type\":\"array\",\"uniqueItems\":true}");
        assertEquals(2, r.exitCode());
        assertEquals("error: --json-schema: unsupported keyword 'uniqueItems' at /uniqueItems", r.err().strip());
        r = CliRun.of("caption", "-m", model(), "--mmproj", mmproj(), Fixtures.file("images/img_64x48.png").toString(),
                "--json-schema", "{\"type\":\"strnig\"}");
        assertEquals(2, r.exitCode());
        assertEquals("error: --json-schema: unknown type 'strnig' at /type", r.err().strip());
        r = CliRun.of("chat", "-m", model(), "--json-schema", "{\"$ref\":\"#/$defs/x\"}");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().strip().startsWith("error: --json-schema: $ref '#/$defs/x' points at nothing"), r.err());
        r = CliRun.of("generate", "-m", model(), "-p", "x", "-n", "3", "--json-schema", SCHEMA);
        assertEquals(2, r.exitCode());
        assertTrue(r.err().strip().startsWith("error: -n 3 is below the"), r.err());
        r = CliRun.of("generate", "-m", model(), "-p", "x", "--json-schema", "/no/such/schema.json");
        assertEquals(2, r.exitCode(), r.err());
    }
}
