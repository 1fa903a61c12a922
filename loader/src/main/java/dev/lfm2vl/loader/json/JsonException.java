package dev.lfm2vl.loader.json;

/** Text that is not one strict JSON value: {@link #reason()} says what, {@link #offset()} where (a char index). */
public final class JsonException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final transient String reason;
    private final int offset;

    JsonException(String reason, int offset) {
        super("invalid JSON at offset " + offset + ": " + reason);
        this.reason = reason;
        this.offset = offset;
    }

    /** What is wrong, e.g. {@code duplicate property "a"}. */
    public String reason() {
        return reason;
    }

    /** The index of the char where the text stops being valid JSON. */
    public int offset() {
        return offset;
    }
}
