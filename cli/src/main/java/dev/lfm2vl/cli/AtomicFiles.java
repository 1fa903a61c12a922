package dev.lfm2vl.cli;

import dev.lfm2vl.loader.TempFiles;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;

/**
 * Writes output files through a temporary sibling and a rename, so an interrupted run leaves no broken file: the
 * old content or the new one. The temporary file is forced to disk before the rename (else a crash soon after could
 * leave the new name on an empty file), and it takes the replaced file's permissions.
 */
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
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            keepPermissions(abs, tmp);
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Gives {@code tmp} the permissions of {@code target} when it exists (POSIX file systems only). */
    private static void keepPermissions(Path target, Path tmp) {
        PosixFileAttributeView view = Files.getFileAttributeView(target, PosixFileAttributeView.class);
        if (view == null || !Files.exists(target)) {
            return;
        }
        try {
            Files.setPosixFilePermissions(tmp, view.readAttributes().permissions());
        } catch (IOException | UnsupportedOperationException e) {
            // best effort: the default permissions are not wrong, only different
        }
    }
}
