package dev.lfm2vl.spark;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.from_json;

import dev.lfm2vl.kernels.Activations;
import dev.lfm2vl.runtime.ChatTemplate;
import dev.lfm2vl.runtime.ImageFormats;
import dev.lfm2vl.runtime.Lfm2Vl;
import dev.lfm2vl.runtime.PreprocessMode;
import dev.lfm2vl.runtime.Sampler;
import dev.lfm2vl.runtime.structured.JsonSchema;
import dev.lfm2vl.runtime.structured.SchemaException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** {@code lfm2vl-spark caption}: caption an image corpus on Spark, one row per image, resumable. */
@Command(name = "caption", mixinStandardHelpOptions = true,
        description = {"Caption every image of INPUT on Apache Spark: one model pair per executor JVM, each task using all the "
                + "cores it was given; one output row per image (path, caption, image_tokens, prompt_tokens, generated_tokens, "
                + "encode_ms, total_ms, model, error). A bad image is an error row; the job goes on.",
                "",
                "INPUT: a folder (its images, recursively), a glob, one image, or a Parquet/JSON table (.parquet, .json, "
                + ".jsonl) with a string 'path' column and optionally a binary 'content', 'bytes' or 'image' column. "
                + "Image formats: ${sys:lfm2vl.spark.image.formats}.",
                "",
                "Exit codes: 0 every image captioned, 2 some image failed (error rows) or bad usage, 1 other failures."},
        footer = {"", "Examples:",
                "  lfm2vl-spark caption -m model.gguf --mmproj mmproj.gguf --input photos/ --output captions/",
                "  lfm2vl-spark caption -m model.gguf --mmproj mmproj.gguf --input photos/ --output captions/ --resume",
                "  lfm2vl-spark caption -m model.gguf --mmproj mmproj.gguf --input 'photos/*/*.jpg' --output tags/ --format parquet \\",
                "      --master local[8] --json-schema tags-schema.json"})
