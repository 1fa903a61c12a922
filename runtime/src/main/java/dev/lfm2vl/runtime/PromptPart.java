package dev.lfm2vl.runtime;

/** A run of prompt positions: token ids, or input embeddings (image vectors) that take one position per row. */
public sealed interface PromptPart {

    /** Positions this part occupies. */
    int positions();

    record Tokens(int[] ids) implements PromptPart {
        @Override
        public int positions() {
            return ids.length;
        }
    }

    /** {@code rows} embeddings of the model's width, row-major in {@code data}. */
    record Embeddings(float[] data, int rows) implements PromptPart {
        @Override
        public int positions() {
            return rows;
        }
    }
}
