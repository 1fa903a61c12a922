package dev.lfm2vl.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A signed release build (-Dgpg.keyname, the one Central would accept) refuses the placeholder repository URL: the
 * root pom's publishable-bundle profile holds an enforcer rule whose regex the URL must match. This evaluates that
 * regex as Maven would (the placeholder property interpolated into it) without running a second Maven build.
 */
class ReleaseProfileTest {

    private static String rootPom() throws IOException {
        return Files.readString(Path.of(System.getProperty("lfm2vl.root", "..")).resolve("pom.xml"));
    }

    private static String property(String pom, String name) {
        Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</" + Pattern.quote(name) + ">").matcher(pom);
        assertTrue(m.find(), name);
        return m.group(1);
    }

    /** The rule's regex with lfm2vl.repository.placeholder set to {@code placeholder}. */
    private static Pattern rule(String pom, String placeholder) {
        int profile = pom.indexOf("<id>publishable-bundle</id>");
        assertTrue(profile > 0, "the publishable-bundle profile");
        String rest = pom.substring(profile);
        assertTrue(rest.substring(0, rest.indexOf("</activation>")).contains("<property><name>gpg.keyname</name></property>"),
                "active whenever a signing key is named");
        assertTrue(rest.contains("<property>lfm2vl.repository.url</property>"), rest);
        String regex = property(rest, "regex");
        return Pattern.compile(regex.replace("${lfm2vl.repository.placeholder}", placeholder));
    }

    @Test
    void aSignedReleaseRefusesThePlaceholderUrlAndAcceptsAnyOther() throws IOException {
        String pom = rootPom();
        String placeholder = property(pom, "lfm2vl.repository.placeholder");
        Pattern rule = rule(pom, placeholder);
        assertFalse(rule.matcher(placeholder).matches(), "the placeholder " + placeholder + " passes");
        assertTrue(rule.matcher("https://github.com/someone/lfm2vl-java").matches());
        assertTrue(rule.matcher(placeholder + "-real").matches(), "a URL that merely starts like the placeholder");
        // the documented way out when the placeholder is the real address
        assertTrue(rule(pom, "none").matcher(placeholder).matches());
        // today's URL is the placeholder: the unsigned dry run builds, a signed one stops
        assertTrue(property(pom, "lfm2vl.repository.url").equals(placeholder) || rule.matcher(property(pom, "lfm2vl.repository.url")).matches());
    }
}
