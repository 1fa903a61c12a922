/**
 * The GGUF reader and writer: validated, memory-mapped, zero-copy tensors ({@link dev.lfm2vl.loader.GgufFile}).
 * Needs nothing beyond {@code java.base}.
 */
module dev.lfm2vl.loader {
    exports dev.lfm2vl.loader;
    // the strict JSON reader the hub (listings), the runtime (schemas) and the CLI share
    exports dev.lfm2vl.loader.json;
}
