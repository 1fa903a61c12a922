package dev.lfm2vl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The BOM (bom/pom.xml, no parent on purpose) stays in step with the build: same version, same repository URL, every
 * published module.
 */
class BomTest {

    private static Path root() {
        return Path.of(System.getProperty("lfm2vl.root", ".."));
    }

    private static String version(String pom, String artifactId) {
        Matcher m = Pattern.compile("<artifactId>" + artifactId + "</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
        assertTrue(m.find(), artifactId + "'s version");
        return m.group(1);
    }

    /** The lfm2vl.repository.url property of a POM: every URL of the published POMs derives from it. */
    static String repositoryUrl(String pom) {
        Matcher m = Pattern.compile("<lfm2vl\\.repository\\.url>([^<]+)</lfm2vl\\.repository\\.url>").matcher(pom);
        assertTrue(m.find(), "lfm2vl.repository.url");
        return m.group(1);
    }

    @Test
    void theBomHasTheParentsVersionAndRepositoryUrlAndPinsEveryPublishedModule() throws IOException {
        String parent = Files.readString(root().resolve("pom.xml"));
        String bom = Files.readString(root().resolve("bom/pom.xml"));
        assertEquals(version(parent, "lfm2vl-parent"), version(bom, "lfm2vl-bom"));
        assertFalse(bom.contains("<parent>"), "importing the BOM must not import the parent's dependencyManagement");
        assertEquals(repositoryUrl(parent), repositoryUrl(bom), "bom/pom.xml repeats the parent's lfm2vl.repository.url");
        for (String pom : List.of(parent, bom)) {
            Matcher field = Pattern.compile("<(url|connection|developerConnection)>([^<]+)</\\1>").matcher(pom);
            int derived = 0;
            while (field.find()) {
                if (field.group(2).contains("${lfm2vl.repository.url}")) {
                    derived++;
                } else {
                    assertTrue(field.group(2).contains("apache.org/licenses/"), "not derived from lfm2vl.repository.url: " + field.group());
                }
            }
            assertEquals(5, derived, "url, developer url, scm connection, developerConnection and url");
        }

        Matcher modules = Pattern.compile("<module>([^<]+)</module>").matcher(parent);
        List<String> published = new ArrayList<>();
        while (modules.find()) {
            String pom = Files.readString(root().resolve(modules.group(1)).resolve("pom.xml"));
            Matcher id = Pattern.compile("</parent>\\s*<artifactId>([^<]+)</artifactId>").matcher(pom);
            if (id.find() && !pom.contains("<maven.deploy.skip>true</maven.deploy.skip>")) {
                published.add(id.group(1));
            }
        }
        assertTrue(published.containsAll(List.of("lfm2vl-loader", "lfm2vl-hub", "lfm2vl-kernels", "lfm2vl-runtime", "lfm2vl-cli")),
                published.toString());
        for (String artifactId : published) {
            assertTrue(bom.contains("<artifactId>" + artifactId + "</artifactId>\n        <version>${project.version}</version>"),
                    "the BOM pins " + artifactId);
        }
    }
}
