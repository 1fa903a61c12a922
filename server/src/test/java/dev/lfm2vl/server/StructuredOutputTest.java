package dev.lfm2vl.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code response_format} constrains the answer (issue 19): even the tiny random model at temperature 1.5, with a
 * token limit just above the schema's shortest document, answers JSON that parses and satisfies the schema.
 */
class StructuredOutputTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String SCHEMA = "{\"type\":\"object\",\"properties\":{"
            + "\"subject\":{\"type\":\"string\",\"maxLength\":12},"
            + "\"colour\":{\"enum\":[\"red\",\"green\",\"blue\"]},"
            + "\"count\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":9}},"
            + "\"required\":[\"subject\",\"colour\",\"count\"],\"additionalProperties\":false}";
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

    private static JsonNode answer(String responseFormat, int maxTokens, long seed) throws Exception {
        HttpResponse<String> r = server.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Describe a thing as JSON.\"}],"
                + "\"temperature\":1.5,\"seed\":" + seed + ",\"max_tokens\":" + maxTokens + ",\"response_format\":" + responseFormat + "}");
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body()).get("choices").get(0);
    }

    @Test
    void aJsonSchemaAnswerParsesAndSatisfiesTheSchemaEvenWhenTheLimitCutsIt() throws Exception {
        String format = "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"thing\",\"strict\":true,\"schema\":" + SCHEMA + "}}";
        for (int maxTokens : new int[] {40, 200}) {
            for (long seed = 1; seed <= 3; seed++) {
                JsonNode choice = answer(format, maxTokens, seed);
                JsonNode doc = JSON.readTree(choice.get("message").get("content").asText());
                assertEquals(Set.of("subject", "colour", "count"), Set.copyOf(iterable(doc.fieldNames())), doc.toString());
                assertTrue(doc.get("subject").isTextual() && doc.get("subject").asText().codePointCount(0, doc.get("subject").asText().length()) <= 12,
                        doc.toString());
                assertTrue(Set.of("red", "green", "blue").contains(doc.get("colour").asText()), doc.toString());
                assertTrue(doc.get("count").isInt() && doc.get("count").asInt() >= 0 && doc.get("count").asInt() <= 9, doc.toString());
                String finish = choice.get("finish_reason").asText();
                assertTrue(finish.equals("stop") || finish.equals("length"), finish);
            }
        }
    }

    /**
     * A schema whose shortest document does not fit in the context after the prompt is a 400 before any work (no
     * prefill: it would only fail at the first token), and the server goes on answering.
     */
    @Test
    void aShortestDocumentBeyondTheContextIsRefusedBeforeThePrefill() throws Exception {
        int context = server.engine.contextSize();
        String tooLong = "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"long\",\"schema\":{\"type\":\"string\",\"minLength\":"
                + context + "}}}";
        long prefilled = server.engine.metrics().prefillNanos.get();
        HttpResponse<String> r = server.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                + "\"response_format\":" + tooLong + "}");
        assertEquals(400, r.statusCode(), r.body());
        JsonNode error = JSON.readTree(r.body()).get("error");
        assertEquals("context_length_exceeded", error.get("code").asText(), r.body());
        assertTrue(error.get("message").asText().contains("the shortest document the response_format schema accepts " + (context + 2) + " tokens"),
                r.body());
        assertEquals(prefilled, server.engine.metrics().prefillNanos.get(), "nothing was fed");
        assertTrue(JSON.readTree(answer("{\"type\":\"json_object\"}", 60, 6).get("message").get("content").asText()).isObject());
    }

    @Test
    void jsonObjectGivesAnObject() throws Exception {
        JsonNode choice = answer("{\"type\":\"json_object\"}", 60, 5);
        assertTrue(JSON.readTree(choice.get("message").get("content").asText()).isObject(), choice.toString());
    }

    private static java.util.List<String> iterable(java.util.Iterator<String> it) {
        java.util.List<String> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
