package dev.sculpt.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sculpt.cem.PromptTemplate;
import dev.sculpt.cem.RoundMetrics;
import dev.sculpt.cem.SetMetrics;
import dev.sculpt.cem.EvolveResult;
import dev.sculpt.cli.Sculpt;
import dev.sculpt.continual.Method;
import dev.sculpt.demo.EvolveDemo;
import dev.sculpt.demo.PeopleWorld;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The CEM ablations of issue 17 (bench/cem/ablate.sh; figures in bench/RESULTS.md, "CEM ablations"): the full loop
 * against the loop without the constraint (or with it, where the full loop is seqft), without replay (replay share 0
 * and no general items) and without grounding ({@code --ungrounded}), on two worlds:
 * <ul>
 *   <li>{@code people}: {@link PeopleWorld}, the new-world test's workflow through the CLI (init with the word
 *       tokenizer, teach with continual seqft, then {@code sculpt evolve --rounds 3 --lr 1e-3 --method seqft} as the
 *       full loop); teaching runs once per seed and every variant starts from its checkpoint;</li>
 *   <li>{@code demo}: the {@code sculpt demo --evolve} world ({@link EvolveDemo#ablate}), the demo's settings
 *       (osft) as the full loop, pre-trained once per seed.</li>
 * </ul>
 * Usage: {@code CemAblation people|demo OUT_DIR SEED...}. One line per run goes to stdout (and OUT_DIR/summary.tsv):
 * world, seed, variant, probe / held-out / ood first and last round, retrievalHits per round, seconds.
 */
public final class CemAblation {
    private CemAblation() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 3) throw new IllegalArgumentException("usage: CemAblation people|demo OUT_DIR SEED...");
        Path out = Path.of(args[1]);
        Files.createDirectories(out);
        List<String> lines = new ArrayList<>();
        lines.add("world\tseed\tvariant\tprobe\theldout\tood\tretrievalHits\tseconds");
        System.out.println(lines.get(0));
        for (int i = 2; i < args.length; i++) {
            long seed = Long.parseLong(args[i]);
            List<String> rows = switch (args[0]) {
                case "people" -> people(out.resolve("people-" + seed), seed);
                case "demo" -> demo(out.resolve("demo-" + seed), seed);
                default -> throw new IllegalArgumentException("world must be people or demo, got " + args[0]);
            };
            lines.addAll(rows);
            Files.write(out.resolve("summary-" + args[0] + ".tsv"), lines);
        }
    }

    private static List<String> people(Path dir, long seed) throws Exception {
        PeopleWorld.Workflow f = PeopleWorld.generate(seed, 12, 12).writeWorkflow(dir, PromptTemplate.defaults());
        Path model = dir.resolve("model");
        sculpt(dir, f.initArgs(model).toArray(String[]::new));
        Path taught = dir.resolve("teach");
        sculpt(dir, f.teachArgs(model, taught).toArray(String[]::new));
        List<String> rows = new ArrayList<>();
        Map<String, List<String>> variants = new java.util.LinkedHashMap<>();
        variants.put("full (seqft)", List.of("--method", "seqft"));
        variants.put("with constraint (osft)", List.of("--method", "osft"));
        variants.put("no replay", List.of("--method", "seqft", "--replay-share", "0", "--general-per-passage", "0"));
        variants.put("ungrounded", List.of("--method", "seqft", "--ungrounded"));
        String only = System.getProperty("cem.people.variants");   // "name=flag flag;name=flags": these instead
        if (only != null && !only.isBlank()) {
            variants.clear();
            for (String v : only.split(";")) {
                String[] nv = v.split("=", 2);
                variants.put(nv[0].trim(), List.of(nv[1].trim().split("\\s+")));
            }
        }
        int k = 0;
        for (var v : variants.entrySet()) {
            Path run = dir.resolve("run-" + k++);
            List<String> extra = new ArrayList<>(v.getValue().contains("--lr") ? List.of() : List.of("--lr", "1e-3"));
            extra.addAll(v.getValue());
            List<String> a = f.evolveArgs(taught, run, extra);
            long t0 = System.nanoTime();
            sculpt(dir, a.toArray(String[]::new));
            double secs = (System.nanoTime() - t0) / 1e9;
            JsonNode rounds = new ObjectMapper().readTree(run.resolve("metrics.json").toFile()).get("rounds");
            JsonNode first = rounds.get(0);
            JsonNode last = rounds.get(rounds.size() - 1);
            StringBuilder hits = new StringBuilder();
            for (int i = 1; i < rounds.size(); i++) hits.append(i > 1 ? " " : "").append(fmt(rounds.get(i).get("retrievalHits")));
            rows.add(row("people", seed, v.getKey(), span(first, last, "probe"), "-", span(first, last, "ood"), hits.toString(), secs));
        }
        return rows;
    }

    private static List<String> demo(Path dir, long seed) {
        EvolveDemo.Settings base = EvolveDemo.Settings.defaults().withSeed(seed);
        List<EvolveDemo.Variant> variants = List.of(
                new EvolveDemo.Variant("full", base, true),
                new EvolveDemo.Variant("seqft", base.withMethod(Method.SEQFT), true),
                new EvolveDemo.Variant("noreplay", base.withReplay(0, 0.0), true),
                new EvolveDemo.Variant("ungrounded", base, false));
        String[] names = {"full (osft)", "no constraint (seqft)", "no replay", "ungrounded"};
        List<String> rows = new ArrayList<>();
        PrintStream log = logTo(dir);
        // time per variant: the loop's own round seconds summed (the pre-training is shared)
        List<EvolveResult> results = EvolveDemo.ablate(log, dir, base, variants);
        log.close();
        for (int i = 0; i < results.size(); i++) {
            EvolveResult r = results.get(i);
            RoundMetrics a = r.first();
            RoundMetrics b = r.last();
            StringBuilder hits = new StringBuilder();
            double secs = 0;
            for (RoundMetrics m : r.rounds()) {
                secs += m.seconds();
                if (m.round() > 0) hits.append(m.round() > 1 ? " " : "").append(m.retrievalHits() == null ? "-" : String.format(Locale.ROOT, "%.2f", m.retrievalHits()));
            }
            rows.add(row("demo", seed, names[i], span(a.probe(), b.probe()), span(a.heldout(), b.heldout()), span(a.ood(), b.ood()), hits.toString(), secs));
        }
        return rows;
    }

    private static PrintStream logTo(Path dir) {
        try {
            Files.createDirectories(dir);
            return new PrintStream(Files.newOutputStream(dir.resolve("log.txt")), true);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void sculpt(Path dir, String... args) {
        PrintStream old = System.out;
        try (PrintStream log = new PrintStream(Files.newOutputStream(dir.resolve("log-" + args[0] + ".txt"),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND), true)) {
            System.setOut(log);
            int code = Sculpt.commandLine().execute(args);
            if (code != 0) throw new IllegalStateException("sculpt " + String.join(" ", args) + " exited " + code + "; see " + dir);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            System.setOut(old);
        }
    }

    private static String row(String world, long seed, String variant, String probe, String heldout, String ood, String hits, double secs) {
        String r = String.format(Locale.ROOT, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%.0f", world, seed, variant, probe, heldout, ood, hits, secs);
        System.out.println(r);
        return r;
    }

    private static String span(JsonNode first, JsonNode last, String set) {
        return String.format(Locale.ROOT, "%.2f -> %.2f", first.get(set).get("accuracy").asDouble(), last.get(set).get("accuracy").asDouble());
    }

    private static String span(SetMetrics a, SetMetrics b) {
        return a == null || b == null ? "-" : String.format(Locale.ROOT, "%.2f -> %.2f", a.accuracy(), b.accuracy());
    }

    private static String fmt(JsonNode n) {
        return n == null || n.isNull() ? "-" : String.format(Locale.ROOT, "%.2f", n.asDouble());
    }
}
