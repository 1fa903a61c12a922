package dev.lfm2vl.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.launcher.JavaModuleOptions;
import org.junit.jupiter.api.Test;

/**
 * The JVM flags Spark needs on JDK 25 are written twice, in the launcher ./lfm2vl-spark and in the module's surefire
 * argLine: both must be Spark's own list (JavaModuleOptions, what spark-submit gives every JVM), less the flags that
 * are passed separately or do not apply (the Vector API module and native access, which every lfm2vl JVM gets
 * anyway; Netty allocator and TLS properties; a package JDK 25 no longer has).
 */
class SparkJvmFlagsTest {
    private static final List<String> NOT_NEEDED = List.of("-XX:+IgnoreUnrecognizedVMOptions", "--add-modules=jdk.incubator.vector",
            "--enable-native-access=ALL-UNNAMED", "-Dio.netty.allocator.type=pooled",
            "-Dio.netty.handler.ssl.defaultEndpointVerificationAlgorithm=NONE",
            "--add-opens=java.base/sun.security.action=ALL-UNNAMED");

    private static Path root() {
        return Path.of(System.getProperty("lfm2vl.root", ".."));
    }

    private static List<String> sparksList() {
        List<String> flags = new ArrayList<>(Arrays.asList(JavaModuleOptions.defaultModuleOptionArray()));
        flags.removeAll(NOT_NEEDED);
        return flags;
    }

    @Test
    void theLauncherPassesSparksFlags() throws IOException {
        String script = Files.readString(root().resolve("lfm2vl-spark"));
        Matcher m = Pattern.compile("spark_flags=\\((.*?)\\)", Pattern.DOTALL).matcher(script);
        assertTrue(m.find(), "the launcher's spark_flags");
        assertEquals(sparksList(), Arrays.asList(m.group(1).strip().split("\\s+")));
    }

    @Test
    void theTestsRunWithSparksFlags() throws IOException {
        String pom = Files.readString(root().resolve("spark/pom.xml"));
        Matcher m = Pattern.compile("<lfm2vl.sparkJvmFlags>(.*?)</lfm2vl.sparkJvmFlags>", Pattern.DOTALL).matcher(pom);
        assertTrue(m.find(), "the pom's lfm2vl.sparkJvmFlags");
        assertEquals(sparksList(), Arrays.asList(m.group(1).strip().split("\\s+")));
        assertTrue(ManagementFactory.getRuntimeMXBean().getInputArguments().containsAll(sparksList()), "this JVM got them");
    }
}
