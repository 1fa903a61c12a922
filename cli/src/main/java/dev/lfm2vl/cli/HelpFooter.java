package dev.lfm2vl.cli;

import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.UsageMessageSpec;

/**
 * Renders the footer of every command's help with its indented lines (the examples) as they are. Picocli wraps
 * footer text at the usage width (80 columns), at spaces and dots alike, which broke long examples in the middle of
 * a word ({@code --out photo.}/{@code f32}) so that a copied example no longer ran. A long example now runs past the
 * right edge instead; the terminal soft-wraps it, and copying it still gives one line. Unindented footer lines are
 * prose and are wrapped as before.
 */
final class HelpFooter implements CommandLine.IHelpSectionRenderer {
    private HelpFooter() {}

    /** Installs the renderer on {@code cl} and all its subcommands (their help is printed by their own CommandLine). */
    static void install(CommandLine cl) {
        cl.getHelpSectionMap().put(UsageMessageSpec.SECTION_KEY_FOOTER, new HelpFooter());
        for (CommandLine sub : cl.getSubcommands().values()) {
            install(sub);
        }
    }

    /** Whether a footer line is an example: examples are indented, prose is not. */
    static boolean isExample(String line) {
        return line.startsWith(" ");
    }

    @Override
    public String render(Help help) {
        UsageMessageSpec usage = help.commandSpec().usageMessage();
        StringBuilder b = new StringBuilder();
        for (String line : usage.footer()) {
            if (isExample(line)) {
                b.append(line).append(System.lineSeparator());
            } else {
                Help.join(help.colorScheme().ansi(), usage.width(), usage.adjustLineBreaksForWideCJKCharacters(), new String[] {line}, b);
            }
        }
        return b.toString();
    }
}
