package dev.lfm2vl.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.loader.Fixtures;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.Base64;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageLoaderTest {
    @TempDir
    Path dir;

    /** A 4x3 image with distinct colours: R = 10 + 60x, G = 20 + 100y, B = 5 + 30xy. */
    private static BufferedImage pattern(int type) {
        BufferedImage img = new BufferedImage(4, 3, type);
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 4; x++) {
                img.setRGB(x, y, (0xFF << 24) | (r(x) << 16) | (g(y) << 8) | b(x, y));
            }
        }
        return img;
    }

    private static int r(int x) {
        return 10 + 60 * x;
    }

    private static int g(int y) {
        return 20 + 100 * y;
    }

    private static int b(int x, int y) {
        return 5 + 30 * x * y;
    }

    private static void assertPattern(RgbImage img, int tolerance) {
        assertEquals(4, img.width());
        assertEquals(3, img.height());
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 4; x++) {
                String at = "pixel " + x + "," + y;
                assertEquals(r(x), img.get(x, y, 0), tolerance, at);
                assertEquals(g(y), img.get(x, y, 1), tolerance, at);
                assertEquals(b(x, y), img.get(x, y, 2), tolerance, at);
            }
        }
    }

    private Path write(BufferedImage img, String format, String name) throws IOException {
        Path p = dir.resolve(name);
        assertTrue(ImageIO.write(img, format, p.toFile()), "no writer for " + format);
        return p;
    }

    @Test
    void loadsPngExactly() throws IOException {
        assertPattern(ImageLoader.load(write(pattern(BufferedImage.TYPE_INT_RGB), "png", "a.png")), 0);
    }

    @Test
    void loadsBmpExactly() throws IOException {
        assertPattern(ImageLoader.load(write(pattern(BufferedImage.TYPE_INT_RGB), "bmp", "a.bmp")), 0);
    }

    @Test
    void loadsTiffExactly() throws IOException {
        assertPattern(ImageLoader.load(write(pattern(BufferedImage.TYPE_INT_RGB), "tiff", "a.tif")), 0);
    }

    @Test
    void everySupportedExtensionHasAnImageIoReader() {
        for (String ext : ImageFormats.extensions()) {
            assertTrue(ImageIO.getImageReadersBySuffix(ext).hasNext(), "no javax.imageio reader for ." + ext);
        }
        assertTrue(ImageFormats.hasImageExtension(Path.of("scan.TIFF")));
        assertFalse(ImageFormats.hasImageExtension(Path.of("notes.txt")));
        assertEquals("PNG, JPEG, BMP, GIF, TIFF and WebP", ImageFormats.names());
    }

    @Test
    void anOutOfMemoryErrorTheReaderWrapsIsReportedAsMemoryNotAsACorruptImage() {
        // the JDK's PNG reader turns any Throwable into IIOException("Caught exception during read: ", cause)
        Exception wrapped = new javax.imageio.IIOException("Caught exception during read: ", new OutOfMemoryError("Java heap space"));
        assertTrue(ImageLoader.causedByOutOfMemory(wrapped));
        assertFalse(ImageLoader.causedByOutOfMemory(new javax.imageio.IIOException("Error reading PNG image data")));
        ImageMemoryException e = new ImageMemoryException("cannot load image p.png: ", "decode a 30000x30000 PNG image",
                5_400L << 20, 1L << 30, 1L << 30);
        assertEquals("cannot load image p.png: not enough memory to decode a 30000x30000 PNG image (needs ~5400 MB; the JVM "
                + "has 1024 MB)", e.getMessage());
        assertEquals(7, e.suggestedHeapGigabytes(), "5400 MB with a quarter to spare, in whole gigabytes");
    }

    @Test
    void decodingIsEstimatedFromTheReadersRawTypeBeforeAnyPixelIsRead() throws IOException {
        Path p = write(pattern(BufferedImage.TYPE_INT_RGB), "png", "a.png");
        try (var in = ImageIO.createImageInputStream(p.toFile())) {
            var reader = ImageIO.getImageReaders(in).next();
            reader.setInput(in);
            assertEquals(1000L * (3 + 3), ImageLoader.decodeBytes(reader, 1000), "8-bit RGB: 3 bytes decoded + 3 as RGB");
            reader.dispose();
        }
    }

    @Test
    void loadsJpegApproximately() throws IOException {
        // JPEG is lossy (and chroma-subsampled): solid 16x16 blocks stay close to their colour
        BufferedImage img = new BufferedImage(32, 16, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 32; x++) {
                img.setRGB(x, y, x < 16 ? 0xC86432 : 0x3264C8);
            }
        }
        RgbImage got = ImageLoader.load(write(img, "jpg", "a.jpg"));
        assertEquals(32, got.width());
        assertEquals(16, got.height());
        assertEquals(200, got.get(4, 8, 0), 6);
        assertEquals(100, got.get(4, 8, 1), 6);
        assertEquals(50, got.get(4, 8, 2), 6);
        assertEquals(50, got.get(28, 8, 0), 6);
        assertEquals(200, got.get(28, 8, 2), 6);
    }

    @Test
    void loadsTheFirstFrameOfAGifThroughItsPalette() throws IOException {
        byte[] reds = {(byte) 200, 10, 0, (byte) 255};
        byte[] greens = {100, 20, 0, (byte) 255};
        byte[] blues = {50, 30, 0, (byte) 255};
        IndexColorModel icm = new IndexColorModel(8, 4, reds, greens, blues);
        // (the JDK's GIF writer/reader pair loses rows of a 5x2 image, so use 8x8)
        BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_INDEXED, icm);
        WritableRaster r = img.getRaster();
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                r.setSample(x, y, 0, y == 0 ? 0 : 1);
            }
        }
        RgbImage got = ImageLoader.load(write(img, "gif", "a.gif"));
        assertEquals(8, got.width());
        assertEquals(8, got.height());
        assertArrayEquals(new int[] {200, 100, 50}, new int[] {got.get(3, 0, 0), got.get(3, 0, 1), got.get(3, 0, 2)});
        assertArrayEquals(new int[] {10, 20, 30}, new int[] {got.get(3, 1, 0), got.get(3, 1, 1), got.get(3, 1, 2)});
    }

    @Test
    void greyscalePngIsReplicatedToRgbWithoutGammaConversion() throws IOException {
        BufferedImage img = new BufferedImage(3, 1, BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setSample(0, 0, 0, 0);
        img.getRaster().setSample(1, 0, 0, 100);
        img.getRaster().setSample(2, 0, 0, 255);
        RgbImage got = ImageLoader.load(write(img, "png", "g.png"));
        int[] expected = {0, 100, 255};
        for (int x = 0; x < 3; x++) {
            for (int c = 0; c < 3; c++) {
                assertEquals(expected[x], got.get(x, 0, c));
            }
        }
    }

    @Test
    void alphaIsDroppedWithoutCompositingLikeStbImage() throws IOException {
        BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
        img.setRGB(0, 0, 0x00C86432); // fully transparent, colour kept
        img.setRGB(1, 0, 0x80102030); // half transparent
        RgbImage got = ImageLoader.load(write(img, "png", "rgba.png"));
        assertArrayEquals(new int[] {200, 100, 50}, new int[] {got.get(0, 0, 0), got.get(0, 0, 1), got.get(0, 0, 2)});
        assertArrayEquals(new int[] {16, 32, 48}, new int[] {got.get(1, 0, 0), got.get(1, 0, 1), got.get(1, 0, 2)});
    }

    @Test
    void sixteenBitPngKeepsTheTopByteOfEachChannel() throws IOException {
        BufferedImage grey = new BufferedImage(2, 1, BufferedImage.TYPE_USHORT_GRAY);
        grey.getRaster().setSample(0, 0, 0, 0x12FF);
        grey.getRaster().setSample(1, 0, 0, 0xFFFF);
        RgbImage g = ImageLoader.load(write(grey, "png", "g16.png"));
        assertEquals(0x12, g.get(0, 0, 0));
        assertEquals(0x12, g.get(0, 0, 2));
        assertEquals(0xFF, g.get(1, 0, 1));

        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false,
                Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        WritableRaster raster = cm.createCompatibleWritableRaster(1, 1);
        raster.setPixel(0, 0, new int[] {0xABCD, 0x0180, 0x7FFF});
        BufferedImage rgb16 = new BufferedImage(cm, raster, false, null);
        RgbImage c = ImageLoader.load(write(rgb16, "png", "rgb16.png"));
        assertArrayEquals(new int[] {0xAB, 0x01, 0x7F}, new int[] {c.get(0, 0, 0), c.get(0, 0, 1), c.get(0, 0, 2)});
    }

    @Test
    void loadsLosslessAndLossyWebp() throws IOException {
        // written with libwebp's cwebp: the 4x3 pattern (-lossless) and a 16x16 solid (200,100,50) at -q 90
        Path lossless = dir.resolve("t.webp");
        Files.write(lossless, Base64.getDecoder().decode(
                "UklGRlIAAABXRUJQVlA4TEYAAAAvA4AAAF9gkG2kQhzMAT3WAx0imbRN72mK/AlTyEYSNPdpjD/AISzY/Ed2Fz4ghO7yaAHAeiAIIHGKJZEN1llg1oj+R4c5"));
        assertPattern(ImageLoader.load(lossless), 0);
        Path lossy = dir.resolve("s.webp");
        Files.write(lossy, Base64.getDecoder().decode(
                "UklGRj4AAABXRUJQVlA4IDIAAADQAQCdASoQABAAAMASJaACdLoB+AADsAD+2ib/7vN+09e09f1M//jKnyA/4yp/xcwAAA=="));
        RgbImage s = ImageLoader.load(lossy);
        assertEquals(16, s.width());
        assertEquals(200, s.get(8, 8, 0), 3);
        assertEquals(100, s.get(8, 8, 1), 3);
        assertEquals(50, s.get(8, 8, 2), 3);
    }

    @Test
    void loadsTheFixturePngWithoutModifyingIt() throws IOException {
        Path p = Fixtures.file("images/img_64x48.png");
        byte[] before = Files.readAllBytes(p);
        FileTime mtime = Files.getLastModifiedTime(p);
        RgbImage img = ImageLoader.load(p);
        assertEquals(64, img.width());
        assertEquals(48, img.height());
        assertArrayEquals(before, Files.readAllBytes(p));
        assertEquals(mtime, Files.getLastModifiedTime(p));
    }

    private static void assertOneLine(ImageLoadException e, Path file, String reasonPart) {
        String m = e.getMessage();
        assertFalse(m.contains("\n") || m.contains("\r"), "multi-line message: " + m);
        assertTrue(m.contains(file.toString()), "message does not name the file: " + m);
        assertTrue(m.toLowerCase().contains(reasonPart), "message lacks '" + reasonPart + "': " + m);
    }

    @Test
    void truncatedPngIsAOneLineError() throws IOException {
        BufferedImage img = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                img.setRGB(x, y, x * 7919 + y * 104729);
            }
        }
        Path p = write(img, "png", "cut.png");
        byte[] all = Files.readAllBytes(p);
        Files.write(p, Arrays.copyOf(all, all.length / 2));
        ImageLoadException e = assertThrows(ImageLoadException.class, () -> ImageLoader.load(p));
        assertOneLine(e, p, "corrupt");
    }

    @Test
    void truncatedJpegIsAOneLineError() throws IOException {
        BufferedImage img = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                img.setRGB(x, y, x * 7919 + y * 104729);
            }
        }
        Path p = write(img, "jpg", "cut.jpg");
        byte[] all = Files.readAllBytes(p);
        Files.write(p, Arrays.copyOf(all, all.length * 2 / 3));
        ImageLoadException e = assertThrows(ImageLoadException.class, () -> ImageLoader.load(p));
        assertOneLine(e, p, "truncated");
    }

    @Test
    void corruptPngDataIsAOneLineError() throws IOException {
        Path p = write(pattern(BufferedImage.TYPE_INT_RGB), "png", "bad.png");
        byte[] all = Files.readAllBytes(p);
        for (int i = 40; i < all.length - 12; i++) {
            all[i] ^= 0x5A; // scramble everything after IHDR
        }
        Files.write(p, all);
        ImageLoadException e = assertThrows(ImageLoadException.class, () -> ImageLoader.load(p));
        assertOneLine(e, p, "corrupt");
    }

    @Test
    void nonImageFileIsAOneLineError() throws IOException {
        Path p = dir.resolve("notes.txt");
        Files.writeString(p, "this is not an image\n");
        ImageLoadException e = assertThrows(ImageLoadException.class, () -> ImageLoader.load(p));
        assertOneLine(e, p, "unsupported");
        Path missing = dir.resolve("missing.png");
        assertOneLine(assertThrows(ImageLoadException.class, () -> ImageLoader.load(missing)), missing, "not found");
    }

    /** A PNG whose IHDR declares {@code w x h} pixels, followed by a tiny IDAT and IEND (never a full image). */
    private static byte[] pngHeaderOnly(int w, int h) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(ihdr);
        d.writeInt(w);
        d.writeInt(h);
        d.write(new byte[] {8, 2, 0, 0, 0}); // 8-bit RGB, deflate, no filter, no interlace
        chunk(out, "IHDR", ihdr.toByteArray());
        chunk(out, "IDAT", new byte[] {0x78, (byte) 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
        chunk(out, "IEND", new byte[0]);
        return bytes.toByteArray();
    }

    private static void chunk(DataOutputStream out, String type, byte[] data) throws IOException {
        out.writeInt(data.length);
        byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        out.write(t);
        out.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeInt((int) crc.getValue());
    }

    @Test
    void imageOverThePixelLimitIsRejectedFromItsHeaderBeforeDecoding() throws IOException {
        Path p = dir.resolve("bomb.png");
        Files.write(p, pngHeaderOnly(100_000, 100_000)); // 10 gigapixels declared, 70 bytes on disk
        ImageLoadException e = assertThrows(ImageLoadException.class, () -> ImageLoader.load(p));
        assertOneLine(e, p, "over the limit");
        assertTrue(e.getMessage().contains("100000x100000"), e.getMessage());
    }

    @Test
    void pixelLimitIsConfigurable() throws IOException {
        Path p = write(pattern(BufferedImage.TYPE_INT_RGB), "png", "small.png");
        assertOneLine(assertThrows(ImageLoadException.class, () -> ImageLoader.load(p, 11)), p, "over the limit");
        assertPattern(ImageLoader.load(p, 12), 0);
    }

    @Test
    void bytesInMemoryLoadExactlyAsTheSameFileDoes() throws IOException {
        Path p = Fixtures.file("images/img_256x384.png");
        RgbImage fromFile = ImageLoader.load(p);
        RgbImage fromBytes = ImageLoader.load(Files.readAllBytes(p), "upload", ImageLoader.DEFAULT_MAX_PIXELS);
        assertEquals(fromFile.width(), fromBytes.width());
        assertEquals(fromFile.height(), fromBytes.height());
        assertArrayEquals(fromFile.rgb(), fromBytes.rgb());
    }

    @Test
    void badBytesInMemoryAreOneLineErrorsNamingTheImage() throws IOException {
        String name = "image 1";
        ImageLoadException notImage = assertThrows(ImageLoadException.class,
                () -> ImageLoader.load("not an image".getBytes(java.nio.charset.StandardCharsets.UTF_8), name, 1000));
        assertTrue(notImage.getMessage().startsWith("cannot load image image 1: unsupported"), notImage.getMessage());
        ImageLoadException empty = assertThrows(ImageLoadException.class, () -> ImageLoader.load(new byte[0], name, 1000));
        assertTrue(empty.getMessage().contains("empty"), empty.getMessage());
        ImageLoadException bomb = assertThrows(ImageLoadException.class, () -> ImageLoader.load(pngHeaderOnly(100_000, 100_000), name, 1000));
        assertTrue(bomb.getMessage().contains("over the limit") && !bomb.getMessage().contains("\n"), bomb.getMessage());
    }
}
