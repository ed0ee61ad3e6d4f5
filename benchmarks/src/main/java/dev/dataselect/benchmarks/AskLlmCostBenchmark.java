package dev.dataselect.benchmarks;

import static dev.dataselect.benchmarks.BenchSupport.intArg;
import static dev.dataselect.benchmarks.BenchSupport.print;

import dev.dataselect.models.LoadedModel;
import dev.dataselect.models.ModelConfig;
import dev.dataselect.models.ModelLocation;
import dev.dataselect.models.ModelPresets;
import dev.dataselect.models.TransformerGraphs;
import dev.dataselect.models.TransformerGraphs.Cost;
import dev.dataselect.models.TransformerGraphs.LlamaConfig;
import dev.dataselect.models.TransformerGraphs.T5Config;
import dev.dataselect.models.score.AskLlmOptions;
import dev.dataselect.models.score.AskLlmScorer;
import dev.dataselect.models.score.AskLlmScores;
import dev.dataselect.transforms.Document;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * ASK-LLM's cost at its true size: real web documents (the paper's prompt, truncated to 512 tokens
 * with the real Flan-T5 tokenizer) scored by architecture-faithful graphs with random weights
 * ({@link TransformerGraphs}: the cost of a transformer does not depend on its weights) on this
 * machine's CPU: Flan-T5 small and base (encoder-decoder, one encoder pass and one decoder step)
 * and two Llama-style decoder-only sizes (SmolLM2-135M and -360M, the LM head at the scored
 * position only). Per model: documents/s, tokens/s, GFLOP/s (FLOPs counted from each graph's
 * MatMuls, on the real tokens) against the measured FP32 peak ({@link Fp32Peak}), the process's
 * peak memory, the logits' bytes per batch, and CPU core-hours per 10⁹ documents at the measured
 * rate. For Flan-T5 large and XL and for GPUs, the same FLOP counts against published peaks,
 * printed as estimates ({@code _estimate}) until measured ({@code bin/gpu-check}).
 *
 * <p>Options: {@code --docs=200} (Flan-T5-small; the larger models take fewer, {@code
 * --docsBase=40}, {@code --docsDecoder=40}, {@code --docsDecoderLarge=16}, said in the output),
 * {@code --batch=8}, {@code --threads=}(all cores), {@code --models=} (comma list of flan-t5-small,
 * flan-t5-base, flan-t5-large, flan-t5-xl, smollm2-135m, smollm2-360m), {@code --device=cpu|cuda}.
 * Graphs are built once into {@code target/askllm-cost-graphs/} (seed 1).
 */
public final class AskLlmCostBenchmark {
  private static final long SEED = 1;

  /** Assumed share of the peak a well-fed GPU sustains on these shapes, for the estimates. */
  private static final double GPU_UTILISATION = 0.4;

  /** Published dense peaks (TFLOP/s): name, BF16/FP16 tensor, FP32. */
  private static final Object[][] GPUS = {
    {"L4", 121.0, 30.3}, {"A100", 312.0, 19.5}, {"H100-SXM", 989.0, 67.0}
  };

  private AskLlmCostBenchmark() {}

  private record Model(String name, T5Config t5, LlamaConfig llama) {
    Cost cost() {
      return t5 != null ? TransformerGraphs.t5Cost(t5) : TransformerGraphs.llamaCost(llama);
    }

    long parameters() {
      return t5 != null ? t5.parameters() : llama.parameters();
    }

    int vocab() {
      return t5 != null ? t5.vocab() : llama.vocab();
    }

    /** FLOPs of one document of {@code tokens} input tokens (the LM head at one position). */
    double flops(Cost c, int tokens) {
      return t5 != null ? c.encoderDecoderFlops(tokens) : c.causalFlops(tokens, 1);
    }
  }

  private static Map<String, Model> models() {
    Map<String, Model> m = new LinkedHashMap<>();
    for (String size : new String[] {"small", "base", "large", "xl"}) {
      m.put("flan-t5-" + size, new Model("flan-t5-" + size, T5Config.flanT5(size), null));
    }
    m.put("smollm2-135m", new Model("smollm2-135m", null, LlamaConfig.smolLm2_135m()));
    m.put("smollm2-360m", new Model("smollm2-360m", null, LlamaConfig.smolLm2_360m()));
    return m;
  }

