package dev.sculpt.cli;

import java.util.List;

/** The list of subcommands, one class each. Add new ones here. */
final class SubcommandRegistry {
    private SubcommandRegistry() {}

    static List<Object> all() {
        return List.of(new InitCommand(), new LogitsCommand(), new GenerateCommand(), new ContinualCommand());
    }
}
