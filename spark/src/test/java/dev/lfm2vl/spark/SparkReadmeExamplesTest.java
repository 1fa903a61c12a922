package dev.lfm2vl.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.loader.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The README's "Captioning on Spark" section runs: its local commands as written (the variables expanded, /tmp
 * folders moved to a temporary folder, three of the fixture images in place of the fixture folder's seven, for time,
 * and the shared local[2] session in place of a new one), and its spark-submit
 * command names this module's main class and options that parse.
 */
class SparkReadmeExamplesTest {

    private static String section() throws IOException {
        String readme = Files.readString(Path.of(System.getProperty("lfm2vl.root", "..")).resolve("README.md"));
        int from = readme.indexOf("## Captioning on Spark");
        assertTrue(from >= 0, "the README has a Spark section");
        int to = readme.indexOf("\n## ", from + 3);
        return readme.substring(from, to < 0 ? readme.length() : to);
    }

    private static List<String> bashBlocks() throws IOException {
        Matcher m = Pattern.compile("```bash\\n(.*?)```", Pattern.DOTALL).matcher(section());
        List<String> blocks = new ArrayList<>();
        while (m.find()) {
            blocks.add(m.group(1));
        }
        return blocks;
    }

    /** The words of a shell command line: single quotes literal, double quotes and bare words with $VAR expanded. */
    static List<String> words(String line, Map<String, String> vars) {
        List<String> words = new ArrayList<>();
        StringBuilder w = null;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == ' ' || c == '\t') {
                if (w != null) {
                    words.add(w.toString());
                    w = null;
                }
                continue;
            }
            w = w == null ? new StringBuilder() : w;
            if (c == '\'') {
                int end = line.indexOf('\'', i + 1);
                w.append(line, i + 1, end);
                i = end;
            } else if (c == '"') {
                int end = line.indexOf('"', i + 1);
                w.append(expand(line.substring(i + 1, end), vars));
                i = end;
            } else if (c == '$') {
                int end = i + 1;
                while (end < line.length() && (Character.isLetterOrDigit(line.charAt(end)) || line.charAt(end) == '_')) {
                    end++;
                }
                w.append(vars.getOrDefault(line.substring(i + 1, end), ""));
                i = end - 1;
            } else {
                w.append(c);
            }
        }
        if (w != null) {
            words.add(w.toString());
        }
        return words;
    }

    private static String expand(String s, Map<String, String> vars) {
        Matcher m = Pattern.compile("\\$([A-Za-z_][A-Za-z0-9_]*)").matcher(s);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(b, Matcher.quoteReplacement(vars.getOrDefault(m.group(1), "")));
        }
        return m.appendTail(b).toString();
    }

    @Test
    void theLocalExamplesRunAsWritten(@TempDir Path tmp) throws IOException {
        String block = bashBlocks().getFirst();
        Path images = Files.createDirectories(tmp.resolve("fixture-images"));
        for (String name : List.of("img_64x48.png", "img_256x384.png", "test-1.jpeg")) {
            Files.copy(Fixtures.dir().resolve("images").resolve(name), images.resolve(name));
        }
        Map<String, String> vars = new HashMap<>();
        List<List<String>> commands = new ArrayList<>();
        for (String line : block.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            if (line.startsWith("F=")) {
                for (String assignment : line.split(";\\s*")) {
                    String[] kv = assignment.split("=", 2);
                    vars.put(kv[0].strip(), expand(kv[1].strip(), vars).replace("../shared/fixtures", Fixtures.dir().toString()));
                }
                continue;
            }
            // /tmp/ folders into the test's own; the fixture folder's three smallest kinds of image stand for all seven
            List<String> w = words(line.replace("/tmp/", tmp + "/").replace("$F/images", images.toString()), vars);
            assertEquals("./lfm2vl-spark", w.getFirst(), line);
            commands.add(w.subList(1, w.size()));
        }
        assertEquals(3, commands.size(), block);

        SparkRun first = SparkRun.of(commands.get(0).toArray(String[]::new));
        assertEquals(0, first.exitCode(), first.err());
        assertEquals(3, SparkRun.session().read().json(tmp.resolve("captions").toString()).count());

        SparkRun resumed = SparkRun.of(commands.get(1).toArray(String[]::new));
        assertEquals(0, resumed.exitCode(), resumed.err());
        assertTrue(resumed.err().contains("already has a caption"), resumed.err());

        SparkRun tags = SparkRun.of(commands.get(2).toArray(String[]::new));
        assertEquals(0, tags.exitCode(), tags.err());
        var back = SparkRun.session().read().parquet(tmp.resolve("tags").toString());
        StructType caption = (StructType) back.schema().apply("caption").dataType();
        assertEquals(List.of("subject", "people"), Arrays.asList(caption.fieldNames()));
        for (Row r : back.select("caption.subject", "error").collectAsList()) {
            assertTrue(r.isNullAt(1) && !r.isNullAt(0), r.toString());
        }
    }

    @Test
    void theSparkSubmitExampleNamesThisMainClassAndOptionsThatParse() throws IOException {
        String submit = bashBlocks().stream().filter(b -> b.contains("spark-submit")).findFirst().orElseThrow();
        List<String> w = words(submit.replace("\\\n", " ").strip(), Map.of());
        assertEquals("dev.lfm2vl.spark.Main", w.get(w.indexOf("--class") + 1));
        int jar = w.indexOf("spark/target/lfm2vl-spark-job.jar");
        assertTrue(jar > 0, submit);
        assertTrue(Files.readString(Path.of(System.getProperty("lfm2vl.root", "..")).resolve("spark/pom.xml"))
                .contains("<outputFile>${project.build.directory}/lfm2vl-spark-job.jar</outputFile>"), "the pom builds that jar");
        List<String> args = w.subList(jar + 1, w.size());
        CommandLine.ParseResult parsed = new CommandLine(new Main()).parseArgs(args.toArray(String[]::new));
        assertTrue(parsed.hasSubcommand() && parsed.subcommand().commandSpec().name().equals("caption"), args.toString());
        assertTrue(submit.contains("spark.executor.cores=8") && submit.contains("spark.task.cpus=8"), submit);
    }
}
