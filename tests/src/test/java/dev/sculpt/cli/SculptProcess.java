package dev.sculpt.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command of a child JVM that runs the {@code sculpt} command line on this test JVM's class path, for the
 * kill -9 tests. It passes on the one JVM option that changes the numbers: the cpu provider runs its vector loops
 * only where {@code jdk.incubator.vector} is loaded, so a child without it would compute other float roundings than
 * the in-process run it is compared with bit for bit.
 */
public final class SculptProcess {
    private SculptProcess() {}

    /** {@code java [--add-modules jdk.incubator.vector] -cp CLASSPATH dev.sculpt.cli.Sculpt ARGS...}. */
    public static List<String> command(List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) cmd.addAll(List.of("--add-modules", "jdk.incubator.vector"));
        String loops = System.getProperty("sculpt.cpu.vector");
        if (loops != null) cmd.add("-Dsculpt.cpu.vector=" + loops);
        cmd.addAll(List.of("-Dorg.bytedeco.javacpp.maxBytes=0", "-cp", System.getProperty("java.class.path"), Sculpt.class.getName()));
        cmd.addAll(args);
        return cmd;
    }
}