final class CaptionCommand implements Callable<Integer> {
    static {
        System.setProperty("lfm2vl.spark.image.formats", ImageFormats.describe());
    }

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL.gguf",
            description = "Text model GGUF: a local path on every node, or a file shipped with spark-submit --files.")
    String model;

    @Option(names = "--mmproj", required = true, paramLabel = "MMPROJ.gguf", description = "Vision projector GGUF (found as -m is).")
    String mmproj;

    @Option(names = "--input", required = true, paramLabel = "DIR|GLOB|FILE", description = "What to caption (see above).")
    String input;

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "Output folder (part-* files).")
    String output;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "json", converter = FormatConverter.class,
            description = "json (JSON lines, part-*.json) or parquet (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--master", paramLabel = "URL",
            description = "local[N], local[*] or spark://HOST:PORT (default: spark-submit's, else local[*]).")
    String master;

    @Option(names = "--resume", description = "Add to an existing --output: caption only the images without a captioned row there "
            + "(failed ones are tried again), as new files.")
    boolean resume;

    @Option(names = {"-p", "--prompt"}, paramLabel = "PROMPT", defaultValue = Lfm2Vl.DESCRIBE,
            description = "What to ask about each image (default: ${DEFAULT-VALUE}).")
    String prompt;

    @Option(names = "--system", paramLabel = "TEXT", description = "A system message placed before the prompt.")
    String system;

    @Option(names = "--json-schema", paramLabel = "FILE|JSON",
            description = "Answer with JSON valid under this JSON Schema (a file, or the schema itself); the caption column "
                    + "then holds the parsed object.")
    String jsonSchema;

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", defaultValue = "256",
            description = "Tokens to generate at most per image (default: ${DEFAULT-VALUE}; -1 = until the end of the answer).")
    int maxTokens;

    @Option(names = "--temp", paramLabel = "T", defaultValue = "0.1", description = "Temperature; 0 = greedy (default: ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--min-p", paramLabel = "P", defaultValue = "0.15", description = "Min-p (default: ${DEFAULT-VALUE}; 0 = off).")
    float minP;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "40", description = "Top-k (default: ${DEFAULT-VALUE}; 0 = off).")
    int topK;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "0.95", description = "Top-p (default: ${DEFAULT-VALUE}; 1 = off).")
    float topP;

    @Option(names = "--repeat-penalty", paramLabel = "R", defaultValue = "1.05", description = "Repetition penalty (default: ${DEFAULT-VALUE}; 1 = off).")
    float repeatPenalty;

    @Option(names = "--repeat-last-n", paramLabel = "N", defaultValue = "64", description = "Generated tokens the penalty looks back on (default: ${DEFAULT-VALUE}).")
    int repeatLastN;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "-1", description = "Random seed, the same for every image; -1 = random (default).")
    long seed;

    @Option(names = {"-c", "--ctx-size"}, paramLabel = "N", defaultValue = "4096",
            description = "Context size in positions (default: ${DEFAULT-VALUE}; at most the model's).")
    int contextSize;

    @Option(names = "--preprocess", paramLabel = "MODE", defaultValue = "hf", converter = ModeConverter.class,
            description = "Image pre-processing: hf (as the model was trained) or llama.cpp (default: ${DEFAULT-VALUE}).")
    PreprocessMode preprocess;

    @Option(names = "--min-image-tokens", paramLabel = "N", defaultValue = "64",
            description = "Fewest image tokens for an unsplit image or a thumbnail (default: ${DEFAULT-VALUE}).")
    int minImageTokens;

    @Option(names = "--max-image-tokens", paramLabel = "N", defaultValue = "256",
            description = "Image-token budget of an unsplit image or a thumbnail (default: ${DEFAULT-VALUE}).")
    int maxImageTokens;

    @Option(names = "--no-image-split", description = "Never split large images into 512-px tiles.")
    boolean noImageSplit;

    @Option(names = "--max-image-pixels", paramLabel = "N", defaultValue = "100000000",
            description = "Refuse images with more pixels than this, before decoding them (default: ${DEFAULT-VALUE}).")
    long maxImagePixels;

    @Option(names = "--projector-gelu", paramLabel = "KIND", defaultValue = "tanh", converter = GeluConverter.class,
            description = "GELU of the projector MLP: tanh (llama.cpp) or erf (Hugging Face) (default: ${DEFAULT-VALUE}).")
    Activations.Gelu projectorGelu;

    @Option(names = "--partitions", paramLabel = "N",
            description = "Split the input into about N partitions (default: Spark's file splitting; progress is reported per partition).")
    Integer partitions;

    @Option(names = "--threads-per-task", paramLabel = "T",
            description = "Cores (and runtime threads) per task, spark.task.cpus (default: all of a local master's cores; on a "
                    + "cluster spark.executor.cores, so one task per executor uses the whole executor).")
    Integer threadsPerTask;

    @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "A Spark setting (repeatable), as spark-submit's --conf.")
    List<String> conf = new ArrayList<>();

    @Option(names = "--verbose", description = "Spark's own INFO logs on stderr (quiet by default: warnings and errors only).")
    boolean verbose;

    /** Where the per-partition lines and notes go. */
    PrintStream err = System.err;

    /** A session to run in (it is left running), or null to start one for this command and stop it after. */
    SparkSession session;

    @Override
    public Integer call() throws IOException {
        String schema = schemaText();
        CaptionSettings settings = settings(schema);
        Map<String, String> sparkConf = sparkConf();
        boolean local = session != null ? session.sparkContext().isLocal() : sparkConf.get("spark.master").startsWith("local");
        if (local) {
            // fail before Spark starts: the driver is the executor here
            requireModelFiles();
        }
        requireInput();
        if (verbose) {
            org.apache.logging.log4j.core.config.Configurator.setRootLevel(org.apache.logging.log4j.Level.INFO);
        }
        if (session != null) {
            return run(session, settings, session.sparkContext().isLocal(), schema);
        }
        SparkSession.Builder builder = SparkSession.builder().appName("lfm2vl-spark caption");
        sparkConf.forEach(builder::config);
        SparkSession spark = builder.getOrCreate();
        try {
            return run(spark, settings, local, schema);
        } finally {
            spark.stop();
        }
    }

    private int run(SparkSession spark, CaptionSettings settings, boolean local, String schema) throws IOException {
        long start = System.nanoTime();
        requireModelFiles(); // here too: the same path on every node, or shipped with --files
        if (local) {
            // the one executor is this JVM: load now, so a bad model is one error before any task runs
            int threads = settings.threads() > 0 ? settings.threads() : spark.sparkContext().conf().getInt("spark.task.cpus", 1);
            ExecutorModels.Loaded loaded = ExecutorModels.get(settings.modelKey(threads));
            if (schema != null) {
                try {
                    loaded.vlm().jsonConstraint(schema, maxTokens);
                } catch (SchemaException e) {
                    throw new UserError("--json-schema: " + e.getMessage());
                }
            }
        }
        CaptionOutput out = new CaptionOutput(spark, output, format);
        boolean earlier = out.prepare(resume);
        Dataset<Row> todo;
        long total;
        try {
            todo = ImageInputs.read(spark, input, partitions);
            if (earlier) {
                Dataset<Row> done = out.captionedPaths().withColumnRenamed("path", "done_path");
                todo = todo.join(broadcast(done), todo.col("path").equalTo(done.col("done_path")), "left_anti");
            }
            total = todo.count();
        } catch (Exception e) { // Spark's checked AnalysisException, e.g. [PATH_NOT_FOUND] for a glob that matches nothing
            if (e instanceof AnalysisException) {
                throw new UserError(Main.describe(e));
            }
            throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
        }
        if (total == 0) {
            if (earlier) {
                err.println("lfm2vl-spark: every image of " + input + " already has a caption in " + output);
                return Main.EXIT_OK;
            }
            throw new UserError("no images found in " + input + " (" + ImageFormats.names() + " files, by extension)");
        }
        LongAccumulator images = spark.sparkContext().longAccumulator("lfm2vl images");
        LongAccumulator failed = spark.sparkContext().longAccumulator("lfm2vl failed images");
        JavaRDD<Row> rows = todo.javaRDD().mapPartitions(new CaptionPartition(settings, images, failed));
        Dataset<Row> captions = spark.createDataFrame(rows, CaptionRows.SCHEMA);
        StructType parsed = schema == null ? null : SchemaTypes.captionType(schema);
        if (parsed != null) {
            captions = captions.withColumn("caption", from_json(col("caption"), parsed));
        }
        PartitionProgress progress = new PartitionProgress(err, images, total, rows.getNumPartitions(), start);
        spark.sparkContext().addSparkListener(progress);
        try {
            out.append(captions);
        } finally {
            spark.sparkContext().removeSparkListener(progress);
        }
        long seconds = (System.nanoTime() - start) / 1_000_000_000L;
        err.println("lfm2vl-spark: " + images.value() + " image(s) captioned into " + output + " in " + PartitionProgress.duration(seconds)
                + (failed.value() > 0 ? ", " + failed.value() + " failed (error rows; --resume tries them again)" : ""));
        err.flush();
        return failed.value() > 0 ? Main.EXIT_USAGE : Main.EXIT_OK;
    }

    private void requireModelFiles() {
        for (String[] file : new String[][] {{"-m", model}, {"--mmproj", mmproj}}) {
            try {
                ExecutorModels.local(file[1]);
            } catch (NoSuchFileException e) {
                throw new UserError(file[0] + " " + file[1] + ": no such file (" + e.getReason() + ")");
            }
        }
    }

    /** A local input that is not there, before Spark lists it (globs and other file systems are Spark's to check). */
    private void requireInput() {
        if (input.contains("://") || input.matches(".*[*?\\[{].*")) {
            return;
        }
        Path p = Path.of(input.startsWith("file:") ? input.substring("file:".length()) : input);
        if (!Files.exists(p)) {
            throw new UserError("--input " + input + ": no such file or folder");
        }
    }

    /** Checks every option a task will use, on the driver, and packs them for the executors. */
    CaptionSettings settings(String schema) {
        if (maxTokens < -1) {
            throw new UserError("-n must be -1 or more, got " + maxTokens);
        }
        if (contextSize < 1) {
            throw new UserError("--ctx-size must be at least 1, got " + contextSize);
        }
        if (minImageTokens < 1 || maxImageTokens < minImageTokens) {
            throw new UserError("need 1 <= --min-image-tokens <= --max-image-tokens, got " + minImageTokens + " and " + maxImageTokens);
        }
        if (maxImagePixels < 1) {
            throw new UserError("--max-image-pixels must be at least 1, got " + maxImagePixels);
        }
        if (partitions != null && partitions < 1) {
            throw new UserError("--partitions must be at least 1, got " + partitions);
        }
        if (threadsPerTask != null && threadsPerTask < 1) {
            throw new UserError("--threads-per-task must be at least 1, got " + threadsPerTask);
        }
        long s = seed == -1 ? new Random().nextLong() : seed; // drawn once: every executor samples with the same seed
        try {
            new Sampler.Settings(temperature, minP, topK, topP, repeatPenalty, repeatLastN, s);
            List<ChatTemplate.Message> messages = new ArrayList<>();
            if (system != null) {
                messages.add(ChatTemplate.Message.system(system));
            }
            messages.add(ChatTemplate.Message.user(prompt, 1));
            ChatTemplate.pieces(messages, true);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        if (schema != null) {
            JsonSchema compiled;
            try {
                compiled = JsonSchema.compile(schema);
            } catch (SchemaException e) {
                throw new UserError("--json-schema: " + e.getMessage());
            }
            if (maxTokens >= 0 && maxTokens < compiled.minDocumentBytes()) {
                throw new UserError("-n " + maxTokens + " is below the " + compiled.minDocumentBytes()
                        + " tokens of the shortest document the JSON schema accepts");
            }
        }
        return new CaptionSettings(model, mmproj, threadsPerTask == null ? 0 : threadsPerTask, contextSize, preprocess, minImageTokens,
                maxImageTokens, !noImageSplit, maxImagePixels, projectorGelu, schema, system, prompt, maxTokens, temperature, minP, topK,
                topP, repeatPenalty, repeatLastN, s);
    }

    private String schemaText() throws IOException {
        if (jsonSchema == null) {
            return null;
        }
        String v = jsonSchema.strip();
        if (v.startsWith("{") || v.equals("true") || v.equals("false")) {
            return v;
        }
        Path file = Path.of(jsonSchema);
        if (!Files.isRegularFile(file)) {
            throw new UserError("--json-schema: " + jsonSchema + ": no such file (give a file or the schema itself)");
        }
        return Files.readString(file, StandardCharsets.UTF_8);
    }

    private static final Pattern LOCAL = Pattern.compile("local(?:\\[(\\*|\\d+)(?:,\\d+)?])?");

    /**
     * The Spark settings of the session: --conf, the master, quiet defaults, and {@code spark.task.cpus} so that one
     * task holds all of an executor's cores (its model pair's thread pool uses them).
     */
    Map<String, String> sparkConf() {
        Map<String, String> c = new LinkedHashMap<>();
        SparkConf given = new SparkConf(); // spark-submit's settings arrive as spark.* system properties
        for (String kv : conf) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new UserError("--conf takes KEY=VALUE, got '" + kv + "'");
            }
            c.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        String m = master != null ? master : c.getOrDefault("spark.master", given.get("spark.master", "local[*]"));
        c.put("spark.master", m);
        c.putIfAbsent("spark.ui.showConsoleProgress", "false");
        Matcher localMaster = LOCAL.matcher(m);
        if (localMaster.matches()) {
            int cores = localMaster.group(1) == null ? 1 : localMaster.group(1).equals("*") ? Runtime.getRuntime().availableProcessors()
                    : Integer.parseInt(localMaster.group(1));
            if (threadsPerTask != null && threadsPerTask > cores) {
                throw new UserError("--threads-per-task " + threadsPerTask + " is more than the " + cores + " core(s) of --master " + m);
            }
            c.put("spark.task.cpus", String.valueOf(threadsPerTask != null ? threadsPerTask : cores));
            // a local run listens on this machine only
            c.putIfAbsent("spark.driver.bindAddress", "127.0.0.1");
            c.putIfAbsent("spark.driver.host", "127.0.0.1");
            return c;
        }
        if (m.startsWith("local")) {
            throw new UserError("--master: expected local, local[N], local[*] or a cluster URL, got '" + m + "'");
        }
        String jobJar = System.getProperty("lfm2vl.spark.jobJar");
        if (jobJar != null && Files.isRegularFile(Path.of(jobJar)) && !c.containsKey("spark.jars") && !given.contains("spark.jars")) {
            // a driver started by ./lfm2vl-spark: the executors get this module's classes from the small job jar
            c.put("spark.jars", jobJar);
        }
        if (threadsPerTask != null) {
            c.put("spark.task.cpus", threadsPerTask.toString());
        } else if (!c.containsKey("spark.task.cpus") && !given.contains("spark.task.cpus")) {
            String executorCores = c.getOrDefault("spark.executor.cores", given.get("spark.executor.cores", null));
            if (executorCores == null) {
                throw new UserError("on a cluster, give --threads-per-task C or spark.executor.cores=C (one task per executor "
                        + "then uses all its C cores with one model in memory)");
            }
            c.put("spark.task.cpus", executorCores);
        }
        return c;
    }

    /** Converts {@code json} / {@code parquet}. */
    static final class FormatConverter implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            String v = value.toLowerCase(Locale.ROOT);
            if (!v.equals("json") && !v.equals("parquet")) {
                throw new TypeConversionException("expected json or parquet, got '" + value + "'");
            }
            return v;
        }
    }

    /** Converts {@code hf} / {@code llama.cpp}. */
    static final class ModeConverter implements ITypeConverter<PreprocessMode> {
        @Override
        public PreprocessMode convert(String value) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "hf" -> PreprocessMode.HF;
                case "llama.cpp", "llamacpp", "llama_cpp" -> PreprocessMode.LLAMA_CPP;
                default -> throw new TypeConversionException("expected hf or llama.cpp, got '" + value + "'");
            };
        }
    }

    /** Converts {@code tanh} / {@code erf}. */
    static final class GeluConverter implements ITypeConverter<Activations.Gelu> {
        @Override
        public Activations.Gelu convert(String value) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "tanh" -> Activations.Gelu.TANH;
                case "erf" -> Activations.Gelu.ERF;
                default -> throw new TypeConversionException("expected tanh or erf, got '" + value + "'");
            };
        }
    }
}
