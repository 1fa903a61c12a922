/** Downloads a GGUF model pair from a Hugging Face-compatible hub into a local cache, resumable and checked. */
module dev.lfm2vl.hub {
    requires java.net.http;

    exports dev.lfm2vl.hub;
}
