package dev.lfm2vl.cli;

import dev.lfm2vl.runtime.structured.JsonSchema;
import dev.lfm2vl.runtime.structured.SchemaException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --json-schema FILE|JSON}: constrain answers to a JSON Schema (README "Structured output"). */
final class JsonSchemaOption {
    @Option(names = "--json-schema", paramLabel = "FILE|JSON",
            description = "Answer with JSON valid under this JSON Schema: a file, or the schema itself ('{}': any JSON value). "
                    + "Unsupported keywords are refused, never ignored.")
    String value;

    private String text;
    private JsonSchema compiled;

    boolean present() {
        return value != null;
    }

    /** The schema's JSON text (read from the file unless given inline), or null without the option. */
    String text() throws IOException {
        if (value == null) {
            return null;
        }
        if (text == null) {
            String v = value.strip();
            boolean inline = v.startsWith("{") || v.equals("true") || v.equals("false");
            text = inline ? v : Files.readString(Path.of(value), StandardCharsets.UTF_8);
        }
        return text;
    }

    /** The compiled schema, or null; a bad schema is a usage error naming the keyword and its pointer. */
    JsonSchema compiled() throws IOException {
        if (value == null) {
            return null;
        }
        if (compiled == null) {
            try {
                compiled = JsonSchema.compile(text());
            } catch (SchemaException e) {
                throw new UserError("--json-schema: " + e.getMessage());
            }
        }
        return compiled;
    }

    /** Refuses a token limit below the schema's shortest document before any model work. */
    void checkLimit(int maxTokens) throws IOException {
        JsonSchema s = compiled();
        if (s != null && maxTokens >= 0 && maxTokens < s.minDocumentBytes()) {
            throw new UserError("-n " + maxTokens + " is below the " + s.minDocumentBytes()
                    + " tokens of the shortest document the JSON schema accepts");
        }
    }
}
