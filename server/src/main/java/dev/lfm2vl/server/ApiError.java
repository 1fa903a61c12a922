package dev.lfm2vl.server;

/**
 * A request the server refuses or cannot serve, answered as OpenAI's error object
 * {@code {"error":{"message":..., "type":..., "code":...}}} with {@link #status()} as the HTTP status. The message
 * is one line meant for the client; nothing of the server's internals goes into it.
 */
final class ApiError extends Exception {
    private final int status;
    private final String type;
    private final String code;
    /** Seconds a client should wait before retrying (503 with Retry-After), or 0. */
    private final int retryAfterSeconds;

    ApiError(int status, String type, String code, String message, int retryAfterSeconds) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 400: the request is wrong; {@code code} names what (e.g. "invalid_image", "context_length_exceeded"). */
    static ApiError badRequest(String code, String message) {
        return new ApiError(400, "invalid_request_error", code, message, 0);
    }

    static ApiError unauthorized() {
        return new ApiError(401, "invalid_request_error", "invalid_api_key", "missing or incorrect API key (send 'Authorization: Bearer KEY')", 0);
    }

    static ApiError forbidden(String code, String message) {
        return new ApiError(403, "invalid_request_error", code, message, 0);
    }

    static ApiError notFound(String message) {
        return new ApiError(404, "invalid_request_error", "not_found", message, 0);
    }

    static ApiError methodNotAllowed(String method, String path) {
        return new ApiError(405, "invalid_request_error", "method_not_allowed", method + " is not allowed on " + path, 0);
    }

    static ApiError bodyTooLarge(long limit) {
        return new ApiError(413, "invalid_request_error", "body_too_large", "the request body is larger than the server's limit of "
                + limit + " bytes (--max-body)", 0);
    }

    static ApiError busy(String message, int retryAfterSeconds) {
        return new ApiError(503, "server_error", "server_busy", message, retryAfterSeconds);
    }

    static ApiError unavailable(String message) {
        return new ApiError(503, "server_error", "unavailable", message, 1);
    }

    static ApiError internal(String message) {
        return new ApiError(500, "server_error", "internal_error", message, 0);
    }

    int status() {
        return status;
    }

    String type() {
        return type;
    }

    String code() {
        return code;
    }

    int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
