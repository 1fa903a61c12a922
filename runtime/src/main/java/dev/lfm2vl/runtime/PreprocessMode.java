package dev.lfm2vl.runtime;

/** Which image pre-processing behaviour to reproduce (docs/MODEL.md §6). */
public enum PreprocessMode {
    /**
     * Hugging Face {@code Lfm2VlImageProcessorFast} + {@code Lfm2VlProcessor} (how the model was trained):
     * round-half-even smart resize in double, area-rule tiling with tolerance (switchable), grid choice in double,
     * stretched tiles, antialiased bilinear, no thumbnail marker for a single image.
     */
    HF,
    /**
     * The llama.cpp checkout the fixtures come from: round-half-away smart resize in float, tiling when a side
     * exceeds {@code tileSize·tolerance}, grid choice in float, letterboxed tiles on a black canvas, llama.cpp's
     * align-corners bilinear (truncating), and an {@code <|img_thumbnail|>} marker even for a single image.
     */
    LLAMA_CPP
}
