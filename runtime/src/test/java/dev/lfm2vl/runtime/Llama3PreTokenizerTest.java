package dev.lfm2vl.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class Llama3PreTokenizerTest {

    @Test
    void splitsWordsNumbersPunctuationAndContractions() {
        assertEquals(List.of("Hello", ",", " world", "!"), Llama3PreTokenizer.split("Hello, world!"));
        assertEquals(List.of("don", "'t", " DON", "'T"), Llama3PreTokenizer.split("don't DON'T"));
        assertEquals(List.of("123", "45", " ", "6"), Llama3PreTokenizer.split("12345 6"));
        assertEquals(List.of("x", " <=", "y"), Llama3PreTokenizer.split("x <=y"));
    }

    @Test
    void whitespaceRunsLeaveOneSpaceForTheNextWord() {
        assertEquals(List.of("a", "  ", " b"), Llama3PreTokenizer.split("a   b"));
        assertEquals(List.of("a", "   "), Llama3PreTokenizer.split("a   "));
        assertEquals(List.of("a", " \n\n", "b"), Llama3PreTokenizer.split("a \n\nb"));
        // A single non-letter (here a tab) may lead a word, so the run keeps one tab for it.
        assertEquals(List.of("\t", "\tindent"), Llama3PreTokenizer.split("\t\tindent"));
    }

    @Test
    void backslashSIsUnicodeWhiteSpace() {
        // U+00A0, U+3000 and U+2028 are White_Space; U+200B (zero width space) is not.
        assertEquals(List.of("a", "\u00A0\u00A0", " b"), Llama3PreTokenizer.split("a\u00A0\u00A0 b"));
        assertEquals(List.of("a", "\u3000", "1"), Llama3PreTokenizer.split("a\u30001"));
        assertEquals(List.of("a", "\u3000b"), Llama3PreTokenizer.split("a\u3000b"));
        assertEquals(List.of("a", "\u2028", "\u2028b"), Llama3PreTokenizer.split("a\u2028\u2028b"));
        assertEquals(List.of("a", "\u3000", "\u3000b"), Llama3PreTokenizer.split("a\u3000\u3000b"));
        // A non-whitespace symbol run stays together instead.
        assertEquals(List.of("a", "\u00B7\u00B7", "b"), Llama3PreTokenizer.split("a\u00B7\u00B7b"));
        assertEquals(List.of("zero", "\u200Bwidth"), Llama3PreTokenizer.split("zero\u200Bwidth"));
    }

    @Test
    void lettersAndNumbersAreUnicodeCategories() {
        // Numbers take no leading space and come in groups of at most three digits.
        assertEquals(List.of("naïve", " 日本語", " ", "١٢٣", "٤"), Llama3PreTokenizer.split("naïve 日本語 ١٢٣٤"));
        assertEquals(List.of("😀😃", " 👍"), Llama3PreTokenizer.split("😀😃 👍"));
    }

    @Test
    void veryLongRunsDoNotOverflowTheRegexStack() {
        String s = "a".repeat(200_000) + " ".repeat(200_000) + "!".repeat(200_000) + "\n".repeat(100_000);
        assertEquals(s, String.join("", Llama3PreTokenizer.split(s)));
    }
}