  public static void main(String[] argv) throws Exception {
    Map<String, String> args = BenchSupport.args(argv);
    int batch = intArg(args, "batch", 8);
    int cores = Runtime.getRuntime().availableProcessors();
    int threads = intArg(args, "threads", cores);
    String device = args.getOrDefault("device", "cpu");
    Map<String, Integer> docCounts =
        Map.of(
            "flan-t5-small", intArg(args, "docs", 200),
            "flan-t5-base", intArg(args, "docsBase", 40),
            "flan-t5-large", intArg(args, "docsLarge", 16),
            "flan-t5-xl", intArg(args, "docsXl", 8),
            "smollm2-135m", intArg(args, "docsDecoder", 40),
            "smollm2-360m", intArg(args, "docsDecoderLarge", 16));
    List<String> run =
        List.of(
            args.getOrDefault("models", "flan-t5-small,flan-t5-base,smollm2-135m,smollm2-360m")
                .split(","));
    Path tokenizer = BenchSupport.sharedData().resolve("models/flan-t5-small/tokenizer.json");
    int maxDocs = run.stream().mapToInt(docCounts::get).max().orElse(0);
    List<String> texts = new ArrayList<>();
    for (Document d : WebDocuments.load(BenchSupport.sharedData(), maxDocs)) {
      texts.add(d.text());
    }
    print("load_average_at_start", BenchSupport.loadAverage());
    print("device", device);
    print("cores", cores);
    print("ort_intra_op_threads", threads);
    print("batch_size", batch + " (length-sorted)");
    print(
        "tokenizer",
        "the real Flan-T5 tokenizer.json (32,100 entries), the paper's prompt, 512 tokens");
    print(
        "weights",
        "random (seed " + SEED + "), architecture as published: the work equals the real model's");
    Fp32Peak.Result peak = Fp32Peak.measure(threads);
    print("fp32_peak_measured", peak.describe());
    Map<String, Model> all = models();
    Map<String, Double> measuredGflops = new LinkedHashMap<>();
    double meanTokens = Double.NaN;
    int meanTokensOver = 0;
    String headline = null;
    double headlineValue = Double.NaN;
    for (String name : run) {
      Model m = all.get(name);
      if (m == null) {
        throw new IllegalArgumentException("unknown model " + name + "; one of " + all.keySet());
      }
      int count = Math.min(docCounts.get(name), texts.size());
      Path folder = graphs(m);
      ModelConfig config = config(m, folder, tokenizer, threads, device);
      Cost cost = m.cost();
      long rssBefore = rssKb("VmRSS");
      long loadStart = System.nanoTime();
      try (LoadedModel model = LoadedModel.load(config)) {
        double loadSeconds = BenchSupport.seconds(loadStart);
        AskLlmScorer scorer = new AskLlmScorer(model, AskLlmOptions.defaults());
        List<String> docs = texts.subList(0, count);
        scorer.score(docs.subList(0, Math.min(batch, count)), batch); // warm-up
        long start = System.nanoTime();
        AskLlmScores scores = scorer.score(docs, batch);
        double wall = BenchSupport.seconds(start);
        long tokens = 0;
        double flops = 0;
        int maxTokens = 0;
        for (int t : scores.inputTokens()) {
          tokens += t;
          flops += m.flops(cost, t);
          maxTokens = Math.max(maxTokens, t);
        }
        double docsPerSecond = count / wall;
        double gflops = flops / wall / 1e9;
        String p = name + "_";
        print(
            p + "documents",
            count + (count < 200 ? " (fewer than 200 to keep the run short)" : ""));
        print(p + "parameters_millions", m.parameters() / 1e6);
        print(p + "provider", model.provider());
        if (m.llama() != null) {
          print(p + "logits", model.logitsNote());
        }
        print(p + "load_seconds", loadSeconds);
        print(p + "mean_input_tokens", (double) tokens / count);
        print(p + "gflop_per_document_mean", flops / count / 1e9);
        print(p + "mflop_per_token_weights", cost.perToken() / 1e6);
        print(p + "wall_seconds", wall);
        print(p + "tokens_per_s", tokens / wall);
        print(p + "gflop_per_s", gflops);
        print(p + "fraction_of_fp32_peak", gflops / peak.gflops());
        long logitsRows =
            m.t5() != null || model.logitPositions() ? batch : (long) batch * maxTokens;
        print(p + "logits_mb_per_batch", logitsRows * m.vocab() * 4 / 1e6);
        if (m.llama() != null) {
          // What the export's logits at every position would take for the longest batch.
          print(p + "logits_mb_per_batch_at_every_position",
              (double) batch * maxTokens * m.vocab() * 4 / 1e6);
        }
        print(p + "peak_rss_mb_process", rssKb("VmHWM") / 1024.0);
        print(p + "rss_before_load_mb", rssBefore / 1024.0);
        print(p + "cpu_core_hours_per_1e9_docs", 1e9 / docsPerSecond * cores / 3600);
        print(p + "docs_per_s", docsPerSecond);
        measuredGflops.put(name, gflops);
        if (count > meanTokensOver) {
          // The estimates use the mean length over the most documents measured.
          meanTokens = (double) tokens / count;
          meanTokensOver = count;
        }
        if (name.equals("flan-t5-small")) {
          headline = p + "docs_per_s";
          headlineValue = docsPerSecond;
        }
      }
    }
    // Estimates: each model's FLOPs per document at the measured mean length, at the measured CPU
    // rate of the nearest measured model, and on GPUs at an assumed share of their published peaks.
    double tokensPerDoc = Double.isNaN(meanTokens) ? 512 : meanTokens;
    print(
        "estimate_basis",
        String.format(
            Locale.ROOT,
            "%.0f input tokens per document (measured mean over %d documents); GPUs at %.0f %% of"
                + " the published dense peak (assumed, not measured)",
            tokensPerDoc,
            meanTokensOver,
            GPU_UTILISATION * 100));
    for (Model m : all.values()) {
      double perDoc = m.flops(m.cost(), (int) Math.round(tokensPerDoc));
      String p = m.name() + "_";
      print(p + "tflop_per_document", perDoc / 1e12);
      if (!measuredGflops.containsKey(m.name())
          && m.t5() != null
          && measuredGflops.containsKey("flan-t5-base")) {
        double rate = measuredGflops.get("flan-t5-base") * 1e9 / perDoc;
        print(
            p + "cpu_core_hours_per_1e9_docs_estimate_at_base_gflop_per_s",
            1e9 / rate * cores / 3600);
      }
      for (Object[] gpu : GPUS) {
        for (int precision = 1; precision <= 2; precision++) {
          double peakFlops = (double) gpu[precision] * 1e12 * GPU_UTILISATION;
          String kind = precision == 1 ? "bf16" : "fp32";
          print(
              p + gpu[0] + "_" + kind + "_gpu_hours_per_1e9_docs_estimate",
              1e9 * perDoc / peakFlops / 3600);
        }
      }
    }
    print("load_average_at_end", BenchSupport.loadAverage());
    if (headline != null) {
      print(headline, headlineValue);
    }
  }

