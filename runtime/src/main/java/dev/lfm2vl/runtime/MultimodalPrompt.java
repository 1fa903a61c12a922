package dev.lfm2vl.runtime;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;

/**
 * A prompt with images, as a sequence of chunks in llama.cpp's (libmtmd) shape: text chunks carry token ids, image
 * chunks one pre-processed entry each (a tile or the thumbnail / single image). Built from the chat pieces
 * ({@link ChatTemplate#pieces}): text pieces are tokenized with parse-special on (BOS only at the very start), and
 * each image slot is expanded into its layout (docs/MODEL.md §8.3): the marker tokens ({@code <|image_start|>},
 * {@code <|img_row_R_col_C|>}, {@code <|img_thumbnail|>}, {@code <|image_end|>}, looked up by text in the
 * tokenizer) are merged into the surrounding text chunks, and every entry becomes its own image chunk — so the
 * chunk list of the fixtures' prompt is {@code [BOS <|im_start|> user \n <|image_start|> <|img_thumbnail|>],
 * IMG, [<|image_end|> Describe ...]}.
 *
 * <p>{@link #parts(List)} turns the chunks plus each entry's image vectors into {@link PromptPart}s for
 * {@link Generator}.
 */
public final class MultimodalPrompt {

    /** One chunk of the prompt. */
    public sealed interface Chunk {
        /** Sequence positions the chunk takes. */
        int nTokens();
    }

    /** Token ids (text and marker tokens). */
    public record TextChunk(int[] tokens) implements Chunk {
        @Override
        public int nTokens() {
            return tokens.length;
        }
    }

    /**
     * The image vectors of entry {@code entry} of image {@code image} (both 0-based): {@code nTokens} positions, from
     * a {@code tileWidth x tileHeight} pixel input to the vision tower.
     */
    public record ImageChunk(int image, int entry, int nTokens, int tileWidth, int tileHeight) implements Chunk {}

    private final List<Chunk> chunks;
    private final List<PreprocessedImage> images;

    private MultimodalPrompt(List<Chunk> chunks, List<PreprocessedImage> images) {
        this.chunks = List.copyOf(chunks);
        this.images = List.copyOf(images);
    }

    /**
     * Builds the chunks.
     *
     * @param pieces    the conversation as text pieces and image slots
     * @param tokenizer tokenizes the text (parse-special on) and provides the marker ids
     * @param images    image {@code i} for slot {@code Image(i)}
     * @param addBos    prepend BOS (start of a conversation; false for a continuation)
     * @throws IllegalArgumentException if a slot has no image, an image is unused, or a marker token is missing
     */
    public static MultimodalPrompt build(List<ChatTemplate.Piece> pieces, Tokenizer tokenizer, List<PreprocessedImage> images,
                                         boolean addBos) {
        Objects.requireNonNull(tokenizer, "tokenizer");
        List<Chunk> chunks = new ArrayList<>();
        IntBuffer text = new IntBuffer();
        if (addBos && tokenizer.bosId() >= 0) {
            text.add(tokenizer.bosId());
        }
        boolean[] used = new boolean[images.size()];
        for (ChatTemplate.Piece piece : pieces) {
            switch (piece) {
                case ChatTemplate.Text t -> text.addAll(tokenizer.encode(t.text(), false, true));
                case ChatTemplate.Image img -> {
                    int i = img.index();
                    if (i < 0 || i >= images.size()) {
                        throw new IllegalArgumentException("the prompt refers to image " + (i + 1) + " but " + images.size()
                                + " image(s) were given");
                    }
                    used[i] = true;
                    PreprocessedImage pre = images.get(i);
                    for (ImageLayoutItem item : pre.layout()) {
                        switch (item) {
                            case ImageLayoutItem.Marker m -> text.add(markerId(tokenizer, m.tokenText()));
                            case ImageLayoutItem.Entry e -> {
                                if (text.size > 0) {
                                    chunks.add(new TextChunk(text.toArray()));
                                    text.size = 0;
                                }
                                ImageEntry entry = pre.entries().get(e.index());
                                chunks.add(new ImageChunk(i, e.index(), entry.imageTokens(), entry.width(), entry.height()));
                            }
                        }
                    }
                }
            }
        }
        if (text.size > 0) {
            chunks.add(new TextChunk(text.toArray()));
        }
        for (int i = 0; i < used.length; i++) {
            if (!used[i]) {
                throw new IllegalArgumentException("image " + (i + 1) + " has no media marker in the prompt");
            }
        }
        return new MultimodalPrompt(chunks, images);
    }

    private static int markerId(Tokenizer tokenizer, String text) {
        int id = tokenizer.tokenId(text);
        if (id < 0) {
            throw new IllegalArgumentException("the vocabulary has no token " + text + " (not an LFM2-VL tokenizer?)");
        }
        return id;
    }

