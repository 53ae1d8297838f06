package dev.sculpt.cli;

import dev.sculpt.SculptException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code sculpt} command line: a thin shell over the public Java API; one class per subcommand. */
@Command(name = "sculpt", mixinStandardHelpOptions = true, version = "sculpt 0.1.0",
        description = "Continual full fine-tuning of LLaMA and T5 without forgetting (OSFT, CEM).",
        subcommands = {CommandLine.HelpCommand.class})
public final class Sculpt implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** Builds the command line with every subcommand registered. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Sculpt());
        for (Object sub : SubcommandRegistry.all()) {
            cl.addSubcommand(sub);
        }
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            if (ex instanceof SculptException) {
                cmd.getErr().println("error: " + ex.getMessage());
                return 2;
            }
            throw ex;
        });
        return cl;
    }

    /** Runs the command line and returns the exit code (for tests and embedding). */
    public static int execute(String... args) {
        return commandLine().execute(args);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }
}
