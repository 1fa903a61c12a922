package dev.lfm2vl.langchain4j;

import java.util.List;

/**
 * The answer's text as it streams, cut at the first stop sequence: {@link #accept} returns only text that can no
 * longer turn out to be the start of a stop sequence (the rest is held back until the next piece decides), so the
 * streamed pieces always add up to the final {@link #text()}, stop sequence excluded.
 */
final class StopSequences {
    private final List<String> stops;
    private final StringBuilder text = new StringBuilder();
    private int emitted;
    private boolean stopped;

    /** {@code stops}: the sequences to stop at (empty ones are ignored). */
    StopSequences(List<String> stops) {
        this.stops = stops == null ? List.of() : stops.stream().filter(s -> s != null && !s.isEmpty()).toList();
    }

    /** Whether a stop sequence has appeared; the text ends before it and takes no more pieces. */
    boolean stopped() {
        return stopped;
    }

    /** Adds a generated piece; returns the text now safe to show (possibly empty). */
    String accept(String piece) {
        if (stopped || piece.isEmpty()) {
            return "";
        }
        int from = Math.max(0, text.length() - longest() + 1);
        text.append(piece);
        int cut = -1;
        for (String s : stops) {
            int at = text.indexOf(s, from);
            if (at >= 0 && (cut < 0 || at < cut)) {
                cut = at;
            }
        }
        if (cut >= 0) {
            stopped = true;
            text.setLength(cut);
            return release(cut);
        }
        return release(text.length() - heldBack());
    }

    /** The text held back at the end of the answer (no stop sequence came): all of it is the answer's. */
    String finish() {
        return release(text.length());
    }

    /** The answer so far, cut before the stop sequence once one appeared. */
    String text() {
        return text.toString();
    }

    private String release(int upTo) {
        if (upTo <= emitted) {
            return "";
        }
        String out = text.substring(emitted, upTo);
        emitted = upTo;
        return out;
    }

    /** Length of the longest end of the text that begins some stop sequence (it may still complete). */
    private int heldBack() {
        int held = 0;
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, text.length()); k > held; k--) {
                if (endsWithStartOf(s, k)) {
                    held = k;
                    break;
                }
            }
        }
        return held;
    }

    /** Whether the text ends with the first {@code k} characters of {@code s}. */
    private boolean endsWithStartOf(String s, int k) {
        int off = text.length() - k;
        for (int i = 0; i < k; i++) {
            if (text.charAt(off + i) != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private int longest() {
        int n = 1;
        for (String s : stops) {
            n = Math.max(n, s.length());
        }
        return n;
    }
}
