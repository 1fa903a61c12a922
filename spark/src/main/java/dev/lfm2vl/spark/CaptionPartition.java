package dev.lfm2vl.spark;

import dev.lfm2vl.runtime.Generator;
import dev.lfm2vl.runtime.Lfm2Vl;
import dev.lfm2vl.runtime.Listener;
import dev.lfm2vl.runtime.PreprocessedImage;
import dev.lfm2vl.runtime.Prompt;
import dev.lfm2vl.runtime.Sampler;
import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.util.LongAccumulator;

/**
 * Captions one partition of (path, content) rows, lazily, one image at a time, with the executor's shared model pair
 * ({@link ExecutorModels}). Each image is what {@code lfm2vl caption} does for one file: decoded and pre-processed,
 * put in a fresh one-message conversation, answered. A bad image becomes an error row and the partition goes on; a
 * model that cannot be loaded fails the task (Spark retries it, then stops the job with that error).
 */
final class CaptionPartition implements FlatMapFunction<Iterator<Row>, Row> {
    private final CaptionSettings settings;
    private final LongAccumulator images;
    private final LongAccumulator failed;

    CaptionPartition(CaptionSettings settings, LongAccumulator images, LongAccumulator failed) {
        this.settings = settings;
        this.images = images;
        this.failed = failed;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) throws IOException {
        if (!rows.hasNext()) {
            return rows;
        }
        TaskContext task = TaskContext.get();
        int threads = settings.threads() > 0 ? settings.threads() : task == null ? Runtime.getRuntime().availableProcessors() : task.cpus();
        ExecutorModels.Loaded model = ExecutorModels.get(settings.modelKey(threads));
        Sampler.Settings sampling = settings.sampling();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public Row next() {
                if (!rows.hasNext()) {
                    throw new NoSuchElementException();
                }
                Row in = rows.next();
                Row out = caption(model, sampling, in.getString(0), in.isNullAt(1) ? null : (byte[]) in.get(1));
                images.add(1);
                if (!out.isNullAt(out.length() - 1)) {
                    failed.add(1);
                }
                return out;
            }
        };
    }

    private Row caption(ExecutorModels.Loaded model, Sampler.Settings sampling, String path, byte[] content) {
        long t0 = System.nanoTime();
        try {
            Lfm2Vl vlm = model.vlm();
            PreprocessedImage image = vlm.preprocess(content != null ? content : read(path), path);
            Prompt prompt = Lfm2Vl.buildPrompt(settings.system(), settings.prompt(), List.of(image), vlm.tokenizer());
            long readNanos = System.nanoTime() - t0;
            Lfm2Vl.Answer answer = vlm.answer(prompt, sampling, settings.maxTokens(), Listener.NONE);
            Generator.Result r = answer.result();
            return CaptionRows.captioned(path, r.text(), answer.imageTokens(), r.promptPositions(), r.tokens().length,
                    readNanos + answer.encodeNanos(), System.nanoTime() - t0, model.label());
        } catch (IOException | RuntimeException e) { // unreadable image, prompt too long for the context...: this image's
            return CaptionRows.failed(path, model.label(), reason(path, e));
        }
    }

    /** The bytes of a table row that names a file but carries no content: read through Hadoop (any file system). */
    private static byte[] read(String path) throws IOException {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
        FileSystem fs = p.getFileSystem(new Configuration());
        try (InputStream in = fs.open(p)) {
            return in.readAllBytes();
        }
    }

    /** The one-line reason, without the "cannot load image PATH: " the loader puts first (the row has the path). */
    static String reason(String path, Exception e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        String prefix = "cannot load image " + path + ": ";
        message = message.startsWith(prefix) ? message.substring(prefix.length()) : message;
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
