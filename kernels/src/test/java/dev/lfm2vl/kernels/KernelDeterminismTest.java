package dev.lfm2vl.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lfm2vl.loader.GgmlType;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The kernels give the same bits in the interpreter as after C2 has compiled them (docs/JIT.md, "Same bits in every
 * tier"): a child JVM with {@code -Xint} computes a fingerprint of each kernel's output on fixed inputs, and this JVM
 * computes it again after warming the kernels up. A kernel that used {@code reduceLanes(ADD)} on floats or a
 * transcendental {@code lanewise} op would differ in the last bits and fail here whatever the test order.
 */
class KernelDeterminismTest {

    /** Each kernel's output bits on fixed inputs, folded into one long per kernel. */
    static Map<String, Long> fingerprints() {
        Map<String, Long> out = new LinkedHashMap<>();
        int n = 301; // leaves a vector tail at 4, 8 and 16 lanes
        float[] x = KernelAsserts.random(1, n, -12f, 12f);
        float[] y = new float[n];

        float[] soft = x.clone();
        Softmax.softmax(soft, 0, n);
        out.put("softmax", bits(soft));
        Activations.silu(x, 0, y, 0, n);
        out.put("silu", bits(y));
        Activations.swiglu(x, 0, KernelAsserts.random(2, n, -2f, 2f), 0, y, 0, n);
        out.put("swiglu", bits(y));
        Activations.geluTanh(x, 0, y, 0, n);
        out.put("gelu-tanh", bits(y));
        Activations.geluErf(x, 0, y, 0, n);
        out.put("gelu-erf", bits(y));
        Norms.rmsNorm(x, 0, KernelAsserts.random(3, n, 0.5f, 1.5f), y, 0, n, 1e-5f);
        out.put("rms-norm", bits(y));
        Norms.layerNorm(x, 0, KernelAsserts.random(4, n, 0.5f, 1.5f), KernelAsserts.random(5, n, -1f, 1f), y, 0, n, 1e-6f);
        out.put("layer-norm", bits(y));

        int tokens = 11, heads = 2, headDim = 64, dim = heads * headDim;
        float[] q = KernelAsserts.random(6, tokens * dim, -1f, 1f), k = KernelAsserts.random(7, tokens * dim, -1f, 1f),
                v = KernelAsserts.random(8, tokens * dim, -1f, 1f);
        float[] attn = new float[tokens * dim];
        BidirectionalAttention.bidirectional(q, 0, k, 0, v, 0, dim, tokens, heads, headDim, attn, 0, dim,
                new float[AttentionTiles.keysTransposedSize(tokens, headDim)], new float[BidirectionalAttention.bidirectionalScoresSize(tokens)]);
        out.put("bidirectional-attention", bits(attn));

        try (Parallel pool = Parallel.sequential()) {
            for (GgmlType type : new GgmlType[] {GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K}) {
                WeightMatrix w = TestWeights.random(type, 8, 512, 9);
                float[] row = TestWeights.randomVector(512, 10);
                float[] mv = new float[8];
                MatVec.matVec(w, row, 0, mv, 0, pool);
                out.put("matvec-" + type, bits(mv));
            }
        }
        return out;
    }

    private static long bits(float[] a) {
        long h = 1125899906842597L;
        for (float f : a) {
            h = 31 * h + Float.floatToRawIntBits(f);
        }
        return h;
    }

    /** Prints the fingerprints, one {@code name value} line each (run by the test in a child JVM). */
    public static void main(String[] args) {
        for (Map.Entry<String, Long> e : fingerprints().entrySet()) {
            System.out.println(e.getKey() + " " + e.getValue());
        }
    }

    @Test
    void theInterpreterAndCompiledKernelsGiveTheSameBits() throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElseThrow());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("-XX:MaxVectorSize") || arg.startsWith("-XX:UseAVX") || arg.startsWith("--add-modules")
                    || arg.startsWith("-Xmx")) {
                cmd.add(arg); // the same vector width and code path as this JVM
            }
        }
        cmd.addAll(List.of("--add-modules", "jdk.incubator.vector", "-Xint", "-cp", System.getProperty("java.class.path"),
                KernelDeterminismTest.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String printed;
        try {
            printed = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                throw new AssertionError("the -Xint child did not finish in 120 s");
            }
        } finally {
            p.destroyForcibly();
        }
        assertEquals(0, p.exitValue(), printed);
        Map<String, Long> interpreted = new LinkedHashMap<>();
        for (String line : printed.split("\n")) {
            String[] kv = line.strip().split(" ");
            if (kv.length == 2 && kv[1].matches("-?\\d+")) {
                interpreted.put(kv[0], Long.parseLong(kv[1]));
            }
        }

        Map<String, Long> compiled = null;
        for (int i = 0; i < 400; i++) { // enough calls for C2 to compile every kernel here
            compiled = fingerprints();
        }
        assertEquals(compiled.keySet(), interpreted.keySet(), printed);
        for (String kernel : compiled.keySet()) {
            assertEquals(interpreted.get(kernel), compiled.get(kernel), kernel + ": -Xint and compiled bits differ");
        }
    }
}
