package dev.sculpt.clbench;

import dev.sculpt.SculptException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The task folders of a benchmark directory ({@code FAMILY/TASK}), looked up by short name
 * ({@code agnews}, {@code sst-2}; case-insensitive) or by {@code FAMILY/TASK}.
 */
final class TaskCatalog {
    /** A task folder: its family (the instruction key) and its own name. */
    record TaskRef(String family, String task, Path dir) {
        String id() {
            return family + "/" + task;
        }
    }

    private final Path root;
    private final Map<String, List<TaskRef>> byShortName = new TreeMap<>();
    private final Map<String, TaskRef> byId = new TreeMap<>();

    private TaskCatalog(Path root) {
        this.root = root;
    }

    static TaskCatalog scan(Path root) {
        if (!Files.isDirectory(root)) {
            throw new SculptException("benchmark directory " + root + " does not exist or is not a directory");
        }
        TaskCatalog c = new TaskCatalog(root);
        try (Stream<Path> families = Files.list(root)) {
            for (Path family : families.filter(Files::isDirectory).sorted().toList()) {
                try (Stream<Path> tasks = Files.list(family)) {
                    for (Path task : tasks.filter(Files::isDirectory).sorted().toList()) {
                        TaskRef ref = new TaskRef(family.getFileName().toString(), task.getFileName().toString(), task);
                        c.byShortName.computeIfAbsent(key(ref.task()), k -> new ArrayList<>()).add(ref);
                        c.byId.put(key(ref.id()), ref);
                    }
                }
            }
        } catch (IOException e) {
            throw new SculptException("cannot list benchmark directory " + root + ": " + e.getMessage(), e);
        }
        return c;
    }

    /** The task of that name, or null when there is none; ambiguous short names are an error. */
    TaskRef find(String name) {
        String k = key(name);
        TaskRef exact = byId.get(k);
        if (exact != null) return exact;
        List<TaskRef> refs = byShortName.get(k);
        if (refs == null) return null;
        if (refs.size() > 1) {
            throw new SculptException("task name '" + name + "' is ambiguous in " + root + ": "
                    + refs.stream().map(TaskRef::id).toList() + "; write FAMILY/TASK");
        }
        return refs.get(0);
    }

    /** Every task as FAMILY/TASK, for error messages. */
    List<String> ids() {
        return byId.values().stream().map(TaskRef::id).toList();
    }

    private static String key(String name) {
        return name.trim().toLowerCase(Locale.ROOT);
    }
}