    public List<Chunk> chunks() {
        return chunks;
    }

    public List<PreprocessedImage> images() {
        return images;
    }

    /** Total sequence positions (text tokens, markers and image vectors). */
    public int positions() {
        int n = 0;
        for (Chunk c : chunks) {
            n += c.nTokens();
        }
        return n;
    }

    /** Total image vectors. */
    public int imageTokens() {
        int n = 0;
        for (Chunk c : chunks) {
            if (c instanceof ImageChunk) {
                n += c.nTokens();
            }
        }
        return n;
    }

    /** The image chunks in prompt order. */
    public List<ImageChunk> imageChunks() {
        List<ImageChunk> out = new ArrayList<>();
        for (Chunk c : chunks) {
            if (c instanceof ImageChunk ic) {
                out.add(ic);
            }
        }
        return out;
    }

    /**
     * Encodes every image entry with the vision model: per image, per entry, {@code [tokens][dim]} vectors. The
     * result is what {@link #parts(List)} takes.
     */
    public List<List<float[]>> embed(VisionModel vision) {
        return embed(vision, EntryListener.NONE);
    }

    /** Told before each entry is encoded: entry {@code entry} of {@code entries} of image {@code image} of {@code images}, 1-based. */
    @FunctionalInterface
    public interface EntryListener {
        EntryListener NONE = (image, images, entry, entries) -> {};

        void encoding(int image, int images, int entry, int entries);

        /** Polled before each entry and between encoder blocks; true stops the encoding (Ctrl-C). */
        default boolean cancelled() {
            return false;
        }
    }

    /**
     * As {@link #embed(VisionModel)}, reporting each entry to {@code listener} before encoding it (progress displays).
     *
     * @throws CancellationException if {@link EntryListener#cancelled()} answered true
     */
    public List<List<float[]>> embed(VisionModel vision, EntryListener listener) {
        List<List<float[]>> out = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            List<ImageEntry> entries = images.get(i).entries();
            List<float[]> vectors = new ArrayList<>(entries.size());
            for (int e = 0; e < entries.size(); e++) {
                if (listener.cancelled()) {
                    throw new CancellationException("image encoding stopped");
                }
                listener.encoding(i + 1, images.size(), e + 1, entries.size());
                vectors.add(vision.embed(entries.get(e), listener::cancelled));
            }
            out.add(vectors);
        }
        return out;
    }

    /**
     * The prompt parts: a {@link PromptPart.Tokens} per text chunk and a {@link PromptPart.Embeddings} per image
     * chunk, taken from {@code embeddings.get(image).get(entry)}.
     */
    public List<PromptPart> parts(List<List<float[]>> embeddings) {
        List<PromptPart> out = new ArrayList<>(chunks.size());
        for (Chunk c : chunks) {
            switch (c) {
                case TextChunk t -> out.add(new PromptPart.Tokens(t.tokens()));
                case ImageChunk ic -> {
                    float[] e = embeddings.get(ic.image()).get(ic.entry());
                    if (e.length % ic.nTokens() != 0) {
                        throw new IllegalArgumentException("image " + (ic.image() + 1) + " entry " + ic.entry() + " has "
                                + e.length + " values for " + ic.nTokens() + " vectors");
                    }
                    out.add(new PromptPart.Embeddings(e, ic.nTokens()));
                }
            }
        }
        return out;
    }

    /**
     * The chunk layout in the fixtures' schema: text {@code {type, n_tokens, tokens}}, image
     * {@code {type, n_tokens, tile_w, tile_h}}.
     */
    public List<Map<String, Object>> layout() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Chunk c : chunks) {
            Map<String, Object> m = new LinkedHashMap<>();
            switch (c) {
                case TextChunk t -> {
                    m.put("type", "text");
                    m.put("n_tokens", t.nTokens());
                    m.put("tokens", t.tokens().clone());
                }
                case ImageChunk ic -> {
                    m.put("type", "image");
                    m.put("n_tokens", ic.nTokens());
                    m.put("tile_w", ic.tileWidth());
                    m.put("tile_h", ic.tileHeight());
                }
            }
            out.add(m);
        }
        return out;
    }

    private static final class IntBuffer {
        int[] data = new int[64];
        int size;

        void add(int v) {
            if (size == data.length) {
                data = java.util.Arrays.copyOf(data, size * 2);
            }
            data[size++] = v;
        }

        void addAll(int[] vs) {
            for (int v : vs) {
                add(v);
            }
        }

        int[] toArray() {
            return java.util.Arrays.copyOf(data, size);
        }
    }
}
