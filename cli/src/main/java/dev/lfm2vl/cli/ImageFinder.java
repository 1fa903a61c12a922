package dev.lfm2vl.cli;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Expands the {@code caption} arguments into image files: a file is taken as is (whatever its name), a folder
 * contributes its image files by extension, sorted by path, only its top level unless recursive. Paths that do
 * not exist or cannot be listed become problems, not failures. Each file is listed once.
 */
final class ImageFinder {
    /** File name extensions taken from folders (compared case-insensitively). */
    static final List<String> EXTENSIONS = List.of("png", "jpg", "jpeg", "bmp", "gif", "webp");

    /** The images found, in order, and one message per path that could not be used. */
    record Found(List<Path> images, List<String> problems) {}

    private ImageFinder() {}

    static boolean hasImageExtension(Path file) {
        String name = file.getFileName() == null ? "" : file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    static Found find(List<Path> args, boolean recursive) {
        List<Path> images = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        Set<Path> seen = new HashSet<>();
        for (Path arg : args) {
            if (Files.isDirectory(arg)) {
                List<Path> inDir = new ArrayList<>();
                try {
                    Files.walkFileTree(arg, java.util.EnumSet.noneOf(java.nio.file.FileVisitOption.class),
                            recursive ? Integer.MAX_VALUE : 1, new SimpleFileVisitor<>() {
                                @Override
                                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                                    // at the depth limit folders are visited as files: skip them
                                    if (hasImageExtension(file) && Files.isRegularFile(file)) {
                                        inDir.add(file);
                                    }
                                    return FileVisitResult.CONTINUE;
                                }

                                @Override
                                public FileVisitResult visitFileFailed(Path file, IOException e) {
                                    problems.add(file + ": cannot be read (" + Main.describe(e) + ")");
                                    return FileVisitResult.CONTINUE;
                                }
                            });
                } catch (IOException e) {
                    problems.add(arg + ": cannot be listed (" + Main.describe(e) + ")");
                }
                inDir.sort(null);
                for (Path p : inDir) {
                    if (seen.add(key(p))) {
                        images.add(p);
                    }
                }
            } else if (Files.exists(arg)) {
                if (seen.add(key(arg))) {
                    images.add(arg);
                }
            } else {
                problems.add(arg + ": no such file or folder");
            }
        }
        return new Found(List.copyOf(images), List.copyOf(problems));
    }

    /** The identity of a path for de-duplication and resume: absolute and normalised. */
    static Path key(Path p) {
        return p.toAbsolutePath().normalize();
    }
}
