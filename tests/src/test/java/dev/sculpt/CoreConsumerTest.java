package dev.sculpt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sculpt.osft.SubspaceGuard;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JVM trainer that wants only the guard depends on sculpt-core alone (issue 14, item 4): a throw-away Maven project
 * in a temp dir declares {@code dev.sculpt:sculpt-core} as its one dependency and resolves it offline, from a temp
 * local repository that holds this build's sculpt-core (jar of its classes, its pom and the parent pom, as
 * {@code install} would put them) chained in front of the user's local repository. The resolved class path must
 * hold nothing but sculpt-core, JavaCPP, the OpenBLAS preset and slf4j-api; the README's guard example, taken
 * verbatim from README.md, must compile against exactly that class path and run.
 */
class CoreConsumerTest {
    /** groupId:artifactId that sculpt-core may pull in; anything else fails the test. */
    private static final Set<String> ALLOWED = Set.of("dev.sculpt:sculpt-core", "org.bytedeco:javacpp",
            "org.bytedeco:openblas", "org.slf4j:slf4j-api");
    private static final String DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath";

    @TempDir Path tmp;

    @Test
    void readmeGuardExampleBuildsAndRunsAgainstSculptCoreAlone() throws Exception {
        Path root = Path.of(System.getProperty("sculpt.repo.root", "..")).toAbsolutePath().normalize();
        String version = System.getProperty("sculpt.version");
        String m2 = System.getProperty("sculpt.m2.repo");
        assertTrue(version != null && m2 != null, "run through Maven: the tests pom sets sculpt.version and sculpt.m2.repo");

        // 1. this build's sculpt-core in a temp local repository, laid out as `install` would
        Path repo = tmp.resolve("repo");
        Path parentDir = Files.createDirectories(repo.resolve("dev/sculpt/sculpt-parent/" + version));
        Files.copy(root.resolve("pom.xml"), parentDir.resolve("sculpt-parent-" + version + ".pom"));
        Path coreDir = Files.createDirectories(repo.resolve("dev/sculpt/sculpt-core/" + version));
        Files.copy(root.resolve("sculpt-core/pom.xml"), coreDir.resolve("sculpt-core-" + version + ".pom"));
        packCoreJar(coreDir.resolve("sculpt-core-" + version + ".jar"));

        // 2. the consumer: one dependency, resolved offline
        Path project = Files.createDirectories(tmp.resolve("consumer"));
        Files.writeString(project.resolve("pom.xml"), """
                <project xmlns="http://maven.apache.org/POM/4.0.0">
                  <modelVersion>4.0.0</modelVersion>
                  <groupId>example</groupId><artifactId>guard-example</artifactId><version>1</version>
                  <dependencies>
                    <dependency><groupId>dev.sculpt</groupId><artifactId>sculpt-core</artifactId><version>%s</version></dependency>
                  </dependencies>
                </project>
                """.formatted(version));
        Path cpFile = tmp.resolve("classpath.txt");
        run(List.of(root.resolve("mvnw").toString(), "-o", "-q", "-B", "-f", project.resolve("pom.xml").toString(),
                "-Dmaven.repo.local=" + repo, "-Dmaven.repo.local.tail=" + m2, DEPENDENCY_PLUGIN,
                "-Dmdep.outputFile=" + cpFile, "-Dmdep.includeScope=runtime"), root, "offline resolution of sculpt-core");
        List<Path> classPath = new ArrayList<>();
        for (String e : Files.readString(cpFile).trim().split(java.io.File.pathSeparator)) classPath.add(Path.of(e));
        Set<String> pulled = new TreeSet<>();
        for (Path jar : classPath) pulled.add(coordinates(jar, repo, Path.of(m2)));
        Set<String> extra = new TreeSet<>(pulled);
        extra.removeAll(ALLOWED);
        assertTrue(extra.isEmpty(), "sculpt-core pulls in more than " + ALLOWED + ": " + extra);
        assertTrue(pulled.containsAll(ALLOWED), "resolved class path lacks part of " + ALLOWED + ": " + pulled);

        // 3. the README's example, verbatim, compiled against exactly that class path
        String example = readmeGuardExample(Files.readString(root.resolve("README.md")));
        Path src = Files.createDirectories(project.resolve("src/main/java")).resolve("GuardExample.java");
        Files.writeString(src, example);
        Path classes = Files.createDirectories(project.resolve("classes"));
        String cp = String.join(java.io.File.pathSeparator, classPath.stream().map(Path::toString).toList());
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter diagnostics = new StringWriter();
        boolean compiled = javac.getTask(diagnostics, null, null,
                List.of("--release", "17", "-classpath", cp, "-d", classes.toString()), null,
                javac.getStandardFileManager(null, null, StandardCharsets.UTF_8).getJavaFileObjects(src.toFile())).call();
        assertTrue(compiled, "README guard example does not compile against sculpt-core alone:\n" + diagnostics);

        // 4. and it runs: the guard kept the update out of the protected subspace while the loop moved W
        String out = run(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Duser.language=en", "-Duser.country=US", "-Dorg.bytedeco.javacpp.maxBytes=0",
                "-cp", classes + java.io.File.pathSeparator + cp, "GuardExample"), project, "the README guard example");
        Matcher m = Pattern.compile("rank (\\d+), \\|\\|W - W0\\|\\| ([0-9.eE+-]+), largest relative residual ([0-9.eE+-]+)")
                .matcher(out);
        assertTrue(m.find(), "unexpected output of the README guard example:\n" + out);
        assertEquals(8, Integer.parseInt(m.group(1)), out);
        // 50 steps of lr 0.1 towards a fresh N(0,1) target move W by most of ||P(T - W0)|| (tens); 1 is far below
        assertTrue(Double.parseDouble(m.group(2)) > 1, "the example's loop did not move W: " + out);
        // the tight float32 bound of this loop is SubspaceGuardTest's; here 1e-4 separates a guarded run (rounding
        // level: the projection sums <= 48 terms, ~48 * 2^-24 = 3e-6 relative) from an unguarded one (~sqrt(8/48) = 0.4)
        assertTrue(Double.parseDouble(m.group(3)) < 1e-4, "the invariant did not hold in the README example: " + out);
    }

    /** The one ```java block of README.md that declares {@code class GuardExample}. */
    static String readmeGuardExample(String readme) {
        Matcher m = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        String found = null;
        while (m.find()) {
            if (!m.group(1).contains("class GuardExample")) continue;
            if (found != null) fail("README.md has two java blocks declaring class GuardExample");
            found = m.group(1);
        }
        if (found == null) fail("README.md has no ```java block declaring class GuardExample (the Java API guard example)");
        return found;
    }

    /** A jar of sculpt-core's classes as this test run sees them (the module's classes folder, or its jar). */
    private static void packCoreJar(Path jar) throws IOException, URISyntaxException {
        Path source = Path.of(SubspaceGuard.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (Files.isRegularFile(source)) {
            Files.copy(source, jar);
            return;
        }
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(os);
             Stream<Path> files = Files.walk(source)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                out.putNextEntry(new JarEntry(source.relativize(f).toString().replace('\\', '/')));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
    }

    /** groupId:artifactId of a jar under one of the local repositories (path GROUP/ARTIFACT/VERSION/FILE). */
    private static String coordinates(Path jar, Path... repos) {
        for (Path r : repos) {
            Path abs = jar.toAbsolutePath().normalize(), base = r.toAbsolutePath().normalize();
            if (!abs.startsWith(base)) continue;
            Path rel = base.relativize(abs);
            int n = rel.getNameCount();
            if (n < 4) break;
            return rel.subpath(0, n - 3).toString().replace(java.io.File.separatorChar, '.') + ":" + rel.getName(n - 3);
        }
        return "(outside the local repositories) " + jar;
    }

    /** Runs a command, output to a file; fails with that output on a non-zero exit or after 5 minutes. */
    private String run(List<String> cmd, Path dir, String what) throws IOException, InterruptedException {
        Path log = Files.createTempFile(tmp, "run", ".log");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly().waitFor();
            fail(what + " did not finish in 5 minutes: " + cmd + "\n" + Files.readString(log));
        }
        String out = Files.readString(log);
        if (p.exitValue() != 0) fail(what + " failed (exit " + p.exitValue() + "): " + cmd + "\n" + out);
        return out;
    }
}
