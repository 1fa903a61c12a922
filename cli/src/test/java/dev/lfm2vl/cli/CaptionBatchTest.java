package dev.lfm2vl.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.loader.Fixtures;
import dev.lfm2vl.loader.Json;
import dev.lfm2vl.runtime.ImageFormats;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code caption} over folders with {@code --jsonl}, {@code --json}, {@code --recursive}, on the tiny fixtures. */
class CaptionBatchTest {
    private static final List<String> RECORD_KEYS = List.of("path", "caption", "image_tokens", "prompt_positions",
            "generated_tokens", "timings", "stop_reason");

    private static CliRun caption(String... args) {
        List<String> all = new ArrayList<>(List.of("caption", "-m", Fixtures.textModel("Q4_0").toString(),
                "--mmproj", Fixtures.mmproj("F16").toString(), "-t", "2", "-n", "4", "--temp", "0"));
        all.addAll(List.of(args));
        return CliRun.of(all.toArray(String[]::new));
    }

    private static Path copyImage(String fixture, Path to) throws IOException {
        Files.createDirectories(to.getParent());
        return Files.copy(Fixtures.dir().resolve("images").resolve(fixture), to, StandardCopyOption.REPLACE_EXISTING);
    }

    /** A PNG whose header declares 20000x20000 pixels (400 MP, over the loader's limit). */
    private static Path hugePng(Path to) throws IOException {
        ByteBuffer ihdr = ByteBuffer.allocate(17).put("IHDR".getBytes()).putInt(20000).putInt(20000)
                .put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
        CRC32 crc = new CRC32();
        crc.update(ihdr.array());
        ByteBuffer png = ByteBuffer.allocate(8 + 4 + 17 + 4);
        png.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}).putInt(13).put(ihdr.array()).putInt((int) crc.getValue());
        return Files.write(to, png.array());
    }

    private static List<Map<String, Object>> jsonl(Path file) throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            out.add(Json.object(Json.parse(line)));
        }
        return out;
    }

    private static long headers(CliRun r) {
        return r.out().lines().filter(l -> l.startsWith("==> ")).count();
    }

    @Test
    void aFolderIsCaptionedBadImagesAreRecordedAndAResumeSkipsDoneImagesAndRetriesFailedOnes(@TempDir Path dir) throws IOException {
        Path images = dir.resolve("images");
        Path a = copyImage("img_64x48.png", images.resolve("a.png"));
        Path b = copyImage("img_64x48.png", images.resolve("B.PNG"));
        byte[] good = Files.readAllBytes(a);
        Path corrupt = Files.write(images.resolve("corrupt.png"), java.util.Arrays.copyOf(good, good.length / 2));
        Path huge = hugePng(images.resolve("huge.png"));
        Files.writeString(images.resolve("notes.txt"), "not an image");
        Path log = dir.resolve("captions.jsonl");

        CliRun first = caption("--jsonl", log.toString(), images.toString());
        assertEquals(2, first.exitCode(), first.err());
        assertEquals(2, headers(first), first.out());
        assertTrue(first.out().contains("==> " + a + " <==") && first.out().contains("==> " + b + " <=="), first.out());
        assertTrue(first.err().contains("error: " + corrupt + ": "), first.err());
        assertTrue(first.err().contains("error: " + huge + ": ") && first.err().contains("over the limit"), first.err());
        assertFalse(first.err().contains("notes.txt"), first.err());
        assertTrue(first.err().contains("[4/4] "), "plain progress lines when stderr is not a terminal: " + first.err());
        List<Map<String, Object>> records = jsonl(log);
        assertEquals(4, records.size());
        // sorted by path: B.PNG, a.png, corrupt.png, huge.png
        assertEquals(List.of(b.toString(), a.toString(), corrupt.toString(), huge.toString()),
                records.stream().map(r -> r.get("path")).toList());
        for (Map<String, Object> r : records.subList(0, 2)) {
            assertEquals(RECORD_KEYS, List.copyOf(r.keySet()));
            assertEquals(4.0, ((Number) r.get("generated_tokens")).doubleValue());
            assertEquals(List.of("encode_ms", "prefill_ms", "decode_ms", "total_ms"), List.copyOf(Json.object(r.get("timings")).keySet()));
            assertEquals("token_limit", r.get("stop_reason"));
        }
        assertEquals(records.get(0).get("caption"), records.get(1).get("caption"), "the same image at --temp 0");
        for (Map<String, Object> r : records.subList(2, 4)) {
            assertEquals(List.of("path", "error"), List.copyOf(r.keySet()));
        }

        CliRun second = caption("--jsonl", log.toString(), images.toString());
        assertEquals(2, second.exitCode(), second.err());
        assertEquals(0, headers(second), "done images are skipped: " + second.out());
        assertTrue(second.err().contains("skipping 2 of 4"), second.err());
        assertTrue(second.err().contains("error: " + corrupt + ": "), "failed images are tried again: " + second.err());
        assertEquals(records, jsonl(log), "one record per image: the new errors replace the old ones");

        Files.write(corrupt, good);
        Files.delete(huge);
        CliRun third = caption("--jsonl", log.toString(), "--quiet", images.toString());
        assertEquals(0, third.exitCode(), third.err());
        assertEquals(1, headers(third), third.out());
        assertTrue(third.out().contains("==> " + corrupt + " <=="), third.out());
        assertEquals("", third.err(), "--quiet: no progress, no notes");
        List<Map<String, Object>> after = jsonl(log);
        assertEquals(4, after.size(), "each image keeps its place; the caption replaces the error");
        assertEquals(records.subList(0, 2), after.subList(0, 2));
        assertEquals(corrupt.toString(), after.get(2).get("path"));
        assertEquals(records.get(0).get("caption"), after.get(2).get("caption"));
        assertEquals(records.get(3), after.get(3), "the error of an image not in this run is kept");
    }

    @Test
    void aTruncatedLastLineIsDroppedOnResumeAndTheFileStaysValidJsonl(@TempDir Path dir) throws IOException {
        Path a = copyImage("img_64x48.png", dir.resolve("imgs/a.png"));
        Path b = copyImage("img_64x48.png", dir.resolve("imgs/b.png"));
        Path log = dir.resolve("out.jsonl");
        String done = "{\"path\":" + "\"" + a + "\",\"caption\":\"earlier\",\"stop_reason\":\"token_limit\"}\n";
        Files.writeString(log, done + "{\"path\":\"" + b + "\",\"capt");
        CliRun r = caption("--jsonl", log.toString(), dir.resolve("imgs").toString());
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(List.of("==> " + b + " <=="), r.out().lines().filter(l -> l.startsWith("==> ")).toList());
        assertTrue(r.err().contains("dropped 1 unreadable line"), r.err());
        List<String> lines = Files.readAllLines(log);
        assertEquals(2, lines.size(), lines.toString());
        assertEquals(done.strip(), lines.get(0), "finished lines are kept byte for byte");
        Map<String, Object> rec = Json.object(Json.parse(lines.get(1)));
        assertEquals(b.toString(), rec.get("path"));
        assertEquals(RECORD_KEYS, List.copyOf(rec.keySet()));
    }

    @Test
    void aRerunCompactsTheJsonlToOneRecordPerImageKeepingEveryFinishedCaptionByteForByte(@TempDir Path dir) throws IOException {
        Path a = copyImage("img_64x48.png", dir.resolve("imgs/a.png"));
        Path b = copyImage("img_64x48.png", dir.resolve("imgs/b.png"));
        Path c = copyImage("img_64x48.png", dir.resolve("imgs/c.png"));
        Path gone = dir.resolve("elsewhere/gone.png"); // not in this run
        String captionA = "{\"path\":\"" + a + "\",\"caption\":\"earlier \\u00e9\\n\",\"stop_reason\":\"token_limit\"}";
        String captionC = "{\"path\":\"" + c + "\",\"caption\":\"c before\",\"stop_reason\":\"eos\"}";
        String errorB = "{\"path\":\"" + b + "\",\"error\":\"corrupt or unreadable image\"}";
        String errorC = "{\"path\":\"" + c + "\",\"error\":\"a later failure does not undo a caption\"}";
        String goneFirst = "{\"path\":\"" + gone + "\",\"error\":\"first\"}";
        String goneLatest = "{\"path\":\"" + gone + "\",\"error\":\"latest\"}";
        Path log = dir.resolve("out.jsonl");
        Files.writeString(log, String.join("\n", captionA, errorB, goneFirst, captionC, "{\"path\":\"" + b, errorB, errorC,
                goneLatest, "", errorB) + "\n{\"path\":\"" + b + "\",\"capt");

        CliRun r = caption("--jsonl", log.toString(), dir.resolve("imgs").toString());
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(List.of("==> " + b + " <=="), r.out().lines().filter(l -> l.startsWith("==> ")).toList(),
                "only the image that failed before is captioned again");
        assertTrue(r.err().contains("compacted: dropped 2 unreadable line(s)") && r.err().contains("and 4 older record(s)"), r.err());

        List<String> lines = Files.readAllLines(log);
        assertEquals(4, lines.size(), lines.toString());
        assertEquals(captionA, lines.get(0), "a finished caption is kept byte for byte");
        Map<String, Object> recB = Json.object(Json.parse(lines.get(1)));
        assertEquals(b.toString(), recB.get("path"));
        assertEquals(RECORD_KEYS, List.copyOf(recB.keySet()), "the retried image's caption replaces its errors");
        assertEquals(goneLatest, lines.get(2), "an image not in this run keeps its latest error");
        assertEquals(captionC, lines.get(3));
        assertTrue(Files.readString(log).endsWith("\n"));
        try (var files = Files.list(dir)) {
            assertEquals(List.of("imgs", "out.jsonl"), files.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary file is left beside the results");
        }

        byte[] compact = Files.readAllBytes(log);
        CliRun again = caption("--jsonl", log.toString(), dir.resolve("imgs").toString());
        assertEquals(0, again.exitCode(), again.err());
        assertFalse(again.err().contains("compacted"), again.err());
        assertArrayEquals(compact, Files.readAllBytes(log), "a compact file is left as it is");
    }

    @Test
    void nestedImagesAreFoundOnlyWithRecursive(@TempDir Path dir) throws IOException {
        Path top = copyImage("img_64x48.png", dir.resolve("top.jpg.png"));
        Path nested = copyImage("img_64x48.png", dir.resolve("sub/deeper/nested.PNG"));
        Files.writeString(dir.resolve("sub/readme.md"), "x");
        assertEquals(List.of(top), ImageFinder.find(List.of(dir), false).images());
        assertEquals(List.of(nested, top), ImageFinder.find(List.of(dir), true).images());

        CliRun flat = caption(dir.resolve("sub").toString());
        assertEquals(2, flat.exitCode());
        assertTrue(flat.err().startsWith("error: no images found in " + dir.resolve("sub")), flat.err());
        assertEquals(1, flat.err().strip().lines().count(), flat.err());

        CliRun deep = caption("--recursive", "--json", dir.resolve("sub").toString());
        assertEquals(0, deep.exitCode(), deep.err());
        assertEquals(nested.toString(), Json.object(Json.parse(deep.out().strip())).get("path"));
    }

    @Test
    void aTiffInAFolderIsCaptioned(@TempDir Path dir) throws IOException {
        Path tif = dir.resolve("scan.tif");
        assertTrue(ImageIO.write(ImageIO.read(Fixtures.dir().resolve("images/img_64x48.png").toFile()), "tiff", tif.toFile()));
        Files.writeString(dir.resolve("notes.txt"), "not an image");
        CliRun r = caption("--json", "--quiet", dir.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(tif.toString(), Json.object(Json.parse(r.out().strip())).get("path"));
    }

    @Test
    void captionHelpListsTheImageFormatsTheFolderScanTakes() {
        CliRun r = CliRun.of("caption", "--help");
        assertEquals(0, r.exitCode(), r.err());
        String help = r.out().replaceAll("\\s+", " ");
        assertTrue(help.contains("Image formats (file name extensions): " + ImageFormats.describe() + "."), help);
        assertTrue(help.contains("TIFF (tif, tiff)"), help);
        assertTrue(help.contains("Images (" + ImageFormats.names() + ")"), help);
        assertFalse(help.contains("${sys:"), "every variable is resolved: " + help);
    }

    @Test
    void missingPathsAreReportedAndSkipped(@TempDir Path dir) throws IOException {
        Path a = copyImage("img_64x48.png", dir.resolve("a.png"));
        CliRun r = caption("--json", dir.resolve("nope.png").toString(), a.toString());
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().startsWith("error: " + dir.resolve("nope.png") + ": no such file"), r.err());
        assertEquals(1, r.out().strip().lines().count(), r.out());

        CliRun none = caption(dir.resolve("nope.png").toString());
        assertEquals(2, none.exitCode());
        assertEquals(1, none.err().strip().lines().count(), none.err());
        assertTrue(none.err().startsWith("error: "), none.err());
    }

    @Test
    void jsonPrintsOneParsableLinePerImageAndIsDeterministicAtTemperatureZero(@TempDir Path dir) throws IOException {
        Path a = copyImage("img_64x48.png", dir.resolve("a.png"));
        Path b = copyImage("img_256x384.png", dir.resolve("b.png"));
        Path bad = Files.writeString(dir.resolve("c.png"), "not a png");
        String[] args = {"--json", "--quiet", dir.toString()};
        CliRun first = caption(args);
        assertEquals(2, first.exitCode(), first.err());
        List<String> lines = first.out().strip().lines().toList();
        assertEquals(3, lines.size(), first.out());
        Map<String, Object> ra = Json.object(Json.parse(lines.get(0)));
        Map<String, Object> rb = Json.object(Json.parse(lines.get(1)));
        Map<String, Object> rc = Json.object(Json.parse(lines.get(2)));
        assertEquals(RECORD_KEYS, List.copyOf(ra.keySet()));
        assertEquals(a.toString(), ra.get("path"));
        assertEquals(70.0, ((Number) ra.get("image_tokens")).doubleValue());
        assertEquals(96.0, ((Number) rb.get("image_tokens")).doubleValue());
        assertEquals(bad.toString(), rc.get("path"));
        assertNotNull(rc.get("error"));
        assertEquals(1, first.err().strip().lines().count(), "--quiet leaves only the error: " + first.err());

        CliRun again = caption(args);
        List<String> lines2 = again.out().strip().lines().toList();
        for (int i = 0; i < 3; i++) {
            Map<String, Object> x = Json.object(Json.parse(lines.get(i)));
            Map<String, Object> y = Json.object(Json.parse(lines2.get(i)));
            x.remove("timings");
            y.remove("timings");
            assertEquals(x, y);
        }
    }
}
