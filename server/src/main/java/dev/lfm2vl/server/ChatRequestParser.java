package dev.lfm2vl.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns the JSON body of a chat completion request into a {@link ChatRequest}, refusing what the server cannot honour
 * with a one-line {@link ApiError} (400) rather than answering something else than was asked. Fields it does not know
 * are ignored, as OpenAI-compatible servers do (clients send {@code user}, {@code store}, {@code metadata}...).
 * The JSON is parsed by Jackson with limits on nesting and string length: the body is untrusted input.
 */
final class ChatRequestParser {
    /** Stop strings OpenAI accepts at most. */
    static final int MAX_STOP_STRINGS = 4;

    private final ObjectMapper mapper;

    /** {@code maxStringLength}: the longest JSON string accepted (an image data URL is one string). */
    ChatRequestParser(int maxStringLength) {
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).maxStringLength(maxStringLength).build())
                .build();
        factory.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        mapper = new ObjectMapper(factory);
    }

    /** The JSON tree of a body; malformed JSON is a 400. */
    JsonNode readTree(byte[] body) throws ApiError {
        try {
            JsonNode node = mapper.readTree(body);
            if (node == null || node.isMissingNode()) {
                throw ApiError.badRequest("invalid_json", "the request body is empty; expected a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw ApiError.badRequest("invalid_json", "malformed JSON: " + oneLine(e.getOriginalMessage())
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")" : ""));
        } catch (IOException e) {
            throw ApiError.badRequest("invalid_json", "unreadable request body: " + oneLine(e.getMessage()));
        }
    }

    ChatRequest parse(byte[] body) throws ApiError {
        JsonNode root = readTree(body);
        if (!root.isObject()) {
            throw ApiError.badRequest("invalid_json", "the request body must be a JSON object");
        }
        refuseUnsupported(root);
        List<ChatRequest.Message> messages = messages(root.get("messages"));
        Integer maxTokens = positiveInt(root, "max_completion_tokens");
        if (maxTokens == null) {
            maxTokens = positiveInt(root, "max_tokens");
        }
        Float temperature = number(root, "temperature", 0, 2, true, true);
        Float topP = number(root, "top_p", 0, 1, false, true);
        Integer topK = nonNegativeInt(root, "top_k");
        Float minP = number(root, "min_p", 0, 1, true, true);
        Float repetition = number(root, "repetition_penalty", 0, Float.MAX_VALUE, false, true);
        if (repetition == null) {
            repetition = number(root, "repeat_penalty", 0, Float.MAX_VALUE, false, true); // llama-server's name
        }
        Long seed = null;
        JsonNode s = root.get("seed");
        if (s != null && !s.isNull()) {
            if (!s.isIntegralNumber() || !s.canConvertToLong()) {
                throw ApiError.badRequest("invalid_value", "'seed' must be an integer");
            }
            seed = s.longValue();
        }
        boolean stream = bool(root, "stream");
        boolean includeUsage = false;
        JsonNode so = root.get("stream_options");
        if (so != null && !so.isNull()) {
            if (!so.isObject()) {
                throw ApiError.badRequest("invalid_value", "'stream_options' must be an object");
            }
            includeUsage = bool(so, "include_usage");
        }
        return new ChatRequest(messages, maxTokens, temperature, topP, topK, minP, repetition, seed, stop(root.get("stop")),
                stream, includeUsage, jsonSchema(root.get("response_format")));
    }

    /** Parameters that change what the answer must be and that this server does not do: refused, never ignored. */
    private static void refuseUnsupported(JsonNode root) throws ApiError {
        JsonNode n = root.get("n");
        if (n != null && !n.isNull() && !(n.isIntegralNumber() && n.intValue() == 1 && n.canConvertToInt())) {
            throw ApiError.badRequest("unsupported_value", "'n' must be 1: this server generates one choice per request");
        }
        JsonNode tools = root.get("tools");
        if (tools != null && !tools.isNull() && !(tools.isArray() && tools.isEmpty())) {
            throw ApiError.badRequest("unsupported_parameter", "'tools' are not supported: the LFM2-VL chat template has no tool format");
        }
        JsonNode functions = root.get("functions");
        if (functions != null && !functions.isNull() && !(functions.isArray() && functions.isEmpty())) {
            throw ApiError.badRequest("unsupported_parameter", "'functions' are not supported: the LFM2-VL chat template has no tool format");
        }
        JsonNode toolChoice = root.get("tool_choice");
        if (toolChoice != null && !toolChoice.isNull() && !(toolChoice.isTextual() && toolChoice.textValue().equals("none"))) {
            throw ApiError.badRequest("unsupported_parameter", "'tool_choice' is not supported: the LFM2-VL chat template has no tool format");
        }
        for (String penalty : new String[] {"frequency_penalty", "presence_penalty"}) {
            JsonNode p = root.get(penalty);
            if (p != null && !p.isNull()) {
                if (!p.isNumber()) {
                    throw ApiError.badRequest("invalid_value", "'" + penalty + "' must be a number");
                }
                if (p.doubleValue() != 0) {
                    throw ApiError.badRequest("unsupported_value", "'" + penalty + "' is not supported (only 0); use 'repetition_penalty'");
                }
            }
        }
        JsonNode logprobs = root.get("logprobs");
        if (logprobs != null && logprobs.isBoolean() && logprobs.booleanValue()) {
            throw ApiError.badRequest("unsupported_parameter", "'logprobs' is not supported");
        }
    }

    private static List<ChatRequest.Message> messages(JsonNode node) throws ApiError {
        if (node == null || node.isNull()) {
            throw ApiError.badRequest("missing_messages", "'messages' is required: a non-empty array of messages");
        }
        if (!node.isArray() || node.isEmpty()) {
            throw ApiError.badRequest("missing_messages", "'messages' must be a non-empty array of messages");
        }
        List<ChatRequest.Message> out = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode m = node.get(i);
            String where = "messages[" + i + "]";
            if (!m.isObject()) {
                throw ApiError.badRequest("invalid_message", where + " must be an object with 'role' and 'content'");
            }
            JsonNode roleNode = m.get("role");
            if (roleNode == null || !roleNode.isTextual()) {
                throw ApiError.badRequest("invalid_message", where + ".role is required (system, user or assistant)");
            }
            ChatRequest.Role role = switch (roleNode.textValue()) {
                case "system", "developer" -> ChatRequest.Role.SYSTEM;
                case "user" -> ChatRequest.Role.USER;
                case "assistant" -> ChatRequest.Role.ASSISTANT;
                case "tool", "function" -> throw ApiError.badRequest("unsupported_value",
                        where + ".role '" + roleNode.textValue() + "' is not supported: the LFM2-VL chat template has no tool format");
                default -> throw ApiError.badRequest("invalid_value", where + ".role must be system, user or assistant, got '"
                        + clip(roleNode.textValue()) + "'");
            };
            out.add(new ChatRequest.Message(role, parts(m.get("content"), role, where)));
        }
        return out;
    }

    private static List<ChatRequest.Part> parts(JsonNode content, ChatRequest.Role role, String where) throws ApiError {
        if (content == null || content.isNull()) {
            throw ApiError.badRequest("invalid_message", where + ".content is required");
        }
        if (content.isTextual()) {
            return List.of(new ChatRequest.Text(content.textValue()));
        }
        if (!content.isArray()) {
            throw ApiError.badRequest("invalid_message", where + ".content must be a string or an array of parts");
        }
        List<ChatRequest.Part> parts = new ArrayList<>();
        for (int j = 0; j < content.size(); j++) {
            JsonNode p = content.get(j);
            String at = where + ".content[" + j + "]";
            JsonNode type = p.get("type");
            if (!p.isObject() || type == null || !type.isTextual()) {
                throw ApiError.badRequest("invalid_message", at + " must be an object with a 'type' (text or image_url)");
            }
            switch (type.textValue()) {
                case "text" -> {
                    JsonNode text = p.get("text");
                    if (text == null || !text.isTextual()) {
                        throw ApiError.badRequest("invalid_message", at + ".text must be a string");
                    }
                    parts.add(new ChatRequest.Text(text.textValue()));
                }
                case "image_url" -> {
                    if (role != ChatRequest.Role.USER) {
                        throw ApiError.badRequest("invalid_message", at + ": only user messages can carry images");
                    }
                    JsonNode image = p.get("image_url");
                    JsonNode url = image == null ? null : image.isTextual() ? image : image.get("url");
                    if (url == null || !url.isTextual() || url.textValue().isEmpty()) {
                        throw ApiError.badRequest("invalid_message", at + ".image_url.url must be a string (a data:, file:// or http(s):// URL)");
                    }
                    parts.add(new ChatRequest.Image(url.textValue()));
                }
                default -> throw ApiError.badRequest("unsupported_value", at + ".type '" + clip(type.textValue())
                        + "' is not supported (text or image_url)");
            }
        }
        return parts;
    }

    private static List<String> stop(JsonNode node) throws ApiError {
        if (node == null || node.isNull()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        if (node.isTextual()) {
            out.add(node.textValue());
        } else if (node.isArray()) {
            for (JsonNode s : node) {
                if (!s.isTextual()) {
                    throw ApiError.badRequest("invalid_value", "'stop' must be a string or an array of strings");
                }
                out.add(s.textValue());
            }
        } else {
            throw ApiError.badRequest("invalid_value", "'stop' must be a string or an array of strings");
        }
        if (out.size() > MAX_STOP_STRINGS) {
            throw ApiError.badRequest("invalid_value", "'stop' takes at most " + MAX_STOP_STRINGS + " strings, got " + out.size());
        }
        for (String s : out) {
            if (s.isEmpty()) {
                throw ApiError.badRequest("invalid_value", "'stop' strings must not be empty");
            }
        }
        return List.copyOf(out);
    }

    private static Integer positiveInt(JsonNode root, String name) throws ApiError {
        JsonNode n = root.get(name);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < 1) {
            throw ApiError.badRequest("invalid_value", "'" + name + "' must be a positive integer, got " + clip(n.toString()));
        }
        return n.intValue();
    }

    private static Integer nonNegativeInt(JsonNode root, String name) throws ApiError {
        JsonNode n = root.get(name);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < 0) {
            throw ApiError.badRequest("invalid_value", "'" + name + "' must be an integer >= 0 (0 = off), got " + clip(n.toString()));
        }
        return n.intValue();
    }

    /** A number in [lo, hi] (bounds included as flagged), or null when absent. */
    private static Float number(JsonNode root, String name, float lo, float hi, boolean loIncluded, boolean hiIncluded) throws ApiError {
        JsonNode n = root.get(name);
        if (n == null || n.isNull()) {
            return null;
        }
        double v = n.isNumber() ? n.doubleValue() : Double.NaN;
        boolean ok = Double.isFinite(v) && (loIncluded ? v >= lo : v > lo) && (hiIncluded ? v <= hi : v < hi);
        if (!ok) {
            String range = hi == Float.MAX_VALUE ? (loIncluded ? ">= " : "> ") + fmt(lo)
                    : "in " + (loIncluded ? "[" : "(") + fmt(lo) + ", " + fmt(hi) + (hiIncluded ? "]" : ")");
            throw ApiError.badRequest("invalid_value", "'" + name + "' must be a number " + range + ", got " + clip(n.toString()));
        }
        return (float) v;
    }

    private static boolean bool(JsonNode root, String name) throws ApiError {
        JsonNode n = root.get(name);
        if (n == null || n.isNull()) {
            return false;
        }
        if (!n.isBoolean()) {
            throw ApiError.badRequest("invalid_value", "'" + name + "' must be true or false, got " + clip(n.toString()));
        }
        return n.booleanValue();
    }

    private static String fmt(float f) {
        return f == (int) f ? Integer.toString((int) f) : Float.toString(f);
    }

    /** A value quoted in a message, cut short: the message stays one readable line. */
    static String clip(String s) {
        String line = oneLine(s);
        return line.length() <= 60 ? line : line.substring(0, 57) + "...";
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").trim();
    }

    /**
     * The JSON Schema a {@code response_format} asks for, as JSON text: {@code json_schema} its {@code schema},
     * {@code json_object} any object, {@code text} (or none) null. The engine compiles it; unsupported keywords are
     * a 400 there, naming the keyword and its pointer.
     */
    private static String jsonSchema(JsonNode format) throws ApiError {
        if (format == null || format.isNull()) {
            return null;
        }
        JsonNode type = format.get("type");
        if (!format.isObject() || type == null || !type.isTextual()) {
            throw ApiError.badRequest("invalid_value", "'response_format' must be an object with a 'type'");
        }
        switch (type.textValue()) {
            case "text" -> {
                return null;
            }
            case "json_object" -> {
                return "{\"type\":\"object\"}";
            }
            case "json_schema" -> {
                JsonNode spec = format.get("json_schema");
                JsonNode schema = spec == null ? null : spec.get("schema");
                if (schema == null || !schema.isObject()) {
                    throw ApiError.badRequest("invalid_value", "'response_format.json_schema.schema' must be a JSON Schema object");
                }
                return schema.toString();
            }
            default -> throw ApiError.badRequest("invalid_value", "'response_format.type' must be text, json_object or json_schema, got '"
                    + type.textValue() + "'");
        }
    }
}
