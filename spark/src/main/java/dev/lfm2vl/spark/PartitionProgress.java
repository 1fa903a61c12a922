package dev.lfm2vl.spark;

import java.io.PrintStream;
import java.util.Locale;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.util.LongAccumulator;
import scala.collection.Iterator;

/**
 * One line on the driver's stderr per finished partition: images done of all, images per minute since the job
 * started (model loading included) and the time left at that rate. It listens to Spark's task-end events and counts
 * the tasks that updated the captioning job's image counter (the scheduler merges a task's counters before it
 * reports the task's end).
 */
final class PartitionProgress extends SparkListener {
    private final PrintStream err;
    private final LongAccumulator images;
    private final long total;
    private final int partitions;
    private final long startNanos;
    private int finishedPartitions;

    PartitionProgress(PrintStream err, LongAccumulator images, long total, int partitions, long startNanos) {
        this.err = err;
        this.images = images;
        this.total = total;
        this.partitions = partitions;
        this.startNanos = startNanos;
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        if (end.taskInfo() == null || !end.taskInfo().successful() || !updatedImages(end)) {
            return;
        }
        long done;
        int finished;
        synchronized (this) {
            finished = ++finishedPartitions;
            done = images.value();
        }
        err.println(line(finished, partitions, done, total, System.nanoTime() - startNanos));
        err.flush();
    }

    private boolean updatedImages(SparkListenerTaskEnd end) {
        Iterator<AccumulableInfo> it = end.taskInfo().accumulables().iterator();
        while (it.hasNext()) {
            if (it.next().id() == images.id()) {
                return true;
            }
        }
        return false;
    }

    /** {@code partition 3/10 done: 96/320 images, 12.5 images/min, ETA 17m55s}. */
    static String line(int finished, int partitions, long done, long total, long elapsedNanos) {
        double minutes = elapsedNanos / 60e9;
        double rate = minutes > 0 ? done / minutes : 0;
        String eta = rate > 0 ? duration((long) ((total - done) / rate * 60)) : "?";
        return String.format(Locale.ROOT, "lfm2vl-spark: partition %d/%d done: %d/%d images, %.1f images/min, ETA %s",
                finished, partitions, done, total, rate, eta);
    }

    static String duration(long seconds) {
        seconds = Math.max(0, seconds);
        return seconds >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds / 60 % 60)
                : seconds >= 60 ? String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60) : seconds + "s";
    }
}
