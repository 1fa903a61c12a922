package dev.lfm2vl.runtime;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;

/**
 * A prompt as the model reads it: runs of token ids and image entries, in order, in llama.cpp's (libmtmd) chunk
 * shape. Built from the chat pieces ({@link ChatTemplate#pieces}): text pieces are tokenized with parse-special on
 * (BOS only at the very start), and each image slot is expanded into its layout (docs/MODEL.md §8.3): the marker
 * tokens ({@code <|image_start|>}, {@code <|img_row_R_col_C|>}, {@code <|img_thumbnail|>}, {@code <|image_end|>},
 * looked up by text in the tokenizer) are merged into the surrounding token runs, and every entry (tile or
 * thumbnail) becomes its own {@link Image} part, so the fixtures' prompt is
 * {@code [BOS <|im_start|> user \n <|image_start|> <|img_thumbnail|>], IMG, [<|image_end|> Describe ...]}.
 *
 * <p>Image parts carry their pixels until {@link #encode} gives them their vectors; only an encoded prompt can be fed.
 */
public final class Prompt {

    /** One run of prompt positions. */
    public sealed interface Part {
        /** Sequence positions the part takes. */
        int positions();
    }

    /** Token ids (text and marker tokens). */
    public record Tokens(int[] ids) implements Part {
        @Override
        public int positions() {
            return ids.length;
        }
    }

    /**
     * Entry {@code index} of image {@code image} (both 0-based): its pixels for the vision tower and, once encoded,
     * its {@code vectors} ({@code positions} rows of the model's width, row-major; null before encoding).
     */
    public record Image(int image, int index, ImageEntry entry, float[] vectors) implements Part {
        public Image {
            if (vectors != null && vectors.length % entry.imageTokens() != 0) {
                throw new IllegalArgumentException("image " + (image + 1) + " entry " + index + " has " + vectors.length
                        + " values for " + entry.imageTokens() + " vectors");
            }
        }

        @Override
        public int positions() {
            return entry.imageTokens();
        }

        public boolean encoded() {
            return vectors != null;
        }
    }

    private final List<Part> parts;
    private final List<PreprocessedImage> images;

    private Prompt(List<Part> parts, List<PreprocessedImage> images) {
        this.parts = List.copyOf(parts);
        this.images = List.copyOf(images);
    }

    /** A text-only prompt of token ids (already templated, with BOS if it starts a conversation). */
    public static Prompt of(int[] ids) {
        return new Prompt(List.of(new Tokens(ids.clone())), List.of());
    }

    /**
     * This prompt followed by {@code next} (e.g. a conversation's history then a new turn); {@code next}'s image
     * parts are renumbered after this prompt's images.
     */
    public Prompt then(Prompt next) {
        List<Part> joined = new ArrayList<>(parts);
        for (Part p : next.parts) {
            joined.add(p instanceof Image img ? new Image(img.image() + images.size(), img.index(), img.entry(), img.vectors()) : p);
        }
        List<PreprocessedImage> allImages = new ArrayList<>(images);
        allImages.addAll(next.images);
        return new Prompt(joined, allImages);
    }

    /**
     * Builds the parts.
     *
     * @param pieces    the conversation as text pieces and image slots
     * @param tokenizer tokenizes the text (parse-special on) and provides the marker ids
     * @param images    image {@code i} for slot {@code Image(i)}
     * @param addBos    prepend BOS (start of a conversation; false for a continuation)
     * @throws IllegalArgumentException if a slot has no image, an image is unused, or a marker token is missing
     */
    public static Prompt build(List<ChatTemplate.Piece> pieces, Tokenizer tokenizer, List<PreprocessedImage> images, boolean addBos) {
        Objects.requireNonNull(tokenizer, "tokenizer");
        List<Part> parts = new ArrayList<>();
        Tokenizer.IntList text = new Tokenizer.IntList(64);
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
                                if (text.size() > 0) {
                                    parts.add(new Tokens(text.toArray()));
                                    text.clear();
                                }
                                parts.add(new Image(i, e.index(), pre.entries().get(e.index()), null));
                            }
                        }
                    }
                }
            }
        }
        if (text.size() > 0) {
            parts.add(new Tokens(text.toArray()));
        }
        for (int i = 0; i < used.length; i++) {
            if (!used[i]) {
                throw new IllegalArgumentException("image " + (i + 1) + " has no media marker in the prompt");
            }
        }
        return new Prompt(parts, images);
    }

    private static int markerId(Tokenizer tokenizer, String text) {
        int id = tokenizer.tokenId(text);
        if (id < 0) {
            throw new IllegalArgumentException("the vocabulary has no token " + text + " (not an LFM2-VL tokenizer?)");
        }
        return id;
    }

    public List<Part> parts() {
        return parts;
    }

    /** The pre-processed images the image parts come from, in prompt order. */
    public List<PreprocessedImage> images() {
        return images;
    }

    /** Total sequence positions (text tokens, markers and image vectors). */
    public int positions() {
        int n = 0;
        for (Part p : parts) {
            n += p.positions();
        }
        return n;
    }

    /** Total image vectors. */
    public int imageTokens() {
        int n = 0;
        for (Part p : parts) {
            if (p instanceof Image) {
                n += p.positions();
            }
        }
        return n;
    }

    /** The image parts in prompt order. */
    public List<Image> imageParts() {
        List<Image> out = new ArrayList<>();
        for (Part p : parts) {
            if (p instanceof Image img) {
                out.add(img);
            }
        }
        return out;
    }

    /** Whether every image part has its vectors (a prompt without images always has). */
    public boolean encoded() {
        for (Part p : parts) {
            if (p instanceof Image img && !img.encoded()) {
                return false;
            }
        }
        return true;
    }

    /**
     * This prompt with every image entry encoded by {@code vision}, reporting each entry to
     * {@link Listener#encoding} before encoding it and polling {@link Listener#cancelled()} before each entry and
     * between encoder blocks. Returns this prompt when there is nothing to encode.
     *
     * @throws CancellationException if the listener asked to stop
     */
    public Prompt encode(VisionModel vision, Listener listener) {
        if (encoded()) {
            return this;
        }
        if (vision == null) {
            throw new IllegalStateException("images need a vision projector: load with an mmproj");
        }
        List<Part> out = new ArrayList<>(parts.size());
        for (Part p : parts) {
            if (p instanceof Image img && !img.encoded()) {
                if (listener.cancelled()) {
                    throw new CancellationException("image encoding stopped");
                }
                listener.encoding(img.image() + 1, images.size(), img.index() + 1, images.get(img.image()).entries().size());
                out.add(new Image(img.image(), img.index(), img.entry(), vision.embed(img.entry(), listener::cancelled)));
            } else {
                out.add(p);
            }
        }
        return new Prompt(out, images);
    }

    /**
     * The part layout in the fixtures' schema: text {@code {type, n_tokens, tokens}}, image
     * {@code {type, n_tokens, tile_w, tile_h}}.
     */
    public List<Map<String, Object>> layout() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Part p : parts) {
            Map<String, Object> m = new LinkedHashMap<>();
            switch (p) {
                case Tokens t -> {
                    m.put("type", "text");
                    m.put("n_tokens", t.positions());
                    m.put("tokens", t.ids().clone());
                }
                case Image img -> {
                    m.put("type", "image");
                    m.put("n_tokens", img.positions());
                    m.put("tile_w", img.entry().width());
                    m.put("tile_h", img.entry().height());
                }
            }
            out.add(m);
        }
        return out;
    }
}
