package dev.dataselect.benchmarks;

import static dev.dataselect.benchmarks.BenchSupport.intArg;
import static dev.dataselect.benchmarks.BenchSupport.print;
import static dev.dataselect.benchmarks.BenchSupport.seconds;

import dev.dataselect.models.ModelConfig;
import dev.dataselect.models.ModelPresets;
import dev.dataselect.models.SharedModels;
import dev.dataselect.models.embed.SentenceEmbedder;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.Embedding;
import dev.dataselect.transforms.inference.Embed;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.DistributionResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;

/**
 * {@code embed}: the {@link Embed} stage's documents/s over real web documents vs langchain4j's
 * in-process all-MiniLM-L6-v2 on the same documents (one {@code embed} call per document, and its
 * {@code embedAll}), same model, same truncation (langchain4j's 128 tokens by default), same run.
 * Also tokens/s, achieved GFLOP/s vs the CPU's measured FP32 peak ({@link Fp32Peak}), where the
 * stage's core-seconds go (tokenize, model calls, the rest), and the smallest cosine between the
 * two implementations' vectors. Headline: {@code ratio} = Embed docs/s / the better langchain4j docs/s.
 *
 * <p>Arguments: {@code --docs=1000 --maxTokens=128 --batch=16 --parallelism=2 --threads=1
 * --rounds=2} (parallelism = direct-runner threads, threads = ONNX Runtime intra-op threads per
 * call; rounds alternate the four measurements and the best of each is reported). Also printed:
 * the models layer alone ({@code SentenceEmbedder}, same batching, one caller), which shows what
 * the Beam stage adds.
 *
 * <p>Run from the repository root (not part of {@code mvn verify}):
 *
 * <pre>
 * ./mvnw -B -o -q -pl benchmarks -am package dependency:build-classpath -DskipTests \
 *     -Dmdep.outputFile=target/classpath.txt
 * java --add-opens=java.base/java.nio=ALL-UNNAMED -Xss8m -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
 *     -cp benchmarks/target/classes:$(cat benchmarks/target/classpath.txt) \
 *     dev.dataselect.benchmarks.EmbedBenchmark
 * </pre>
 */
public final class EmbedBenchmark {
  private EmbedBenchmark() {}

  /** all-MiniLM-L6-v2: 6 layers, hidden 384, feed-forward 1536. */
  private static final double LINEAR_FLOP_PER_TOKEN = 2.0 * 6 * (4.0 * 384 * 384 + 2.0 * 384 * 1536);

  /** Attention (QK^T and AV) per token of a sequence of {@code length}: 6 layers x 2 x L x 384 MACs. */
  private static double attentionFlopPerToken(int length) {
    return 2.0 * 6 * 2 * length * 384;
  }

  /** Where the pipeline's vectors land for the cosine check (one JVM: the direct runner). */
  static final Map<String, float[]> VECTORS = new ConcurrentHashMap<>();

  private static final class KeepFn extends DoFn<Embedding, Void> {
    @ProcessElement
    public void process(@Element Embedding e) {
      VECTORS.put(e.id(), e.vector());
    }
  }

