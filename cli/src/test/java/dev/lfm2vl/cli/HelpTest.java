package dev.lfm2vl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** What {@code --help} prints, at picocli's default width of 80 columns. */
class HelpTest {

    /** A way to print the help of {@code command}. */
    private record HelpRun(CommandLine command, String... args) {}

    /** Every command's help, as {@code lfm2vl CMD --help} and {@code lfm2vl help CMD} print it. */
    private static List<HelpRun> helpRuns(CommandLine root) {
        List<HelpRun> all = new ArrayList<>();
        all.add(new HelpRun(root, "--help"));
        root.getSubcommands().forEach((name, sub) -> {
            all.add(new HelpRun(sub, name, "--help"));
            all.add(new HelpRun(sub, "help", name));
        });
        return all;
    }

    @Test
    void everyExampleLineOfEveryHelpIsPrintedWholeOnOneLine() {
        CommandLine root = new CommandLine(new Main());
        assertEquals(80, root.getUsageHelpWidth(), "the default width (no picocli.usage.width set)");
        int examples = 0;
        for (HelpRun run : helpRuns(root)) {
            String[] args = run.args();
            CliRun r = CliRun.of(args);
            assertEquals(0, r.exitCode(), String.join(" ", args) + ": " + r.err());
            List<String> printed = r.out().lines().toList();
            for (String line : run.command().getCommandSpec().usageMessage().footer()) {
                if (line.strip().startsWith("lfm2vl ") || line.strip().startsWith("printf ")) {
                    assertTrue(printed.contains(line), String.join(" ", args) + " prints the example unbroken: " + line + "\n" + r.out());
                    examples++;
                }
            }
        }
        assertTrue(examples > 30, "examples checked: " + examples);
    }

    @Test
    void footerProseIsStillWrappedAtTheWidth() {
        CliRun r = CliRun.of("quantize", "--help");
        String footer = r.out().substring(r.out().indexOf("Kept as they are"));
        for (String line : footer.substring(0, footer.indexOf("Examples:")).lines().toList()) {
            assertTrue(line.length() <= 80, "wrapped: " + line);
        }
    }
}
