package dev.lfm2vl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lfm2vl.loader.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * jbang-catalog.json: {@code jbang lfm2vl@OWNER/REPO ...} runs the cli artifact of this build's version on Java 25
 * with the Vector API module (jbang reads the Main-Class from the jar).
 */
class JbangCatalogTest {

    private static Path root() {
        return Path.of(System.getProperty("lfm2vl.root", ".."));
    }

    @Test
    void theAliasRunsThisVersionsCliOnJava25WithTheVectorModule() throws IOException {
        Matcher parent = Pattern.compile("<artifactId>lfm2vl-parent</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(Files.readString(root().resolve("pom.xml")));
        assertTrue(parent.find());
        Map<String, Object> aliases = Json.object(Json.object(Json.parse(Files.readString(root().resolve("jbang-catalog.json"))))
                .get("aliases"));
        Map<String, Object> alias = Json.object(aliases.get("lfm2vl"));
        assertEquals("dev.lfm2vl:lfm2vl-cli:" + parent.group(1), alias.get("script-ref"));
        assertEquals("25+", alias.get("java"));
        List<Object> options = Json.list(alias.get("runtime-options"));
        int i = options.indexOf("--add-modules");
        assertTrue(i >= 0 && "jdk.incubator.vector".equals(options.get(i + 1)), options.toString());
        assertTrue(options.contains("--enable-native-access=ALL-UNNAMED"), options.toString());
        assertTrue(Files.readString(root().resolve("cli/pom.xml")).contains("<mainClass>dev.lfm2vl.cli.Launcher</mainClass>"),
                "the plain cli jar names its main class");
    }

    @Test
    void theReadmeRunsTheCatalogOfThePomsRepository() throws IOException {
        // jbang reads lfm2vl@OWNER/REPO as github.com/OWNER/REPO's jbang-catalog.json (lfm2vl@HOST/OWNER/REPO elsewhere);
        // the catalog file cannot read Maven properties, so this is where the README's line and the POM meet
        String url = BomTest.repositoryUrl(Files.readString(root().resolve("pom.xml")));
        String catalog = url.replaceFirst("^https://", "").replaceFirst("^github\\.com/", "");
        String readme = Files.readString(root().resolve("README.md"));
        assertTrue(readme.contains("`jbang lfm2vl@" + catalog + " caption photo.jpg`"), "README's jbang line names " + catalog);
        Matcher any = Pattern.compile("jbang lfm2vl@(\\S+)").matcher(readme);
        while (any.find()) {
            assertEquals(catalog, any.group(1), "every jbang lfm2vl@... in the README");
        }
    }
}
