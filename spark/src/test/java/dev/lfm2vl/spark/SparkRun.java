package dev.lfm2vl.spark;

import dev.lfm2vl.loader.Fixtures;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;

/**
 * Runs {@code lfm2vl-spark} in-process on one shared local[2] session (Spark starts once per test JVM; tasks get
 * both cores, as {@code --master local[2]} gives them) and captures stderr.
 */
record SparkRun(int exitCode, String err) {
    private static SparkSession session;

    static synchronized SparkSession session() {
        if (session == null) {
            session = SparkSession.builder().master("local[2]").appName("lfm2vl-spark tests")
                    .config("spark.task.cpus", "2").config("spark.ui.enabled", "false")
                    .config("spark.ui.showConsoleProgress", "false")
                    .config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1")
                    .getOrCreate();
        }
        return session;
    }

    static SparkRun of(String... args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        int code = Main.run(args, err, session());
        String printed = bytes.toString(StandardCharsets.UTF_8);
        System.out.print(printed); // the progress and summary lines, in the test log
        return new SparkRun(code, printed);
    }

    /** {@code caption} on the tiny fixture pair, then {@code args}; greedy and 8 tokens unless they say otherwise. */
    static SparkRun caption(String... args) {
        List<String> all = new ArrayList<>(List.of("caption", "-m", Fixtures.textModel("Q4_0").toString(),
                "--mmproj", Fixtures.mmproj("F16").toString()));
        List<String> given = List.of(args);
        if (!given.contains("--temp")) {
            all.addAll(List.of("--temp", "0"));
        }
        if (!given.contains("-n")) {
            all.addAll(List.of("-n", "8"));
        }
        all.addAll(given);
        return of(all.toArray(String[]::new));
    }
}