  /** The model's graphs under target/askllm-cost-graphs, built on first use. */
  private static Path graphs(Model m) throws IOException {
    Path folder =
        Paths.get("benchmarks", "target", "askllm-cost-graphs", m.name() + "-seed" + SEED);
    Path done = folder.resolve("BUILT");
    String stamp =
        (m.t5() != null ? m.t5().toString() : m.llama().toString())
            + " limit "
            + TransformerGraphs.INLINE_LIMIT_BYTES;
    if (Files.isRegularFile(done) && Files.readString(done).equals(stamp)) {
      return folder;
    }
    long start = System.nanoTime();
    if (m.t5() != null) {
      TransformerGraphs.writeT5(m.t5(), SEED, folder, false);
    } else {
      TransformerGraphs.writeLlama(m.llama(), SEED, folder, false);
    }
    Files.writeString(done, stamp, StandardCharsets.UTF_8);
    print(m.name() + "_graph_build_seconds", BenchSupport.seconds(start));
    return folder;
  }

  private static ModelConfig config(
      Model m, Path folder, Path tokenizer, int threads, String device) {
    ModelLocation tok = ModelLocation.ofPath(tokenizer);
    ModelConfig c =
        m.t5() != null
            ? ModelPresets.flanT5(
                ModelLocation.ofPath(folder.resolve("encoder_model.onnx")),
                ModelLocation.ofPath(folder.resolve("decoder_model.onnx")),
                tok)
            : ModelPresets.causalLm(ModelLocation.ofPath(folder.resolve("model.onnx")), tok, 512);
    c = c.withName(m.name()).withIntraOpThreads(threads);
    return device.equals("cuda") ? c.withCuda(0) : c;
  }

  /** A /proc/self/status field in kB (VmRSS, VmHWM), or -1. */
  private static long rssKb(String field) {
    try {
      for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
        if (line.startsWith(field + ":")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }
}
