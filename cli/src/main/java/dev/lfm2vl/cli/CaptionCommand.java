package dev.lfm2vl.cli;

import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.runtime.Generator;
import dev.lfm2vl.runtime.Lfm2Model;
import dev.lfm2vl.runtime.Lfm2Vl;
import dev.lfm2vl.runtime.Listener;
import dev.lfm2vl.runtime.Sampler;
import dev.lfm2vl.runtime.VisionModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code lfm2vl caption}: describe many images, loading the models once; resumable with {@code --jsonl}. */
@Command(name = "caption", mixinStandardHelpOptions = true,
        description = {"Caption images: each image is asked the prompt in a fresh conversation, the answer streamed to stdout "
                + "(with several images each answer is preceded by a '==> IMAGE <==' line; --json prints one JSON object per "
                + "image instead). Folders contribute their image files by extension, sorted by path (sub-folders too with "
                + "--recursive). The models are loaded once.",
                "",
                "Image formats (file name extensions): ${sys:lfm2vl.image.formats.extensions}.",
                "",
                "With --jsonl FILE each finished image is appended to FILE as one JSON line (path, caption, image_tokens, "
                + "prompt_positions, generated_tokens, timings, stop_reason); a rerun with the same FILE skips the images "
                + "already captioned there, so an interrupted batch resumes. A bad image is reported (error: PATH: ...), "
                + "recorded with an \"error\" in FILE, skipped, and tried again on the next run. FILE keeps one line per "
                + "image (a caption replaces an earlier error; a line cut short by a killed run is dropped): it is "
                + "compacted when needed, through a temporary file and a rename, so no finished caption is ever lost.",
                "",
                "Progress goes to stderr: a bar on a terminal, else one line per image. Ctrl-C stops after writing what is "
                + "finished (the image in progress is dropped).",
                "",
                "Exit codes: 0 all images captioned, 2 some image or path failed (or bad usage), 130 stopped by Ctrl-C."},
        footer = {"", "Examples:",
                "  lfm2vl caption photo.jpg",
                "  lfm2vl caption --recursive --jsonl captions.jsonl ~/Pictures",
                "  lfm2vl caption -p 'List the objects.' a.png b.png",
                "  lfm2vl caption --json-schema caption-schema.json --jsonl captions.jsonl ~/Pictures",
                "  lfm2vl caption -m model.gguf --mmproj mmproj.gguf --temp 0 --json photos/"})
final class CaptionCommand implements Callable<Integer> {
    static final String DEFAULT_PROMPT = "Describe this image.";
    static final int EXIT_INTERRUPTED = 130;

    @Mixin
    ModelOptions options;

    @Mixin
    VisionOptions vision;

    @Mixin
    SamplingOptions sampling;

    @Mixin
    JsonSchemaOption jsonSchema;

    @Parameters(arity = "1..*", paramLabel = "IMAGE_OR_DIR",
            description = "Images (${sys:lfm2vl.image.formats}) or folders of images to caption.")
    List<Path> inputs;

    @Option(names = {"-p", "--prompt"}, paramLabel = "PROMPT", defaultValue = DEFAULT_PROMPT,
            description = "What to ask about each image (default: ${DEFAULT-VALUE}).")
    String prompt;

