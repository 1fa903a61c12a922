package dev.lfm2vl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.loader.Fixtures;
import dev.lfm2vl.loader.Json;
import dev.lfm2vl.runtime.ImagePlan;
import dev.lfm2vl.runtime.ImagePreprocessor;
import dev.lfm2vl.runtime.PreprocessMode;
import dev.lfm2vl.runtime.PromptTooLongException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The advice when an image prompt does not fit the context, and the warning when -c is capped. */
class ContextAdviceTest {
    private static CliRun caption(String... args) {
        List<String> all = new ArrayList<>(List.of("caption", "-m", Fixtures.textModel("Q4_0").toString(),
                "--mmproj", Fixtures.mmproj("F16").toString(), "-t", "2", "--temp", "0"));
        all.addAll(List.of(args));
        return CliRun.of(all.toArray(String[]::new));
    }

    /** A 65535x1 panorama: small as a PNG, but 10 tiles plus a 2047-token thumbnail at any --max-image-tokens. */
    private static Path panorama(Path dir) throws IOException {
        Path p = dir.resolve("pano.png");
        ImageIO.write(new BufferedImage(65535, 1, BufferedImage.TYPE_INT_RGB), "png", p.toFile());
        return p;
    }

    /** The prompt positions {@code plan} prints for {@code image} with {@code flags}. */
    private static int plannedPositions(Path image, String... flags) {
        List<String> args = new ArrayList<>(List.of("plan", "--json", "-m", Fixtures.textModel("Q4_0").toString(),
                "--mmproj", Fixtures.mmproj("F16").toString()));
        args.addAll(List.of(flags));
        args.add(image.toString());
        CliRun r = CliRun.of(args.toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.err());
        Map<String, Object> first = Json.object(Json.list(Json.object(Json.parse(r.out())).get("images")).get(0));
        return ((Number) first.get("prompt_positions")).intValue();
    }

    @Test
    void aPanoramaOverTheModelsContextIsToldWhatFitsWithThePositionsPlanComputes(@TempDir Path dir) throws IOException {
        Path pano = panorama(dir);
        int asIs = plannedPositions(pano, "--max-image-tokens", "64");
        int unsplit = plannedPositions(pano, "--max-image-tokens", "64", "--no-image-split");
        assertTrue(asIs > 4096 && unsplit < 4096, asIs + " / " + unsplit);

        CliRun r = caption("--max-image-tokens", "64", "-c", "8192", "-n", "4", pano.toString());
        assertEquals(2, r.exitCode(), r.err());
        List<String> lines = r.err().strip().lines().toList();
        assertEquals(List.of(
                "warning: --ctx-size 8192 is more than the model's context: using 4096 positions",
                "error: " + pano + ": the prompt takes " + asIs + " positions (4607 for images) but the context holds 4096 "
                        + "(the model's maximum); it fits with --no-image-split (" + unsplit + " positions), leaving room for -n 4"),
                lines);
        assertFalse(r.err().contains("raise --ctx-size"), "the advice can be followed: " + r.err());

        CliRun followed = caption("--max-image-tokens", "64", "-n", "4", "--no-image-split", "--json", pano.toString());
        assertEquals(0, followed.exitCode(), followed.err());
        assertEquals(unsplit, ((Number) Json.object(Json.parse(followed.out().strip())).get("prompt_positions")).intValue());
    }

    @Test
    void aPromptOverAGivenCtxSizeIsToldTheCtxSizeThatFitsAndTheSmallerOptions() {
        Path tall = Fixtures.file("images/img_1000x3000.png");
        int asIs = plannedPositions(tall);
        int smallerBudget = plannedPositions(tall, "--max-image-tokens", "128");
        int unsplit = plannedPositions(tall, "--no-image-split");
        CliRun r = caption("-c", "1000", "-n", "16", tall.toString());
        assertEquals(2, r.exitCode(), r.err());
        assertEquals("error: " + tall + ": the prompt takes " + asIs + " positions (1011 for images) but the context holds 1000; "
                + "it fits with --ctx-size " + (asIs + 16) + " or with --max-image-tokens 128 (" + smallerBudget + " positions) "
                + "or with --no-image-split (" + unsplit + " positions), "
                + "leaving room for -n 16", r.err().strip());
    }

    @Test
    void whenNothingFitsTheSmallestOptionIsNamedAndASmallerImageAdvised() {
        ImagePreprocessor.Options used = ImagePreprocessor.Options.defaults(PreprocessMode.HF, new float[] {0.5f, 0.5f, 0.5f},
                new float[] {0.5f, 0.5f, 0.5f});
        ImagePlan plan = new ImagePreprocessor(used).plan(65535, 1);
        PromptTooLongException e = new PromptTooLongException(20 + plan.totalPositions(), plan.totalImageTokens(), 1000, List.of(plan));
        String m = ContextAdvice.message(e, used, 1000, 16);
        int smallest = 20 + new ImagePreprocessor(used.withImageSplitting(false).withImageTokens(64, 64)).plan(65535, 1).totalPositions();
        assertTrue(m.endsWith("(the model's maximum); even --no-image-split --max-image-tokens 64 (" + smallest + " positions) does not fit: "
                + "use a smaller image"), m);
    }

    @Test
    void aCtxSizeWithinTheModelsContextIsNotWarnedAbout() {
        CliRun r = caption("-c", "4096", "-n", "2", "--quiet", Fixtures.file("images/img_64x48.png").toString());
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("", r.err());
    }

    @Test
    void maxImageTokensHelpSaysItDoesNotLimitTheTiles() {
        String help = CliRun.of("caption", "--help").out().replaceAll("\\s+", " ");
        assertTrue(help.contains("it does not limit the tiles"), help);
        assertTrue(help.contains("more is capped to it, with a warning"), help);
    }
}
