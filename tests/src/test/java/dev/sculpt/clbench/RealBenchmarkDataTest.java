package dev.sculpt.clbench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sculpt.SculptException;
import dev.sculpt.data.TaskData;
import dev.sculpt.data.TextPair;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Reads the real benchmark copy next to the repository when it is there; counts come from its README table. */
class RealBenchmarkDataTest {
    Path dir;

    @BeforeEach
    void findData() {
        // SCULPT_CL_BENCHMARK, else ../shared/data/cl_benchmark beside the repository (or beside the folder
        // of git worktrees that holds it)
        Path root = Path.of(System.getProperty("sculpt.repo.root", ".")).toAbsolutePath().normalize();
        String env = System.getenv("SCULPT_CL_BENCHMARK");
        List<Path> candidates = env != null && !env.isBlank() ? List.of(Path.of(env))
                : List.of(root.resolve("../shared/data/cl_benchmark").normalize(), root.resolve("../../shared/data/cl_benchmark").normalize());
        dir = candidates.stream().filter(Files::isDirectory).findFirst().orElse(null);
        assumeTrue(dir != null, "real CL benchmark data not found at " + candidates + "; skipping");
    }

    @Test
    void countsMatchTheReadmeTable() {
        List<TaskData> tasks = ClBenchmark.load(dir, "agnews,SST-2,rte");
        assertEquals(4000, tasks.get(0).train().size());
        assertEquals(7600, tasks.get(0).test().size());
        assertEquals(2000, tasks.get(1).train().size());
        assertEquals(872, tasks.get(1).test().size());
        assertEquals(2000, tasks.get(2).train().size());
        assertEquals(277, tasks.get(2).test().size());
        for (TaskData t : tasks) assertTrue(t.notes().isEmpty(), t.notes().toString());

        TextPair p = tasks.get(0).train().get(0);
        assertTrue(p.prompt().startsWith("What is the topic of the following paragraph? Choose one from the option.\nTitle: "), p.prompt());
        assertTrue(p.prompt().endsWith("\nOption: World, Sports, Business, Science or Technology\nAnswer:"), p.prompt());
        assertTrue(Set.of("World", "Sports", "Business", "Science or Technology").contains(p.completion()));
    }

    @Test
    void missingSplitsAreHeldOutAndNoGoldEntriesSkipped() {
        List<TaskData> tasks = ClBenchmark.load(dir, "dbpedia,IMDB,MNLI", 0, 0, 0);
        TaskData dbpedia = tasks.get(0);
        assertEquals(1520, dbpedia.test().size(), "20% of the 7600 test entries");
        assertEquals(6080, dbpedia.train().size());
        Set<TextPair> overlap = new HashSet<>(dbpedia.train());
        overlap.retainAll(new HashSet<>(dbpedia.test()));
        assertTrue(overlap.isEmpty());
        assertEquals(400, tasks.get(1).test().size());
        assertEquals(1600, tasks.get(1).train().size());
        TaskData mnli = tasks.get(2);
        assertEquals(3000, mnli.train().size());
        assertEquals(7600 - 131, mnli.test().size(), "131 MNLI test entries carry GLUE's '-' (no gold label)");
        assertTrue(mnli.notes().stream().anyMatch(n -> n.contains("skipped 131")), mnli.notes().toString());
    }

    @Test
    void longPassagesFitASmallContext() {
        ContextBudget bytes = new ContextBudget(t -> t.getBytes(java.nio.charset.StandardCharsets.UTF_8).length, 512, 2);
        TaskData boolqa = ClBenchmark.load(dir, "BoolQA", new BenchmarkOptions(300, 100, 1, 0), bytes).get(0);
        for (TextPair p : boolqa.train()) assertTrue(bytes.fits(p.prompt(), p.completion()));
        for (TextPair p : boolqa.test()) assertTrue(bytes.fits(p.prompt(), p.completion()));
        assertTrue(boolqa.notes().stream().anyMatch(n -> n.contains("to fit the model's 512 tokens")), boolqa.notes().toString());
    }

    @Test
    void publishedOrdersNeedingYahooCannotBeFormedFromThisCopy() {
        SculptException e = assertThrows(SculptException.class, () -> ClBenchmark.load(dir, "standard-1", 10, 10, 0));
        assertTrue(e.getMessage().contains("standard-1") && e.getMessage().contains("TC/yahoo") && e.getMessage().contains("train.json"), e.getMessage());
    }

    @Test
    void theCompleteEightTaskSequenceLoadsWithCaps() {
        List<TaskData> tasks = ClBenchmark.load(dir, String.join(",", TaskOrders.COMPLETE_8), 50, 20, 1);
        assertEquals(TaskOrders.COMPLETE_8, tasks.stream().map(TaskData::name).toList());
        for (TaskData t : tasks) {
            assertEquals(50, t.train().size(), t.name());
            assertEquals(20, t.test().size(), t.name());
            assertTrue(t.notes().stream().noneMatch(n -> n.contains("hold-out")), t.notes().toString());
        }
    }
}
