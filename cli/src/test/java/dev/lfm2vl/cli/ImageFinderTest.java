package dev.lfm2vl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.loader.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How {@code caption}'s folder arguments become image files: symbolic links, cycles, duplicates. */
class ImageFinderTest {
    private static Path image(Path to) throws IOException {
        Files.createDirectories(to.getParent());
        return Files.write(to, new byte[] {1});
    }

    @Test
    void aFolderArgumentThatIsASymlinkIsListedLikeItsTarget(@TempDir Path dir) throws IOException {
        Path a = image(dir.resolve("real/a.png"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), dir.resolve("real"));
        ImageFinder.Found found = ImageFinder.find(List.of(link), false);
        assertEquals(List.of(link.resolve("a.png")), found.images());
        assertEquals(List.of(), found.problems());
        assertTrue(Files.isSameFile(a, found.images().get(0)));
    }

    @Test
    void symlinkedSubFoldersAreFollowedWithRecursiveAndALinkToAnAncestorDoesNotLoop(@TempDir Path dir) throws IOException {
        Path root = dir.resolve("root");
        Path top = image(root.resolve("top.png"));
        Path elsewhere = image(dir.resolve("elsewhere/far.jpg"));
        Files.createSymbolicLink(root.resolve("linked"), dir.resolve("elsewhere"));
        Files.createSymbolicLink(root.resolve("linked-again"), dir.resolve("elsewhere")); // same real folder
        Files.createSymbolicLink(dir.resolve("elsewhere/back-to-root"), root);            // a cycle
        Files.createSymbolicLink(root.resolve("self"), Path.of("."));                     // a cycle on itself
        Files.createSymbolicLink(root.resolve("gone.png"), dir.resolve("missing.png"));

        ImageFinder.Found found = ImageFinder.find(List.of(root), true);
        assertEquals(List.of(root.resolve("linked/far.jpg"), top), found.images(), "each real folder once, in path order");
        assertTrue(Files.isSameFile(elsewhere, found.images().get(0)));
        assertEquals(List.of(root.resolve("gone.png") + ": broken symbolic link"), found.problems());

        ImageFinder.Found flat = ImageFinder.find(List.of(root), false);
        assertEquals(List.of(top), flat.images(), "without --recursive linked folders are not entered");
    }

    @Test
    void oneImageReachedThroughALinkAndItsRealPathIsListedOnce(@TempDir Path dir) throws IOException {
        Path a = image(dir.resolve("real/a.png"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), dir.resolve("real"));
        assertEquals(List.of(a), ImageFinder.find(List.of(dir.resolve("real"), link), false).images());
        assertEquals(List.of(a), ImageFinder.find(List.of(a, link.resolve("a.png")), false).images());
    }

    @Test
    void captionTakesTheImagesOfASymlinkedFolder(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve("real"));
        Files.copy(Fixtures.dir().resolve("images/img_64x48.png"), dir.resolve("real/a.png"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), dir.resolve("real"));
        CliRun r = CliRun.of("caption", "-m", Fixtures.textModel("Q4_0").toString(), "--mmproj", Fixtures.mmproj("F16").toString(),
                "-t", "2", "-n", "2", "--temp", "0", "--json", "--quiet", link.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains(link.resolve("a.png").toString()), r.out());
    }
}
