package dev.sculpt.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.data.TaskData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContinualDemoTest {
    @TempDir Path dir;

    @Test
    void tasksAreDeterministicWithDisjointTestInputs() {
        List<TaskData> a = SyntheticTasks.generate(50, 10, 3), b = SyntheticTasks.generate(50, 10, 3);
        assertEquals(a, b);
        assertEquals(4, a.size());
        for (TaskData t : a) {
            Set<String> train = new HashSet<>();
            t.train().forEach(p -> train.add(p.prompt()));
            t.test().forEach(p -> assertTrue(!train.contains(p.prompt()), t.name() + " test input seen in training: " + p.prompt()));
        }
        for (var p : a.get(0).train()) {
            String w = p.prompt().substring(4, 7);
            assertEquals(new StringBuilder(w).reverse().toString(), p.completion());
        }
        assertEquals("bca", SyntheticTasks.shift("abh"));
        assertEquals("aabbcc", SyntheticTasks.dup("abc"));
    }

    @Test
    void smallDemoRunsBothMethodsAndWritesTheReport() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ContinualDemo.Result r = ContinualDemo.run(new PrintStream(buf, true),
                ContinualDemo.Options.defaults(dir).withSize(32, 4, 1).withModel(32, 1).withProgress(false));
        String out = buf.toString();
        assertTrue(out.contains("AA (%)") && out.contains("BWT (%)"), out);
        assertEquals(4, r.osft().completedTasks);
        assertEquals(4, r.seqft().completedTasks);
        assertTrue(Files.size(dir.resolve("report.png")) > 1000);
        assertTrue(Files.isRegularFile(dir.resolve("osft/metrics.json")));
    }
}