    @Option(names = "--system", paramLabel = "TEXT", description = "A system message placed before the prompt.")
    String system;

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", defaultValue = "256",
            description = "Tokens to generate at most per image (default: ${DEFAULT-VALUE}; -1 = until the end of the answer).")
    int maxTokens;

    @Option(names = {"-r", "--recursive"}, description = "Also take the images in the sub-folders of folder arguments (symbolic links to folders are followed; "
                    + "each real folder is listed once).")
    boolean recursive;

    @Option(names = "--jsonl", paramLabel = "FILE",
            description = "Append one JSON line per finished image to FILE; images already captioned in FILE are skipped (resume).")
    Path jsonl;

    @Option(names = "--json", description = "Print one JSON object per image on stdout (one line each) instead of streaming the captions.")
    boolean json;

    @Option(names = {"-q", "--quiet"}, description = "No progress and no notes on stderr (errors are still printed).")
    boolean quiet;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (maxTokens < -1) {
            throw new UserError("-n must be -1 or more, got " + maxTokens);
        }
        vision.pairedWith(options).requireMmproj("to caption images");
        ImageConversation.checkPrompt(system, prompt, 1);
        Sampler.Settings settings = sampling.settings();
        jsonSchema.checkLimit(maxTokens);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();

        ImageFinder.Found found = ImageFinder.find(inputs, recursive);
        if (found.images().isEmpty()) {
            throw new UserError(found.problems().isEmpty() ? "no images found in " + join(inputs)
                    : String.join("; ", found.problems()) + (inputs.size() > 1 ? "; no images found" : ""));
        }
        int failures = 0;
        for (String problem : found.problems()) {
            err.println("error: " + problem);
            failures++;
        }
        err.flush();

        try (JsonlLog log = jsonl == null ? null : JsonlLog.open(jsonl)) {
            List<Path> todo = new ArrayList<>();
            for (Path image : found.images()) {
                if (log == null || !log.isDone(image)) {
                    todo.add(image);
                }
            }
            if (log != null && !quiet) {
                if (log.droppedLines() > 0 || log.supersededRecords() > 0) {
                    err.println("note: " + log.file() + ": compacted: dropped " + log.droppedLines() + " unreadable line(s) "
                            + "(e.g. cut short by a killed run) and " + log.supersededRecords() + " older record(s) of images "
                            + "recorded again");
                }
                int skipped = found.images().size() - todo.size();
                if (skipped > 0) {
                    err.println("note: skipping " + skipped + " of " + found.images().size() + " image(s) already captioned in " + log.file());
                }
                err.flush();
            }
            if (todo.isEmpty()) {
                return failures > 0 ? Main.EXIT_USAGE : Main.EXIT_OK;
            }
            AtomicBoolean cancel = new AtomicBoolean();
            Interrupts.onCtrlC(() -> {
                if (cancel.getAndSet(true)) {
                    Runtime.getRuntime().halt(EXIT_INTERRUPTED); // a second Ctrl-C: now
                }
            });
            Batch batch = new Batch(out, err, log, cancel, found.images().size() > 1,
                    new ProgressBar(err, Status.stderrIsTerminal(), !quiet && todo.size() > 1, todo.size(), ProgressBar.terminalWidth(), System::nanoTime));
            Path modelPath = options.modelPath();
            // One image: its encoding and prefill on a status line; several: the progress bar instead.
            Status status = Status.on(err, quiet);
            status.show("loading model...");
            try (Parallel pool = options.pool(); Lfm2Model model = Lfm2Model.load(modelPath, pool);
                 VisionModel vm = vision.load(pool, model)) {
                status.clear();
                ImageConversation conversation = new ImageConversation(model, vm, vision, options.contextSize(model.config().contextLength(), err),
                        jsonSchema.text());
                failures += batch.run(todo, conversation, settings, todo.size() == 1 ? status : Status.off());
            } finally {
                status.clear();
                batch.bar.close();
            }
            if (batch.interrupted) {
                if (!quiet) {
                    err.println("note: stopped by Ctrl-C after " + batch.finished + " of " + todo.size() + " image(s)"
                            + (log != null ? "; rerun with the same --jsonl to continue" : ""));
                    err.flush();
                }
                return EXIT_INTERRUPTED;
            }
        }
        return failures > 0 ? Main.EXIT_USAGE : Main.EXIT_OK;
    }

    private static String join(List<Path> paths) {
        StringBuilder b = new StringBuilder();
        for (Path p : paths) {
            b.append(b.isEmpty() ? "" : ", ").append(p);
        }
        return b.toString();
    }

    /** The loop over the images of one run. */
    private final class Batch {
        final PrintWriter out;
        final PrintWriter err;
        final JsonlLog log;
        final AtomicBoolean cancel;
        final boolean headers;
        final ProgressBar bar;
        int finished;
        boolean interrupted;

        Batch(PrintWriter out, PrintWriter err, JsonlLog log, AtomicBoolean cancel, boolean headers, ProgressBar bar) {
            this.out = out;
            this.err = err;
            this.log = log;
            this.cancel = cancel;
            this.headers = headers;
            this.bar = bar;
        }

        /** Captions {@code todo} in order; returns the number of failed images. */
        int run(List<Path> todo, ImageConversation conversation, Sampler.Settings settings, Status status)
                throws java.io.IOException {
            int failures = 0;
            for (Path image : todo) {
                if (cancel.get()) {
                    interrupted = true;
                    break;
                }
                bar.starting(image);
                long t0 = System.nanoTime();
                boolean[] started = {false};
                Listener listener = new Listener() {
                    @Override
                    public void onToken(int id, String text) {
                        if (!json) {
                            begin(image, started);
                            out.print(text);
                            out.flush();
                        }
                    }

                    @Override
                    public boolean cancelled() {
                        return cancel.get();
                    }
                };
                Lfm2Vl.Answer answer;
                try {
                    answer = conversation.answerTimed(system, prompt, List.of(image), settings, maxTokens, listener, err, status);
                } catch (UserError e) {
                    status.clear();
                    String reason = reason(image, e.getMessage());
                    bar.message("error: " + image + ": " + reason);
                    Map<String, Object> record = new LinkedHashMap<>();
                    record.put("path", image.toString());
                    record.put("error", reason);
                    emit(record);
                    failures++;
                    finished++;
                    bar.finished(image, System.nanoTime() - t0, false);
                    continue;
                }
                Generator.Result r = answer.result();
                if (r.stopReason() == Generator.StopReason.CANCELLED) {
                    if (started[0]) {
                        out.println();
                        out.flush();
                    }
                    interrupted = true;
                    break;
                }
                long total = System.nanoTime() - t0;
                if (!json) {
                    begin(image, started);
                    out.println();
                    out.flush();
                }
                if (vision.verbose) {
                    bar.message(Timings.summary(r, 0, answer.encodeNanos()));
                }
                Map<String, Object> record = record(image, answer, total);
                if (jsonSchema.present()) {
                    record.put("json", new JsonWriter.Raw(r.text())); // the answer is a valid document: embedded as is
                }
                emit(record);
                finished++;
                if (r.stopReason() == Generator.StopReason.CONTEXT_FULL && !quiet) {
                    bar.message("note: " + image + ": the context is full; " + conversation.contextFullAdvice());
                }
                bar.finished(image, total, true);
                bar.redraw();
            }
            return failures;
        }

        /** Before the first output for {@code image}: the bar off the line, and the header. */
        private void begin(Path image, boolean[] started) {
            if (!started[0]) {
                started[0] = true;
                bar.clear();
                if (headers) {
                    out.println("==> " + image + " <==");
                }
            }
        }

        private void emit(Map<String, Object> record) throws java.io.IOException {
            if (json) {
                bar.clear();
                out.println(JsonlLog.line(record));
                out.flush();
            }
            if (log != null) {
                log.append(record);
            }
        }
    }

    /** The JSON record of a captioned image. */
    static Map<String, Object> record(Path image, Lfm2Vl.Answer answer, long totalNanos) {
        Generator.Result r = answer.result();
        Map<String, Object> timings = new LinkedHashMap<>();
        timings.put("encode_ms", ms(answer.encodeNanos()));
        timings.put("prefill_ms", ms(r.prefillNanos()));
        timings.put("decode_ms", ms(r.decodeNanos()));
        timings.put("total_ms", ms(totalNanos));
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("path", image.toString());
        o.put("caption", r.text());
        o.put("image_tokens", answer.imageTokens());
        o.put("prompt_positions", r.promptPositions());
        o.put("generated_tokens", r.tokens().length);
        o.put("timings", timings);
        o.put("stop_reason", r.stopReason().name().toLowerCase(Locale.ROOT));
        return o;
    }

    private static double ms(long nanos) {
        return Math.round(nanos / 1e5) / 10.0;
    }

    /** The reason in an image error message, without the "cannot load image PATH: " the loader puts first. */
    static String reason(Path image, String message) {
        String prefix = "cannot load image " + image + ": ";
        return message != null && message.startsWith(prefix) ? message.substring(prefix.length()) : String.valueOf(message);
    }
}
