package dev.lfm2vl.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The runtime's public types (its package and sub-packages) are exactly the ones its README section lists ("What the runtime exports"): a class
 * made public by accident, or one the README promises but hides, fails here. The list sits between the
 * {@code runtime-api:start} and {@code runtime-api:end} markers; each backticked {@code Name} or {@code Name.Member}
 * there names the top-level type {@code Name}.
 */
class RuntimeApiTest {

    private static Set<String> listedInReadme() throws IOException {
        String readme = Files.readString(Path.of(System.getProperty("lfm2vl.root", "..")).resolve("README.md"));
        Matcher section = Pattern.compile("<!-- runtime-api:start -->(.*?)<!-- runtime-api:end -->", Pattern.DOTALL).matcher(readme);
        assertTrue(section.find(), "README.md has the runtime-api section");
        Set<String> names = new TreeSet<>();
        Matcher name = Pattern.compile("`([A-Z][A-Za-z0-9]*)(?:\\.[A-Za-z0-9]+)*`").matcher(section.group(1));
        while (name.find()) {
            names.add(name.group(1));
        }
        return names;
    }

    /** Simple names of the public top-level types of {@code dev.lfm2vl.runtime} and its sub-packages. */
    private static Set<String> publicTopLevelTypes() throws IOException, URISyntaxException, ClassNotFoundException {
        Path root = Path.of(Lfm2Vl.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Set<String> names = new TreeSet<>();
        try (Stream<Path> files = Files.walk(root.resolve("dev/lfm2vl/runtime"))) {
            for (Path f : files.toList()) {
                String file = f.getFileName().toString();
                if (file.endsWith(".class") && !file.contains("$") && !file.equals("package-info.class")) {
                    String binary = root.relativize(f).toString().replace('/', '.').replace('\\', '.');
                    Class<?> type = Class.forName(binary.substring(0, binary.length() - ".class".length()));
                    if (Modifier.isPublic(type.getModifiers())) {
                        names.add(type.getSimpleName());
                    }
                }
            }
        }
        return names;
    }

    @Test
    void thePublicTypesAreExactlyTheOnesTheReadmeLists() throws Exception {
        Set<String> listed = listedInReadme();
        Set<String> exported = publicTopLevelTypes();
        Set<String> unlisted = new TreeSet<>(exported);
        unlisted.removeAll(listed);
        Set<String> hidden = new TreeSet<>(listed);
        hidden.removeAll(exported);
        assertEquals(Set.of(), unlisted, "public in runtime but not listed in the README (make it package-private, or list it)");
        assertEquals(Set.of(), hidden, "listed in the README but not public in runtime");
    }

    @Test
    void theModuleExportsExactlyThePackagesTheReadmeNames() throws Exception {
        Matcher section = Pattern.compile("<!-- runtime-api:start -->(.*?)<!-- runtime-api:end -->", Pattern.DOTALL)
                .matcher(Files.readString(Path.of(System.getProperty("lfm2vl.root", "..")).resolve("README.md")));
        assertTrue(section.find(), "README.md has the runtime-api section");
        Set<String> named = new TreeSet<>();
        Matcher pkg = Pattern.compile("`(dev\\.lfm2vl\\.runtime[a-z.]*)`").matcher(section.group(1));
        while (pkg.find()) {
            named.add(pkg.group(1));
        }
        // the descriptor as compiled (the suite itself runs on the class path, where module-info.class is ignored)
        Path classes = Path.of(Lfm2Vl.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        ModuleDescriptor module = ModuleFinder.of(classes).find("dev.lfm2vl.runtime").orElseThrow().descriptor();
        assertFalse(module.isAutomatic(), "a module-info, not an Automatic-Module-Name");
        assertFalse(module.isOpen());
        assertEquals(Set.of(), module.opens());
        Set<String> exported = new TreeSet<>();
        for (ModuleDescriptor.Exports e : module.exports()) {
            assertFalse(e.isQualified(), e.toString());
            exported.add(e.source());
        }
        assertEquals(named, exported, "README's runtime-api section vs module-info.java's exports");
        Set<String> withPublicTypes = new TreeSet<>();
        try (Stream<Path> files = Files.walk(classes.resolve("dev/lfm2vl/runtime"))) {
            for (Path f : files.toList()) {
                String file = f.getFileName().toString();
                if (file.endsWith(".class") && !file.contains("$") && !file.equals("package-info.class")) {
                    String binary = classes.relativize(f).toString().replace('/', '.').replace('\\', '.');
                    Class<?> type = Class.forName(binary.substring(0, binary.length() - ".class".length()));
                    if (Modifier.isPublic(type.getModifiers())) {
                        withPublicTypes.add(type.getPackageName());
                    }
                }
            }
        }
        assertEquals(withPublicTypes, exported, "the packages with public (README-listed) types vs the exported ones");
    }

    @Test
    void theLayersAndWeightLookupStayInternal() throws Exception {
        Set<String> exported = publicTopLevelTypes();
        for (String internal : new String[] {"Attention", "ShortConv", "SiglipEncoder", "Projector", "GgufWeights",
                "Llama3PreTokenizer", "ByteLevel", "VisionNumerics"}) {
            assertTrue(!exported.contains(internal), internal + " is an implementation detail of the runtime");
        }
    }
}
