/** Downloads a GGUF model pair from a Hugging Face-compatible hub into a local cache, resumable and checked. */
module dev.lfm2vl.hub {
    requires java.net.http;
    // listings are read with the loader's strict JSON reader
    requires dev.lfm2vl.loader;

    exports dev.lfm2vl.hub;
}
