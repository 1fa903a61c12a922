package dev.lfm2vl.cli;

import dev.lfm2vl.runtime.Generator;
import java.util.LinkedHashMap;
import java.util.Map;

/** The timing summary of a generation, as text (like llama.cpp's) and as JSON. */
final class Timings {
    private Timings() {}

    /** One line: load, prompt (image encoding included) and generation times with rates. */
    static String summary(Generator.Result r, long loadNanos) {
        int generated = r.tokens().length;
        return String.format("timings: load %.0f ms | prompt %d positions in %.0f ms (%.1f tok/s) | generation %d tokens in %.0f ms (%.2f tok/s) | stop: %s",
                loadNanos / 1e6, r.promptPositions(), r.prefillNanos() / 1e6, r.prefillTokensPerSecond(), generated, r.decodeNanos() / 1e6,
                r.decodeTokensPerSecond(), r.stopReason().name().toLowerCase());
    }

    static Map<String, Object> toJson(Generator.Result r, long loadNanos) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("text", r.text());
        m.put("tokens", r.tokens());
        m.put("stop_reason", r.stopReason().name().toLowerCase());
        m.put("prompt_positions", r.promptPositions());
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("load_ms", loadNanos / 1e6);
        t.put("prompt_ms", r.prefillNanos() / 1e6);
        t.put("generation_ms", r.decodeNanos() / 1e6);
        t.put("prompt_tokens_per_s", r.prefillTokensPerSecond());
        t.put("generation_tokens_per_s", r.decodeTokensPerSecond());
        m.put("timings", t);
        return m;
    }
}
