/**
 * The SIMD kernels of every GGUF weight type and the model math, written in the incubating Vector API. Requiring
 * {@code jdk.incubator.vector} here means an application on the module path gets that module resolved without
 * {@code --add-modules}; on the class path this descriptor is ignored and {@link dev.lfm2vl.kernels.VectorModule}
 * names the flag instead. The package is exported: the runtime's engine API takes a
 * {@link dev.lfm2vl.kernels.Parallel} pool, and its weight types take the loader's tensors (hence
 * {@code requires transitive}).
 */
module dev.lfm2vl.kernels {
    requires transitive dev.lfm2vl.loader;
    requires jdk.incubator.vector;

    exports dev.lfm2vl.kernels;
}
