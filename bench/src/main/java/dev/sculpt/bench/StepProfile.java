package dev.sculpt.bench;

import dev.sculpt.model.Example;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.llama.LlamaConfig;
import dev.sculpt.model.llama.LlamaFamily;
import dev.sculpt.model.llama.LlamaModel;
import dev.sculpt.model.t5.T5Model;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.cpu.CpuOps;
import dev.sculpt.text.ByteTokenizer;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Where a CPU training step's wall time goes, op by op: the step of {@link TrainStepBench} (LLaMA "small") or
 * {@link T5TrainStepBench} (T5 of the same size) runs on the cpu provider behind a proxy that times every call of the
 * {@link Ops} interface. Time outside any op (the engine's own Java: packing, copies between its buffers) is printed
 * as "outside ops". A provider's calls to its own methods (the attention ops' per-head gemms) count in the calling op.
 *
 * <p>This is a diagnostic, not a benchmark: the ratios to the sgemm floor come from the JMH benches. The proxy costs
 * about a microsecond per call, a few thousand calls per step.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar dev.sculpt.bench.StepProfile llama 5
 * java -cp bench/target/benchmarks.jar dev.sculpt.bench.StepProfile t5 5
 * </pre>
 */
public final class StepProfile {
    private StepProfile() {}

    public static void main(String[] args) throws Exception {
        String which = args.length > 0 ? args[0] : "llama";
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Map<String, long[]> times = new TreeMap<>();
        CpuOps cpu = new CpuOps();
        Ops timed = (Ops) Proxy.newProxyInstance(Ops.class.getClassLoader(), new Class<?>[] {Ops.class}, (p, m, a) -> {
            long t0 = System.nanoTime();
            try {
                return m.invoke(cpu, a);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            } finally {
                long[] s = times.computeIfAbsent(m.getName(), k -> new long[2]);
                s[0] += System.nanoTime() - t0;
                s[1]++;
            }
        });
        SplittableRandom r = new SplittableRandom(2);
        List<Example> batch = new ArrayList<>();
        LanguageModel model;
        if (which.equals("t5")) {
            model = T5Model.init(T5TrainStepBench.config(), 1, timed);
            for (int s = 0; s < 8; s++) batch.add(new Example(tokens(r, 128), tokens(r, 128)));
        } else {
            LlamaConfig cfg = LlamaFamily.preset("small", ByteTokenizer.VOCAB_SIZE, ByteTokenizer.BOS, ByteTokenizer.EOS, ByteTokenizer.PAD);
            model = LlamaModel.create(cfg, 1, timed);
            for (int s = 0; s < 8; s++) batch.add(new Example(tokens(r, 129), tokens(r, 128)));
        }
        for (int i = 0; i < 2; i++) model.forwardBackward(batch, 1f); // warm-up
        times.clear();
        long t0 = System.nanoTime();
        for (int i = 0; i < steps; i++) model.forwardBackward(batch, 1f);
        double total = (System.nanoTime() - t0) / 1e6 / steps;
        double inOps = 0;
        System.out.printf("%s step: %.1f ms (mean of %d)%n", which, total, steps);
        List<Map.Entry<String, long[]>> rows = new ArrayList<>(times.entrySet());
        rows.sort((x, y) -> Long.compare(y.getValue()[0], x.getValue()[0]));
        for (Map.Entry<String, long[]> e : rows) {
            double ms = e.getValue()[0] / 1e6 / steps;
            inOps += ms;
            System.out.printf("  %-22s %8.1f ms %5.1f%%  %6d calls%n", e.getKey(), ms, 100 * ms / total, e.getValue()[1] / steps);
        }
        System.out.printf("  %-22s %8.1f ms %5.1f%%%n", "outside ops", total - inOps, 100 * (total - inOps) / total);
        model.close();
        LlamaConfig cfg = LlamaFamily.preset("small", ByteTokenizer.VOCAB_SIZE, ByteTokenizer.BOS, ByteTokenizer.EOS, ByteTokenizer.PAD);
        AutoCloseable floor;
        Runnable products;
        if (which.equals("t5")) {
            T5TrainStepBench.Floor f = new T5TrainStepBench.Floor(T5TrainStepBench.config(), 8, 128, 128);
            floor = f;
            products = f::run;
        } else {
            TrainStepBench.Floor f = new TrainStepBench.Floor(cfg, 8, 256, 8 * 128);
            floor = f;
            products = f::run;
        }
        products.run();
        long f0 = System.nanoTime();
        for (int i = 0; i < steps; i++) products.run();
        double f = (System.nanoTime() - f0) / 1e6 / steps;
        System.out.printf("sgemm floor: %.1f ms; step / floor %.2f (one process, one after the other)%n", f, total / f);
        floor.close();
    }

    private static int[] tokens(SplittableRandom r, int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = 3 + r.nextInt(256);
        return t;
    }
}
