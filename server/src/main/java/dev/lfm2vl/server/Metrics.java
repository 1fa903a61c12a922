package dev.lfm2vl.server;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/**
 * The counters {@code GET /metrics} shows in Prometheus' text format (with {@code --metrics}): requests, errors,
 * prompt and generated tokens, decode time, queue depth, slot use, image encoding. Counters are atomics, updated
 * from the HTTP threads and the engine's scheduler.
 */
final class Metrics {
    final AtomicLong requests = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    final AtomicLong promptTokens = new AtomicLong();
    final AtomicLong cachedPromptTokens = new AtomicLong();
    final AtomicLong generatedTokens = new AtomicLong();
    final AtomicLong decodeNanos = new AtomicLong();
    final AtomicLong prefillNanos = new AtomicLong();
    final AtomicLong imagesEncoded = new AtomicLong();
    final AtomicLong imageCacheHits = new AtomicLong();
    final AtomicLong imageEncodeNanos = new AtomicLong();
    final AtomicLong cancelled = new AtomicLong();
    final AtomicLong rejectedBusy = new AtomicLong();

    /** The Prometheus exposition text; {@code queued}, {@code busySlots}, {@code slots} are read now. */
    String render(IntSupplier queued, IntSupplier busySlots, int slots) {
        StringBuilder b = new StringBuilder();
        counter(b, "lfm2vl_requests_total", "Chat completion requests received.", requests.get());
        counter(b, "lfm2vl_errors_total", "Requests answered with an error.", errors.get());
        counter(b, "lfm2vl_rejected_busy_total", "Requests refused with 503 because the queue was full.", rejectedBusy.get());
        counter(b, "lfm2vl_cancelled_total", "Requests whose client went away before the answer was finished.", cancelled.get());
        counter(b, "lfm2vl_prompt_tokens_total", "Prompt positions (text and image) of finished requests.", promptTokens.get());
        counter(b, "lfm2vl_prompt_tokens_cached_total", "Prompt positions a slot already held (not prefilled again).", cachedPromptTokens.get());
        counter(b, "lfm2vl_generated_tokens_total", "Tokens generated.", generatedTokens.get());
        counter(b, "lfm2vl_prefill_seconds_total", "Time spent prefilling prompts.", prefillNanos.get() / 1e9);
        counter(b, "lfm2vl_decode_seconds_total", "Time slots spent decoding (summed over slots).", decodeNanos.get() / 1e9);
        long d = decodeNanos.get();
        gauge(b, "lfm2vl_decode_tokens_per_second", "Generated tokens per second of decoding, per slot, since start.",
                d == 0 ? 0 : generatedTokens.get() * 1e9 / d);
        counter(b, "lfm2vl_images_encoded_total", "Images run through the vision encoder.", imagesEncoded.get());
        counter(b, "lfm2vl_image_cache_hits_total", "Images whose encoding came from the cache.", imageCacheHits.get());
        counter(b, "lfm2vl_image_encode_seconds_total", "Time spent encoding images.", imageEncodeNanos.get() / 1e9);
        gauge(b, "lfm2vl_queue_depth", "Requests waiting for a slot.", queued.getAsInt());
        gauge(b, "lfm2vl_slots_busy", "Slots serving a request.", busySlots.getAsInt());
        gauge(b, "lfm2vl_slots", "Slots (--parallel).", slots);
        return b.toString();
    }

    private static void counter(StringBuilder b, String name, String help, double value) {
        line(b, name, help, "counter", value);
    }

    private static void gauge(StringBuilder b, String name, String help, double value) {
        line(b, name, help, "gauge", value);
    }

    private static void line(StringBuilder b, String name, String help, String type, double value) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        b.append(name).append(' ').append(value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value) : Double.toString(value)).append('\n');
    }
}
