package dev.lfm2vl.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One streaming {@code POST /v1/chat/completions} as a client sees it, for {@code bench-serve}: the moment it was
 * sent, the arrival time of every SSE chunk that carries answer text, the end, and the usage the server reported.
 * It reads on its own virtual thread; {@link #cancel} makes it hang up after the next chunk, as a client that goes
 * away does (the server frees the slot within one step).
 */
final class TimedStream {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Thread reader;
    private volatile boolean cancelled;
    private long sent;
    /** Nanos of each chunk with answer text (or of the finish chunk when no text came before it). */
    private long[] arrivals = new long[64];
    private volatile int arrived;
    private volatile long done = -1;
    private int promptTokens = -1;
    private int completionTokens = -1;
    private String finishReason;
    private volatile String error;

    private TimedStream(HttpClient client, URI uri, String body) {
        this.reader = Thread.ofVirtual().name("bench-serve-stream").start(() -> run(client, uri, body));
    }

    /** Sends {@code body} (a chat request with {@code "stream": true}) and starts reading the answer. */
    static TimedStream start(HttpClient client, URI uri, String body) {
        return new TimedStream(client, uri, body);
    }

    private void run(HttpClient client, URI uri, String body) {
        HttpRequest request = HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        sent = System.nanoTime();
        try {
            HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                if (response.statusCode() != 200) {
                    error = "HTTP " + response.statusCode() + ": " + in.readLine();
                    return;
                }
                for (String line; (line = in.readLine()) != null; ) {
                    long now = System.nanoTime();
                    if (line.equals("data: [DONE]")) {
                        break;
                    }
                    if (line.startsWith("data: ")) {
                        event(JSON.readTree(line.substring(6)), now);
                        if (cancelled) { // after recording a chunk (not a blank separator): it shows the stream was still running
                            break;
                        }
                    }
                }
            }
        } catch (IOException e) {
            if (!cancelled) {
                error = "the server's stream broke: " + e.getMessage();
            }
        } catch (InterruptedException e) {
            error = "interrupted";
        } finally {
            done = System.nanoTime();
        }
    }

    private void event(JsonNode event, long now) {
        if (event.has("error")) {
            error = event.path("error").path("message").asText();
            return;
        }
        JsonNode usage = event.get("usage");
        if (usage != null && !usage.isNull()) {
            promptTokens = usage.path("prompt_tokens").asInt(-1);
            completionTokens = usage.path("completion_tokens").asInt(-1);
        }
        JsonNode choice = event.path("choices").path(0);
        if (choice.isMissingNode()) {
            return;
        }
        boolean text = !choice.path("delta").path("content").asText("").isEmpty();
        JsonNode finish = choice.get("finish_reason");
        if (finish != null && !finish.isNull()) {
            finishReason = finish.asText();
        }
        if (text || (finishReason != null && arrived == 0)) {
            if (arrived == arrivals.length) {
                arrivals = Arrays.copyOf(arrivals, arrived * 2);
            }
            arrivals[arrived] = now;
            arrived = arrived + 1; // a volatile write after the element: readers see the element
        }
    }

    /** Hangs up after the next chunk. */
    void cancel() {
        cancelled = true;
    }

    /** Waits for the end (the answer's last chunk, an error, or the hang-up after {@link #cancel}). */
    TimedStream await() throws InterruptedException {
        reader.join();
        return this;
    }

    /** Waits until the first answer text has arrived (or the stream ended); true if it did. */
    boolean awaitFirstToken(long timeoutNanos) throws InterruptedException {
        long end = System.nanoTime() + timeoutNanos;
        while (arrived == 0 && done < 0 && System.nanoTime() < end) {
            Thread.sleep(1);
        }
        return arrived > 0;
    }

    long sent() {
        return sent;
    }

    /** Nanos from sending to the first answer text (time to first token), or -1 when none came. */
    long timeToFirstToken() {
        return arrived == 0 ? -1 : arrivals[0] - sent;
    }

    long firstToken() {
        return arrived == 0 ? -1 : arrivals[0];
    }

    /** When the answer ended (its last chunk read), -1 while running. */
    long done() {
        return done;
    }

    /** The last chunk with answer text, -1 when none came. */
    long lastToken() {
        return arrived == 0 ? -1 : arrivals[arrived - 1];
    }

    /**
     * The longest wait between two answer chunks of this stream that overlaps {@code [from, to]}: how long the stream
     * stood still while something else (another request's prefill) ran. -1 when no two chunks span that interval.
     */
    long longestGap(long from, long to) {
        long worst = -1;
        int n = arrived;
        for (int i = 1; i < n; i++) {
            if (arrivals[i] > from && arrivals[i - 1] < to) {
                worst = Math.max(worst, arrivals[i] - arrivals[i - 1]);
            }
        }
        return worst;
    }

    /** Whether answer text arrived after {@code t}: the stream was still decoding then. */
    boolean decodingAfter(long t) {
        int n = arrived;
        return n > 0 && arrivals[n - 1] > t;
    }

    int promptTokens() {
        return promptTokens;
    }

    int completionTokens() {
        return completionTokens;
    }

    String finishReason() {
        return finishReason;
    }

    /** What went wrong, or null. */
    String error() {
        return error;
    }
}
