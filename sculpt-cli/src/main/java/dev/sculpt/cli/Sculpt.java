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

    /**
     * Lucene's notice that it saw the vector module but will not use it on JDK 17 (the module is loaded for the cpu
     * provider's loops): held here, so that the level set in {@link #main} stays (java.util.logging keeps loggers
     * weakly).
     */
    private static final java.util.logging.Logger LUCENE_VECTORIZATION =
            java.util.logging.Logger.getLogger("org.apache.lucene.internal.vectorization");

    public static void main(String[] args) {
        LUCENE_VECTORIZATION.setLevel(java.util.logging.Level.SEVERE);
        System.exit(execute(args));
    }
}
