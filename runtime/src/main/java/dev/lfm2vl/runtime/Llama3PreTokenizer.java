package dev.lfm2vl.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Llama-3 pre-tokenizer split (llama.cpp {@code LLAMA_VOCAB_PRE_TYPE_LLAMA3}, used for
 * {@code tokenizer.ggml.pre} = {@code lfm2}, {@code llama-bpe}, {@code llama3}).
 *
 * <p>{@code \s} is Unicode White_Space and {@code \p{L}}/{@code \p{N}} are the Unicode letter/number
 * categories ({@link Pattern#UNICODE_CHARACTER_CLASS}). Every character of the input ends up in
 * exactly one piece: the last alternative ({@code \s+}) and the punctuation alternative together
 * cover anything the others leave.
 */
final class Llama3PreTokenizer {
    static final String REGEX =
            "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"
                    + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
                    + "|\\p{N}{1,3}"
                    + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
                    + "|\\s*[\\r\\n]+"
                    + "|\\s+(?!\\S)"
                    + "|\\s+";

    private static final Pattern PATTERN = Pattern.compile(REGEX, Pattern.UNICODE_CHARACTER_CLASS);

    private Llama3PreTokenizer() {}

    /** Splits {@code text} into pre-tokens; their concatenation is {@code text}. */
    static List<String> split(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = PATTERN.matcher(text);
        int pos = 0;
        while (m.find()) {
            if (m.start() > pos) {
                // Not reachable for well-formed strings; keep the text rather than dropping it.
                out.add(text.substring(pos, m.start()));
            }
            if (m.end() > m.start()) {
                out.add(text.substring(m.start(), m.end()));
            }
            pos = m.end();
        }
        if (pos < text.length()) {
            out.add(text.substring(pos));
        }
        return out;
    }
}
