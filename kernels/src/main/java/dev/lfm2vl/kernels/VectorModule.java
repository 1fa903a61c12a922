package dev.lfm2vl.kernels;

/**
 * Whether this JVM has the Vector API the kernels are written in. {@code jdk.incubator.vector} is an incubator
 * module: the JVM resolves it only when asked with {@code --add-modules jdk.incubator.vector}, and without it the
 * first kernel dies with a {@code NoClassDefFoundError} that names a class, not the flag. Entry points call
 * {@link #require()} first so that a library user who forgot the flag reads which one to add. This class must not
 * touch the Vector API itself: it runs before the module is known to be there.
 */
public final class VectorModule {
    /** The module's name, as {@code --add-modules} takes it. */
    public static final String NAME = "jdk.incubator.vector";

    private VectorModule() {}

    /** True when the module is resolved in the layer this code runs in (the boot layer for a class-path application). */
    public static boolean present() {
        ModuleLayer layer = VectorModule.class.getModule().getLayer();
        return (layer != null ? layer : ModuleLayer.boot()).findModule(NAME).isPresent();
    }

    /**
     * Returns when the module is there, else throws an {@link IllegalStateException} whose message is one sentence
     * naming the JVM options to add.
     */
    public static void require() {
        if (!present()) {
            throw new IllegalStateException("lfm2vl needs the Vector API: start java with --add-modules " + NAME
                    + " --enable-native-access=ALL-UNNAMED (the " + NAME + " module is missing from this JVM)");
        }
    }
}
