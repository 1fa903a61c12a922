package dev.lfm2vl.loader;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/** Temporary files for atomic writes (write beside the target, then rename over it). */
public final class TempFiles {
    private TempFiles() {}

    /**
     * A new empty file {@code .<name>.<random>.tmp} beside {@code target}, created with the default permissions
     * (the umask's), not {@code Files.createTempFile}'s owner-only ones, so the renamed result is an ordinary file.
     */
    public static Path sibling(Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve("." + target.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            try {
                Files.newByteChannel(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return tmp;
            } catch (FileAlreadyExistsException e) {
                if (attempt > 100) {
                    throw e;
                }
            }
        }
    }
}
