package dev.lfm2vl.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every bad input of issue #18 is a 4xx with OpenAI's error object ({@code {"error":{"message","type","code"}}}), one
 * line, and the server stays up (each test ends by checking it still answers).
 */
class BadInputTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int MAX_BODY = 256 << 10;
    static final int CONTEXT = 1024;
    @TempDir
    static Path mediaRoot;
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        Files.copy(TestServer.image("img_64x48.png"), mediaRoot.resolve("inside.png"));
        server = TestServer.start(ServerConfig.defaults().withMaxBody(MAX_BODY).withMediaRoot(mediaRoot), 1, 4, CONTEXT);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @AfterEach
    void serverStillAnswers() throws Exception {
        assertEquals(200, server.get("/health").statusCode());
        HttpResponse<String> ok = server.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":2}");
        assertEquals(200, ok.statusCode(), ok.body());
    }

    /** Asserts an error response: the status, the code, a one-line message containing {@code messagePart}. */
    static JsonNode assertError(HttpResponse<String> r, int status, String code, String messagePart) throws IOException {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), r.headers().toString());
        JsonNode error = JSON.readTree(r.body()).get("error");
        assertTrue(error != null && error.isObject(), r.body());
        String message = error.get("message").asText();
        assertFalse(message.contains("\n") || message.contains("Exception"), "one clean line: " + message);
        assertTrue(message.contains(messagePart), "'" + messagePart + "' in: " + message);
        assertEquals(code, error.get("code").asText(), r.body());
        assertTrue(error.get("type").isTextual(), r.body());
        return error;
    }

    static HttpResponse<String> chat(String json) throws Exception {
        return server.post("/v1/chat/completions", json);
    }

    static String withImage(String url) {
        return "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + url
                + "\"}},{\"type\":\"text\",\"text\":\"What is it?\"}]}],\"max_tokens\":2}";
    }

    @Test
    void malformedJson() throws Exception {
        assertError(chat("{\"messages\": [{\"role\": \"user\""), 400, "invalid_json", "malformed JSON");
        assertError(chat(""), 400, "invalid_json", "empty");
        assertError(chat("[1, 2]"), 400, "invalid_json", "JSON object");
        assertError(chat("{\"messages\":[],\"messages\":[]}"), 400, "invalid_json", "Duplicate field");
    }

    @Test
    void missingOrEmptyMessages() throws Exception {
        assertError(chat("{\"model\":\"x\"}"), 400, "missing_messages", "'messages' is required");
        assertError(chat("{\"messages\":[]}"), 400, "missing_messages", "non-empty array");
        assertError(chat("{\"messages\":[{\"content\":\"hi\"}]}"), 400, "invalid_message", "messages[0].role");
        assertError(chat("{\"messages\":[{\"role\":\"user\"}]}"), 400, "invalid_message", "messages[0].content is required");
    }

    @Test
    void badBase64() throws Exception {
        assertError(chat(withImage("data:image/png;base64,iVBOR$$$not-base64")), 400, "invalid_image", "not valid base64");
        assertError(chat(withImage("data:image/png;base64,")), 400, "invalid_image", "no data");
        assertError(chat(withImage("data:image/png,rawbytes")), 400, "invalid_image_url", "only base64");
    }

    @Test
    void bytesThatAreNotAnImage() throws Exception {
        String notImage = Base64.getEncoder().encodeToString("this is not an image".getBytes(StandardCharsets.UTF_8));
        assertError(chat(withImage("data:image/png;base64," + notImage)), 400, "invalid_image", "image 1: unsupported or unrecognised image format");
    }

    @Test
    void imageOverThePixelLimit() throws Exception {
        String bomb = Base64.getEncoder().encodeToString(pngHeaderOnly(100_000, 100_000));
        assertError(chat(withImage("data:image/png;base64," + bomb)), 400, "image_too_large", "over the limit");
    }

    @Test
    void unknownOrUnsupportedParameterValues() throws Exception {
        String user = "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]";
        assertError(chat("{" + user + ",\"temperature\":5}"), 400, "invalid_value", "'temperature' must be a number in [0, 2]");
        assertError(chat("{" + user + ",\"top_p\":0}"), 400, "invalid_value", "'top_p'");
        assertError(chat("{" + user + ",\"max_tokens\":0}"), 400, "invalid_value", "'max_tokens' must be a positive integer");
        assertError(chat("{" + user + ",\"max_tokens\":\"ten\"}"), 400, "invalid_value", "'max_tokens'");
        assertError(chat("{" + user + ",\"stream\":\"yes\"}"), 400, "invalid_value", "'stream' must be true or false");
        assertError(chat("{" + user + ",\"n\":2}"), 400, "unsupported_value", "'n' must be 1");
        assertError(chat("{" + user + ",\"frequency_penalty\":0.5}"), 400, "unsupported_value", "'frequency_penalty' is not supported");
        assertError(chat("{" + user + ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"t\",\"schema\":"
                + "{\"type\":\"object\",\"properties\":{\"tags\":{\"type\":\"array\",\"uniqueItems\":true}}}}}}"), 400, "invalid_schema",
                "unsupported keyword 'uniqueItems' at /properties/tags/uniqueItems");
        assertError(chat("{" + user + ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"t\"}}}"), 400,
                "invalid_value", "'response_format.json_schema.schema' must be");
        assertError(chat("{" + user + ",\"response_format\":{\"type\":\"yaml\"}}"), 400, "invalid_value", "'response_format.type' must be");
        assertError(chat("{" + user + ",\"max_tokens\":3,\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"t\","
                + "\"schema\":{\"type\":\"object\",\"properties\":{\"caption\":{\"type\":\"string\"}},\"required\":[\"caption\"]}}}}"),
                400, "invalid_value", "is below the");
        assertError(chat("{" + user + ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}"), 400, "unsupported_parameter",
                "'tools' are not supported");
        assertError(chat("{\"messages\":[{\"role\":\"wizard\",\"content\":\"Hi\"}]}"), 400, "invalid_value", "messages[0].role must be");
        assertError(chat("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_audio\"}]}]}"), 400, "unsupported_value",
                "'input_audio' is not supported");
        assertError(chat("{\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:,\"}}]}]}"),
                400, "invalid_message", "only user messages can carry images");
        assertError(chat(withImage("ftp://example.com/a.png")), 400, "invalid_image_url", "unsupported URL");
        // zero penalties, an explicit text format, unknown fields and n = 1 are what clients send by default: accepted
        HttpResponse<String> ok = chat("{" + user + ",\"max_tokens\":2,\"frequency_penalty\":0,\"presence_penalty\":0,\"n\":1,"
                + "\"response_format\":{\"type\":\"text\"},\"user\":\"u1\",\"store\":false,\"some_future_field\":{\"a\":[1]}}");
        assertEquals(200, ok.statusCode(), ok.body());
    }

    @Test
    void promptLongerThanTheContext() throws Exception {
        String words = "apple ".repeat(CONTEXT * 2);
        assertError(chat("{\"messages\":[{\"role\":\"user\",\"content\":\"" + words + "\"}]}"), 400, "context_length_exceeded",
                "but the context holds " + CONTEXT);
    }

    @Test
    void maxTokensBeyondTheContextIsCappedNotRefused() throws Exception {
        HttpResponse<String> r = chat("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":100000,\"temperature\":0,"
                + "\"seed\":1}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode root = JSON.readTree(r.body());
        String reason = root.get("choices").get(0).get("finish_reason").asText();
        int total = root.get("usage").get("total_tokens").asInt();
        assertTrue(reason.equals("stop") ? total <= CONTEXT : total == CONTEXT, reason + " after " + total + " positions");
    }

    @Test
    void bodyOverMaxBodyIs413BeforeItIsRead() throws Exception {
        String response = raw("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + (MAX_BODY + 1) + "\r\n\r\n{\"messages\":");
        assertTrue(response.startsWith("HTTP/1.1 413"), response);
        assertTrue(response.contains("\"code\":\"body_too_large\"") && response.contains("--max-body"), response);
    }

    @Test
    void chunkedBodyOverMaxBodyIs413() throws Exception {
        byte[] big = ("{\"messages\":[{\"role\":\"user\",\"content\":\"" + "a".repeat(MAX_BODY) + "\"}]}").getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> r = server.postStream("/v1/chat/completions", big);
        assertError(r, 413, "body_too_large", "--max-body");
    }

    @Test
    void fileUrlsOnlyUnderTheMediaRootWithoutSymlinkEscapes() throws Exception {
        Path inside = mediaRoot.resolve("inside.png");
        HttpResponse<String> ok = chat(withImage(inside.toUri().toString()));
        assertEquals(200, ok.statusCode(), ok.body());
        Path outside = TestServer.image("img_64x48.png");
        assertError(chat(withImage(outside.toUri().toString())), 403, "outside_media_root", "--media-root");
        assertError(chat(withImage(mediaRoot.toUri() + "../../etc/passwd")), 403, "outside_media_root", "--media-root");
        Path link = mediaRoot.resolve("escape.png");
        Files.createSymbolicLink(link, outside);
        assertError(chat(withImage(link.toUri().toString())), 403, "outside_media_root", "--media-root");
        assertError(chat(withImage(mediaRoot.resolve("missing.png").toUri().toString())), 400, "invalid_image", "no such file");
    }

    @Test
    void remoteImagesAreOffByDefault() throws Exception {
        assertError(chat(withImage("http://127.0.0.1:" + server.server.port() + "/health")), 403, "remote_images_disabled",
                "--allow-remote-images");
    }

    @Test
    void unknownPathsAndMethods() throws Exception {
        assertError(server.get("/v1/completions"), 404, "not_found", "no such endpoint");
        assertError(server.get("/v1/chat/completions"), 405, "method_not_allowed", "GET is not allowed");
        assertError(server.get("/metrics"), 404, "not_found", "--metrics");
    }

    /** Sends {@code request} on a fresh socket and returns everything the server answers before closing. */
    static String raw(String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.server.port())) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = in.read(buf)) > 0; ) {
                    got.write(buf, 0, n);
                    String text = got.toString(StandardCharsets.UTF_8);
                    if (text.contains("\r\n\r\n") && text.endsWith("}")) {
                        break; // the whole JSON error
                    }
                }
            } catch (java.net.SocketException e) {
                // the server closed the connection after answering
            }
            return got.toString(StandardCharsets.UTF_8);
        }
    }

    /** A PNG whose IHDR declares {@code w x h} pixels, followed by a tiny IDAT and IEND (never a full image). */
    static byte[] pngHeaderOnly(int w, int h) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(ihdr);
        d.writeInt(w);
        d.writeInt(h);
        d.write(new byte[] {8, 2, 0, 0, 0});
        chunk(out, "IHDR", ihdr.toByteArray());
        chunk(out, "IDAT", new byte[] {0x78, (byte) 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
        chunk(out, "IEND", new byte[0]);
        return bytes.toByteArray();
    }

    private static void chunk(DataOutputStream out, String type, byte[] data) throws IOException {
        out.writeInt(data.length);
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.write(t);
        out.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeInt((int) crc.getValue());
    }
}
