package dev.lfm2vl.runtime.structured;

/**
 * A JSON Schema the engine refuses: not JSON, an unsupported keyword, a dangling {@code $ref}, a type it cannot
 * generate, or constraints no document satisfies. The message is one line and names the JSON pointer of the
 * offending place (e.g. {@code unsupported keyword 'uniqueItems' at /properties/tags}).
 */
public final class SchemaException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public SchemaException(String message) {
        super(message);
    }

    static SchemaException at(String pointer, String message) {
        return new SchemaException(message + " at " + (pointer.isEmpty() ? "/" : pointer));
    }
}
