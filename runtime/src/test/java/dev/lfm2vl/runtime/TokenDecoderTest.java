package dev.lfm2vl.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokenDecoderTest {

    /** Bytes vocabulary plus one token spanning the end of 'é' and the start of '日'. */
    private static Tokenizer crossBoundaryVocab() {
        List<String> tokens = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        tokens.add("<s>");
        types.add(Tokenizer.TYPE_CONTROL);
        for (int b = 0; b < 256; b++) {
            tokens.add(String.valueOf(ByteLevel.charOf(b)));
            types.add(Tokenizer.TYPE_NORMAL);
        }
        String cross = "" + ByteLevel.charOf(0xA9) + ByteLevel.charOf(0xE6);
        tokens.add(cross);
        types.add(Tokenizer.TYPE_NORMAL);
        return Tokenizer.of(tokens.toArray(new String[0]), types.stream().mapToInt(Integer::intValue).toArray(),
                new String[] {ByteLevel.charOf(0xA9) + " " + ByteLevel.charOf(0xE6)}, 0, -1, true);
    }

    @Test
    void tokensSpanningCharacterBoundariesReleaseOnlyCompleteCharacters() {
        Tokenizer t = crossBoundaryVocab();
        int[] ids = t.encode("é日", false, false); // C3 | A9 E6 | 97 | A5
        assertArrayEquals(new int[] {1 + 0xC3, 257, 1 + 0x97, 1 + 0xA5}, ids);
        TokenDecoder d = t.newDecoder(false);
        assertEquals("", d.accept(ids[0]));
        assertEquals("é", d.accept(ids[1]));
        assertEquals(1, d.pendingBytes());
        assertEquals("", d.accept(ids[2]));
        assertEquals("日", d.accept(ids[3]));
        assertEquals("", d.flush());
    }

    @Test
    void flushRendersAnUnfinishedCharacterAsReplacement() {
        Tokenizer t = crossBoundaryVocab();
        TokenDecoder d = t.newDecoder(false);
        assertEquals("", d.accept(1 + 0xF0));
        assertEquals("", d.accept(1 + 0x9F));
        assertEquals("\uFFFD", d.flush());
        assertEquals(0, d.pendingBytes());
    }

    @Test
    void invalidBytesAreNotHeldBack() {
        Tokenizer t = crossBoundaryVocab();
        TokenDecoder d = t.newDecoder(false);
        assertEquals("\uFFFD", d.accept(1 + 0xFF)); // never valid in UTF-8
        assertEquals("\uFFFD", d.accept(1 + 0x80)); // stray continuation byte
        assertEquals("a", d.accept(1 + 'a'));
    }

    @Test
    void completePrefixFindsTheLastCharacterBoundary() {
        byte[] b = {'a', (byte) 0xE6, (byte) 0x97};
        assertEquals(1, TokenDecoder.completePrefix(b, 3));
        assertEquals(1, TokenDecoder.completePrefix(b, 2));
        assertEquals(1, TokenDecoder.completePrefix(b, 1));
        byte[] full = {(byte) 0xE6, (byte) 0x97, (byte) 0xA5};
        assertEquals(3, TokenDecoder.completePrefix(full, 3));
        byte[] four = {(byte) 0xF0, (byte) 0x9F, (byte) 0x99, (byte) 0x82};
        assertEquals(0, TokenDecoder.completePrefix(four, 3));
        assertEquals(4, TokenDecoder.completePrefix(four, 4));
    }
}
