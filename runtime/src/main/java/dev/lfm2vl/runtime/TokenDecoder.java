package dev.lfm2vl.runtime;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Streaming detokenizer: feed token ids one at a time, get back the text that became complete.
 * Bytes of an unfinished multi-byte UTF-8 character are held until the next token completes it, so
 * a returned string never ends in half a character. Invalid byte sequences are not held forever:
 * they come out as U+FFFD, exactly as {@link Tokenizer#decode} would render them. Not thread-safe.
 */
public final class TokenDecoder {
    private final Tokenizer tokenizer;
    private final boolean showSpecial;
    private byte[] buf = new byte[16];
    private int len;

    TokenDecoder(Tokenizer tokenizer, boolean showSpecial) {
        this.tokenizer = tokenizer;
        this.showSpecial = showSpecial;
    }

    /** Appends the bytes of token {@code id}; returns the text that is now complete (possibly ""). */
    public String accept(int id) {
        byte[] p = tokenizer.pieceBytes(id, showSpecial);
        if (len + p.length > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + p.length));
        }
        System.arraycopy(p, 0, buf, len, p.length);
        len += p.length;
        int complete = completePrefix(buf, len);
        if (complete == 0) {
            return "";
        }
        String s = new String(buf, 0, complete, StandardCharsets.UTF_8);
        System.arraycopy(buf, complete, buf, 0, len - complete);
        len -= complete;
        return s;
    }

    /** Returns whatever is still buffered (an incomplete character becomes U+FFFD) and resets. */
    public String flush() {
        String s = new String(buf, 0, len, StandardCharsets.UTF_8);
        len = 0;
        return s;
    }

    /** Number of bytes held back waiting for the rest of a character. */
    public int pendingBytes() {
        return len;
    }

    /**
     * Length of the longest prefix that does not end inside a (so far valid) multi-byte character:
     * if the buffer ends with a lead byte plus fewer continuation bytes than it announces, that tail
     * is excluded; everything else (including invalid bytes) is complete.
     */
    static int completePrefix(byte[] b, int len) {
        for (int i = len - 1; i >= 0 && i >= len - 4; i--) {
            int c = b[i] & 0xFF;
            if ((c & 0xC0) == 0x80) {
                continue; // continuation byte: keep looking for its lead byte
            }
            int need;
            if (c >= 0xC2 && c <= 0xDF) {
                need = 2;
            } else if (c >= 0xE0 && c <= 0xEF) {
                need = 3;
            } else if (c >= 0xF0 && c <= 0xF4) {
                need = 4;
            } else {
                return len; // ASCII or an invalid lead byte: nothing to wait for
            }
            return len - i < need ? i : len;
        }
        return len;
    }
}
