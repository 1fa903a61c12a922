package dev.lfm2vl.cli;

import dev.lfm2vl.runtime.ImageFormats;
import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Expands the {@code caption} arguments into image files: a file is taken as is (whatever its name), a folder
 * contributes its image files by extension ({@link ImageFormats}), sorted by path, only its top level unless recursive. Symbolic links
 * are followed (folder arguments, linked sub-folders and files); each real folder is listed once, so a link to an
 * ancestor does not loop. Paths that do not exist or cannot be listed become problems, not failures. Each file is
 * listed once.
 */
final class ImageFinder {
    /** The images found, in order, and one message per path that could not be used. */
    record Found(List<Path> images, List<String> problems) {}

    private ImageFinder() {}

    static Found find(List<Path> args, boolean recursive) {
        Walk walk = new Walk(recursive);
        List<Path> images = new ArrayList<>();
        Set<Path> seen = new HashSet<>();
        for (Path arg : args) {
            if (Files.isDirectory(arg)) { // follows a link: a linked folder is a folder
                List<Path> inDir = new ArrayList<>();
                walk.list(arg, inDir);
                inDir.sort(null);
                for (Path p : inDir) {
                    if (seen.add(identity(p))) {
                        images.add(p);
                    }
                }
            } else if (Files.exists(arg)) {
                if (seen.add(identity(arg))) {
                    images.add(arg);
                }
            } else {
                walk.problems.add(arg + ": no such file or folder");
            }
        }
        return new Found(List.copyOf(images), List.copyOf(walk.problems));
    }

    /**
     * The folder listing of one {@link #find}. Links are followed like their targets (a walk with {@code Files.walkFileTree}
     * without FOLLOW_LINKS sees a link to a folder as a file and skips it). The real paths of the folders already
     * listed are kept, so that a folder reached twice (two links, a link to an ancestor, an argument inside another)
     * is listed once and cycles end; entries are taken in name order so that which path of a folder reached twice is
     * kept does not depend on the order the file system lists them in.
     */
    private static final class Walk {
        final boolean recursive;
        final Set<Path> listedDirs = new HashSet<>();
        final List<String> problems = new ArrayList<>();

        Walk(boolean recursive) {
            this.recursive = recursive;
        }

        /** Adds the image files of {@code dir} (and, recursive, of its sub-folders) to {@code into}. */
        void list(Path dir, List<Path> into) {
            if (!listedDirs.add(identity(dir))) {
                return;
            }
            List<Path> entries = new ArrayList<>();
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
                stream.forEach(entries::add);
            } catch (IOException | DirectoryIteratorException e) {
                problems.add(dir + ": cannot be listed (" + Main.describe(e instanceof DirectoryIteratorException d ? d.getCause() : e) + ")");
                return;
            }
            entries.sort(null);
            for (Path entry : entries) {
                if (Files.isDirectory(entry)) {
                    if (recursive) {
                        list(entry, into);
                    }
                } else if (ImageFormats.hasImageExtension(entry)) {
                    if (Files.isRegularFile(entry)) {
                        into.add(entry);
                    } else if (Files.isSymbolicLink(entry) && !Files.exists(entry)) {
                        problems.add(entry + ": broken symbolic link");
                    }
                }
            }
        }
    }

    /** The file or folder a path leads to, links resolved: one image reached by two paths is captioned once. */
    private static Path identity(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return key(p);
        }
    }

    /** The identity of a path for de-duplication and resume: absolute and normalised. */
    static Path key(Path p) {
        return p.toAbsolutePath().normalize();
    }
}
