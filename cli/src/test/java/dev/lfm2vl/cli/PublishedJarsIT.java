package dev.lfm2vl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The jars {@code ./mvnw install} publishes, as packaged: every artifact the BOM pins is a jar with its module name
 * (a module-info.class, or an {@code Automatic-Module-Name} for the two that have none) and has its sources and
 * javadoc jars beside it (what Maven Central requires). The library jars are found on this test's class path
 * (packaged jars in a reactor build), cli's own through a property.
 */
class PublishedJarsIT {

    /** The artifacts with a module-info.java. */
    private static final List<String> REAL_MODULES = List.of("lfm2vl-loader", "lfm2vl-hub", "lfm2vl-kernels", "lfm2vl-runtime",
            "lfm2vl-server");

    private static Path root() {
        return Path.of(System.getProperty("lfm2vl.root", ".."));
    }

    /** The artifactIds the BOM pins (lfm2vl-loader, ...). */
    static List<String> bomArtifacts() throws IOException {
        Matcher m = Pattern.compile("<artifactId>(lfm2vl-[a-z0-9]+)</artifactId>")
                .matcher(Files.readString(root().resolve("bom/pom.xml")));
        List<String> ids = new ArrayList<>();
        while (m.find()) {
            if (!m.group(1).equals("lfm2vl-bom")) {
                ids.add(m.group(1));
            }
        }
        return ids;
    }

    private static Path jarOf(String artifactId) {
        if (artifactId.equals("lfm2vl-cli")) {
            return Path.of(System.getProperty("lfm2vl.cli.plainJar"));
        }
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(entry);
            String name = p.getFileName().toString();
            if (name.startsWith(artifactId + "-") && name.endsWith(".jar") && !name.endsWith("-tests.jar")) {
                return p;
            }
            if (Files.isDirectory(p) && p.endsWith(Path.of(artifactId.substring("lfm2vl-".length()), "target", "classes"))) {
                fail(artifactId + " is on the class path as " + p + ", not as a jar: run the verify phase of the whole build "
                        + "(./mvnw verify, or -pl cli -am verify)");
            }
        }
        // a module cli does not depend on: its jar, when the reactor has packaged it before cli
        String dir = artifactId.substring("lfm2vl-".length());
        Path packaged = root().resolve(dir).resolve("target").resolve(artifactId + "-" + System.getProperty("lfm2vl.version") + ".jar");
        return Files.isRegularFile(packaged) ? packaged : null;
    }

    @Test
    void everyArtifactTheBomPinsIsAJarWithItsModuleNameSourcesAndJavadoc() throws IOException {
        List<String> artifacts = bomArtifacts();
        assertTrue(artifacts.containsAll(List.of("lfm2vl-loader", "lfm2vl-kernels", "lfm2vl-runtime", "lfm2vl-hub", "lfm2vl-cli")),
                artifacts.toString());
        for (String id : artifacts) {
            Path jar = jarOf(id);
            if (jar == null) {
                continue; // a module built after cli in the reactor: not packaged yet when this runs
            }
            assertTrue(Files.isRegularFile(jar), jar.toString());
            String moduleName = "dev.lfm2vl." + id.substring("lfm2vl-".length());
            ModuleDescriptor module = ModuleFinder.of(jar).findAll().iterator().next().descriptor();
            assertEquals(moduleName, module.name(), jar.toString());
            // the libraries are real modules; the LangChain4j provider and the command line name themselves in the manifest
            assertEquals(!REAL_MODULES.contains(id), module.isAutomatic(), jar + " has a module-info.class");
            if (module.isAutomatic()) {
                try (JarFile f = new JarFile(jar.toFile())) {
                    assertEquals(moduleName, f.getManifest().getMainAttributes().getValue("Automatic-Module-Name"), jar.toString());
                }
            }
            String base = jar.getFileName().toString().replaceFirst("\\.jar$", "");
            for (String classifier : List.of("sources", "javadoc")) {
                Path side = jar.resolveSibling(base + "-" + classifier + ".jar");
                assertTrue(Files.isRegularFile(side), "missing " + side);
                try (JarFile f = new JarFile(side.toFile())) {
                    // javadoc may lay the pages out by module: dev.lfm2vl.loader/dev/lfm2vl/loader/...
                    assertTrue(f.stream().anyMatch(e -> e.getName().contains(moduleName.replace('.', '/') + "/")),
                            side + " holds " + moduleName);
                }
            }
        }
    }
}
