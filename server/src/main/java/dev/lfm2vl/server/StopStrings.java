package dev.lfm2vl.server;

import java.util.List;

/**
 * The {@code stop} parameter on a stream of text pieces: the answer ends where a stop string first appears, without
 * it. Text that might be the start of a stop string is held back until the next piece tells, so a stream never
 * shows part of a stop string.
 */
final class StopStrings {
    private final List<String> stops;
    private final StringBuilder pending = new StringBuilder();
    private boolean matched;

    StopStrings(List<String> stops) {
        this.stops = stops;
    }

    /** Whether a stop string was seen (the answer is over). */
    boolean matched() {
        return matched;
    }

    /** Takes the next piece; returns the text that can be shown now (up to a stop string when one completes). */
    String accept(String piece) {
        if (stops.isEmpty()) {
            return piece;
        }
        if (matched) {
            return "";
        }
        pending.append(piece);
        int first = -1;
        for (String s : stops) {
            int at = pending.indexOf(s);
            if (at >= 0 && (first < 0 || at < first)) {
                first = at;
            }
        }
        if (first >= 0) {
            matched = true;
            String out = pending.substring(0, first);
            pending.setLength(0);
            return out;
        }
        int keep = 0;
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, pending.length()); k > keep; k--) {
                if (pending.toString().regionMatches(pending.length() - k, s, 0, k)) {
                    keep = k;
                    break;
                }
            }
        }
        String out = pending.substring(0, pending.length() - keep);
        pending.delete(0, pending.length() - keep);
        return out;
    }

    /** At the end of the answer: the text held back (it did not become a stop string). */
    String flush() {
        String out = matched ? "" : pending.toString();
        pending.setLength(0);
        return out;
    }
}