  public static void main(String[] argv) throws Exception {
    Map<String, String> args = BenchSupport.args(argv);
    int count = intArg(args, "docs", 1000);
    int maxTokens = intArg(args, "maxTokens", 128);
    int batch = intArg(args, "batch", 16);
    int parallelism = intArg(args, "parallelism", 2);
    int threads = intArg(args, "threads", 1);
    int rounds = intArg(args, "rounds", 2);

    List<Document> docs = WebDocuments.load(BenchSupport.sharedData(), count);
    List<String> texts = new ArrayList<>();
    docs.forEach(d -> texts.add(d.text()));
    print("load_average_at_start", BenchSupport.loadAverage());
    print("documents", docs.size());
    if (docs.size() < count) {
      print("note", "only " + docs.size() + " documents available");
    }
    ModelConfig config =
        ModelPresets.allMiniLmL6V2().withMaxTokens(maxTokens).withIntraOpThreads(threads);
    // --device=cuda (bin/gpu-check): the CUDA execution provider, which needs the -Pgpu build.
    String device = args.getOrDefault("device", "cpu");
    if (device.equals("cuda")) {
      config = config.withCuda(0);
    } else if (!device.equals("cpu")) {
      throw new IllegalArgumentException("--device must be cpu or cuda, got: " + device);
    }
    print("device", device);
    print("max_tokens", maxTokens);
    print("batch_size", batch);
    print("runner_threads", parallelism);
    print("ort_intra_op_threads", threads);
    print("rounds", rounds);

    try (SharedModels.Handle handle = SharedModels.acquire(config)) {
      SentenceEmbedder embedder = new SentenceEmbedder(handle.model());
      int[] lengths = embedder.tokenCounts(texts);
      long tokens = 0;
      double flop = 0;
      for (int l : lengths) {
        tokens += l;
        flop += l * (LINEAR_FLOP_PER_TOKEN + attentionFlopPerToken(l));
      }
      print("mean_tokens_per_document", (double) tokens / docs.size());

      // Warm-ups: langchain4j, the models layer, and a small pipeline (JIT, runner classes).
      AllMiniLmL6V2EmbeddingModel reference = new AllMiniLmL6V2EmbeddingModel();
      for (int i = 0; i < 8; i++) {
        reference.embed(texts.get(i));
      }
      embedder.embed(texts.subList(0, 16), batch);
      Embed embed = Embed.with(config).withMaxBatchSize(batch);
      String[] options = {
        "--targetParallelism=" + parallelism, "--enforceImmutability=false",
        "--enforceEncodability=false"
      };
      Pipeline warm = Pipeline.create(PipelineOptionsFactory.fromArgs(options).create());
      warm.apply(Create.of(docs.subList(0, Math.min(64, docs.size())))).apply(embed);
      warm.run().waitUntilFinish();

      // Rounds alternate the four ways, best of each: the machine may be shared, and the minimum
      // is the least disturbed measurement.
      List<TextSegment> segments = new ArrayList<>();
      texts.forEach(t -> segments.add(TextSegment.from(t)));
      Map<String, float[]> expected = new ConcurrentHashMap<>();
      double single = Double.MAX_VALUE;
      double all = Double.MAX_VALUE;
      double direct = Double.MAX_VALUE;
      double embedSeconds = Double.MAX_VALUE;
      PipelineResult result = null;
      for (int round = 0; round < rounds; round++) {
        long start = System.nanoTime();
        for (Document d : docs) {
          expected.put(d.id(), reference.embed(d.text()).content().vector());
        }
        single = Math.min(single, seconds(start));

        start = System.nanoTime();
        reference.embedAll(segments);
        all = Math.min(all, seconds(start));

        // The models layer alone, same batching, one caller: what the Beam stage wraps.
        start = System.nanoTime();
        embedder.embed(texts, batch);
        direct = Math.min(direct, seconds(start));

        // Embed in a direct-runner pipeline; the model is already loaded (held above).
        Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs(options).create());
        p.apply(Create.of(docs)).apply(embed).get(Embed.EMBEDDINGS).apply(ParDo.of(new KeepFn()));
        start = System.nanoTime();
        PipelineResult r = p.run();
        r.waitUntilFinish();
        double took = seconds(start);
        if (took < embedSeconds) {
          embedSeconds = took;
          result = r;
        }
      }
      double singleRate = docs.size() / single;
      double allRate = docs.size() / all;
      print("langchain4j_embed_docs_per_s", singleRate);
      print("langchain4j_embedAll_docs_per_s", allRate);
      print("direct_embedder_docs_per_s", docs.size() / direct);

      double minCos = 1;
      for (Document d : docs) {
        float[] a = VECTORS.get(d.id());
        float[] b = expected.get(d.id());
        double dot = 0;
        for (int i = 0; i < a.length; i++) {
          dot += (double) a[i] * b[i];
        }
        minCos = Math.min(minCos, dot);
      }
      long fed = BenchSupport.counter(result, Embed.class, "tokens");
      long padded = BenchSupport.counter(result, Embed.class, "paddedTokens");
      DistributionResult sizes = BenchSupport.distribution(result, Embed.class, "batchSize");
      double rate = docs.size() / embedSeconds;
      double gflops = flop / embedSeconds / 1e9;
      // The machine's FP32 peak, measured (an MLAS sgemm through ONNX Runtime on every core, best
      // of several), not computed from the nominal clock: clocks boost, and vector widths differ.
      Fp32Peak.Result measured = Fp32Peak.measure();
      double peak = measured.gflops();
      int cores = Runtime.getRuntime().availableProcessors();
      long tokenizeMicros = BenchSupport.counter(result, Embed.class, "tokenizeMicros");
      print("min_cosine_embed_vs_langchain4j", minCos);
      print("embed_seconds", embedSeconds);
      print("embed_mean_batch_size", sizes == null ? Double.NaN : sizes.getMean());
      DistributionResult latency = BenchSupport.distribution(result, Embed.class, "batchLatencyMicros");
      double modelBusy = latency == null ? Double.NaN : latency.getSum() / 1e6;
      double tokenizeBusy = tokenizeMicros / 1e6;
      // Where the stage's core-seconds went: wall x cores = tokenize + model calls + the rest
      // (Beam, batching, pooling, idle cores).
      double coreSeconds = embedSeconds * cores;
      print("embed_core_seconds", coreSeconds);
      print("embed_tokenize_core_seconds", tokenizeBusy);
      print("embed_model_call_core_seconds", modelBusy);
      print("embed_rest_core_seconds", coreSeconds - tokenizeBusy - modelBusy);
      print("embed_share_tokenize", tokenizeBusy / coreSeconds);
      print("embed_share_model", modelBusy / coreSeconds);
      print("embed_share_rest", (coreSeconds - tokenizeBusy - modelBusy) / coreSeconds);
      print("model_gflop_per_s_while_busy", flop / (modelBusy / cores) / 1e9);
      print("embed_padding_overhead", (double) padded / fed - 1);
      print("embed_tokens_per_s", fed / embedSeconds);
      print("embed_gflop_per_s", gflops);
      print("fp32_peak_measured", measured.describe());
      print("fp32_peak_nominal_aside", Fp32Peak.nominal().gflops() + " GFLOP/s (" + Fp32Peak.nominal().description() + ")");
      print("cpu_fp32_peak_gflop_per_s", peak);
      print("fraction_of_peak", gflops / peak);
      print("load_average_at_end", BenchSupport.loadAverage());
      print("embed_docs_per_s", rate);
      print("ratio", rate / Math.max(singleRate, allRate));
    }
  }
}
