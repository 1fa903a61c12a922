package dev.lfm2vl.runtime;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * GPT-2 byte-level alphabet ({@code bytes_to_unicode}): every byte maps to one printable code point.
 * Bytes 0x21–0x7E, 0xA1–0xAC and 0xAE–0xFF map to themselves; the remaining 68 bytes map, in
 * increasing byte order, to U+0100, U+0101, …
 */
final class ByteLevel {
    private static final char[] BYTE_TO_CHAR = new char[256];
    /** Inverse map indexed by code point (all mapped code points are below 0x144); -1 when unmapped. */
    private static final int[] CHAR_TO_BYTE = new int[0x200];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 0x100;
        for (int b = 0; b < 256; b++) {
            boolean self = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = self ? (char) b : (char) next++;
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {}

    /** The mapped character of one byte. */
    static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The byte of a mapped code point, or -1 if the code point is not in the byte-level alphabet. */
    static int byteOf(int codePoint) {
        return codePoint >= 0 && codePoint < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[codePoint] : -1;
    }

    /** Maps the UTF-8 bytes of {@code text} to the byte-level alphabet (one char per byte). */
    static String encode(String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        char[] out = new char[utf8.length];
        for (int i = 0; i < utf8.length; i++) {
            out[i] = BYTE_TO_CHAR[utf8[i] & 0xFF];
        }
        return new String(out);
    }

    /**
     * Inverse mapping: each code point of {@code mapped} back to its byte. A code point outside the
     * alphabet (should not occur in a byte-level vocabulary) is passed through as its own UTF-8 bytes.
     */
    static byte[] decode(String mapped) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(mapped.length());
        for (int i = 0; i < mapped.length(); ) {
            int cp = mapped.codePointAt(i);
            i += Character.charCount(cp);
            int b = byteOf(cp);
            if (b >= 0) {
                out.write(b);
            } else {
                out.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
            }
        }
        return out.toByteArray();
    }
}
