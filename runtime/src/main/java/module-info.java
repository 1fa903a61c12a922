/**
 * LFM2-VL inference: {@link dev.lfm2vl.runtime.Lfm2Vl} for applications, the engine types beside it for servers and
 * tools, and structured output in {@code dev.lfm2vl.runtime.structured}. The public types are the ones README.md
 * lists under "What the runtime exports"; everything else is package-private. The engine API takes the kernels'
 * {@code Parallel} pool and the loader's {@code GgufFile}, so a module that requires this one reads both.
 */
module dev.lfm2vl.runtime {
    requires transitive dev.lfm2vl.kernels;
    requires transitive dev.lfm2vl.loader;
    // ImageIO and BufferedImage decode the pictures (ImageLoader); WebP comes from an ImageIO plugin on the path
    requires java.desktop;

    exports dev.lfm2vl.runtime;
    exports dev.lfm2vl.runtime.structured;
}
