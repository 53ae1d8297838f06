package dev.sculpt.cli;

import java.util.List;

/** The list of subcommands, one class each. Add new ones here. */
final class SubcommandRegistry {
    private SubcommandRegistry() {}

    static List<Object> all() {
        return List.of(new DecomposeCommand(), new DemoCommand(), new InitCommand(), new LogitsCommand(), new GenerateCommand(), new ContinualCommand(), new EvolveCommand(), new PlanCommand());
    }
}
