package dev.lfm2vl.cli;

import dev.lfm2vl.runtime.Generator;
import java.util.LinkedHashMap;
import java.util.Map;

/** The timing summary of a generation, as text (like llama.cpp's) and as JSON. */
final class Timings {
    private Timings() {}

    /** One line: load, image encoding (when there were images), prefill and generation times with rates. */
    static String summary(Generator.Result r, long loadNanos, long encodeNanos) {
        int generated = r.tokens().length;
        String load = loadNanos > 0 ? String.format(" load %.0f ms |", loadNanos / 1e6) : "";
        String encode = encodeNanos > 0 ? String.format(" encode %.0f ms |", encodeNanos / 1e6) : "";
        return String.format("timings:%s%s prefill %d positions in %.0f ms (%.1f tok/s) | generation %d tokens in %.0f ms (%.2f tok/s) | stop: %s",
                load, encode, r.promptPositions(), r.prefillNanos() / 1e6, r.prefillTokensPerSecond(), generated, r.decodeNanos() / 1e6,
                r.decodeTokensPerSecond(), r.stopReason().name().toLowerCase());
    }

    static Map<String, Object> toJson(Generator.Result r, long loadNanos, long encodeNanos) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("text", r.text());
        m.put("tokens", r.tokens());
        m.put("stop_reason", r.stopReason().name().toLowerCase());
        m.put("prompt_positions", r.promptPositions());
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("load_ms", loadNanos / 1e6);
        t.put("encode_ms", encodeNanos / 1e6);
        t.put("prompt_ms", r.prefillNanos() / 1e6);
        t.put("generation_ms", r.decodeNanos() / 1e6);
        t.put("prompt_tokens_per_s", r.prefillTokensPerSecond());
        t.put("generation_tokens_per_s", r.decodeTokensPerSecond());
        m.put("timings", t);
        return m;
    }
}
