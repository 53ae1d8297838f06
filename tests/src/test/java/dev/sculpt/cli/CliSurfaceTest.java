package dev.sculpt.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The surface a user reads: every flag of every subcommand has a description, and every flag that takes a value
 * and may be left out says what happens then ("default: ..."), so that {@code --help} alone tells a user what a
 * run without the flag does. Units are prose and checked by reading; this test keeps the defaults from going
 * missing again as flags are added.
 */
class CliSurfaceTest {
    @Test
    void everyFlagHasADescriptionAndEveryOptionalValueItsDefault() {
        CommandLine root = Sculpt.commandLine();
        List<String> problems = new ArrayList<>();
        int checked = 0;
        for (var e : root.getSubcommands().entrySet()) {
            if (e.getKey().equals("help")) continue;
            for (OptionSpec o : e.getValue().getCommandSpec().options()) {
                if (o.usageHelp() || o.versionHelp()) continue;
                checked++;
                String name = e.getKey() + " " + o.longestName();
                String text = String.join(" ", o.description()).trim();
                if (text.isEmpty()) {
                    problems.add(name + ": no description");
                    continue;
                }
                boolean flag = o.arity().max() == 0;
                if (!flag && !o.required() && !text.toLowerCase(Locale.ROOT).contains("default")) {
                    problems.add(name + ": optional value without its default");
                }
            }
        }
        assertTrue(checked > 60, "expected the full set of subcommand flags, saw " + checked);
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    void defaultsShowTheirValueInTheHelpText() {
        String help = Sculpt.commandLine().getSubcommands().get("continual").getUsageMessage();
        assertFalse(help.contains("${DEFAULT-VALUE}"), help);
        assertTrue(help.contains("default: 8"), "continual --help should show --batch-size's default:\n" + help);
    }
}
