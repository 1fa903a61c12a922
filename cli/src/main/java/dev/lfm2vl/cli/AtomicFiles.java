package dev.lfm2vl.cli;

import dev.lfm2vl.loader.TempFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Writes output files through a temporary sibling and a rename, so an interrupted run leaves no broken file. */
final class AtomicFiles {
    private AtomicFiles() {}

    static void write(Path path, byte[] bytes) throws IOException {
        Path abs = path.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw new UserError(dir + ": no such directory");
        }
        Path tmp = TempFiles.sibling(abs);
        try {
            Files.write(tmp, bytes);
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
