package dev.dataselect.benchmarks;

import static dev.dataselect.benchmarks.BenchSupport.intArg;
import static dev.dataselect.benchmarks.BenchSupport.print;
import static dev.dataselect.benchmarks.BenchSupport.seconds;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import dev.dataselect.models.Fixtures;
import dev.dataselect.models.LoadedModel;
import dev.dataselect.models.ModelConfig;
import dev.dataselect.models.ModelLocation;
import dev.dataselect.models.OnnxTensors;
import dev.dataselect.models.PaddingSide;
import dev.dataselect.models.SharedModels;
import dev.dataselect.models.score.AskLlmOptions;
import dev.dataselect.models.score.AskLlmScorer;
import dev.dataselect.models.text.LengthBucketing;
import dev.dataselect.models.text.TokenBatch;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.inference.AskLlmScore;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.metrics.DistributionResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.FlatMapElements;
import org.apache.beam.sdk.values.TypeDescriptor;

/**
 * {@code askllm-overhead}: the {@link AskLlmScore} stage's wall time vs a plain loop over the same
 * model, in one process: tokenize the documents, length-sort them, then batched {@code
 * OrtSession.run} calls (encoder, then one decoder step, then the softmax) at the same batch size.
 * The model has Optimum's Flan-T5 input/output names and is sized so that inference dominates
 * ({@link OverheadModel}). The plain loop does the same work as the stage (the stage has to tokenize
 * too) and gets the better of two ways to use the cores: one caller that tokenizes, then runs a
 * session with ONNX Runtime's intra-op threads; or one caller per core that tokenize their share in
 * parallel, then run single-threaded calls on a global length sort (the stage tokenizes on its
 * DoFn thread, and runs the calls on one single-threaded call per core). The stage runs twice per
 * round: fed as a batch runner feeds it, one bundle per worker thread (the documents arrive as one
 * element that a ParDo explodes; Flink's batch mode makes a bundle of a whole partition), and on
 * {@code Create}'s own split into the DirectRunner's bundles of about 120 documents, each of which
 * starts and drains the inference threads and bounds the length sort ({@code ratio_split_bundles},
 * the headline before 2026-11-30). Each round prints its own ratios. Headline: {@code ratio} = best
 * plain-loop time / best one-bundle stage time (1 = no overhead); {@code ratio_model_calls_only}
 * compares the stage with the model calls alone (inputs tokenized for free).
 *
 * <p>Arguments: {@code --docs=600 --minWords=100 --maxWords=400 --vocab=8000 --hidden=512
 * --layers=6 --batch=8 --threads=0 --parallelism=1 --rounds=3 --buffer=0} (threads 0: ONNX Runtime's default
 * for the one-caller baseline; the stage then runs one single-threaded call per core; buffer 0: the
 * stage's default buffer of 16 batches) (the best of {@code rounds}
 * alternating runs of each is reported).
 *
 * <p>Run from the repository root (not part of {@code mvn verify}):
 *
 * <pre>
 * ./mvnw -B -o -q -pl benchmarks -am package dependency:build-classpath -DskipTests \
 *     -Dmdep.outputFile=target/classpath.txt
 * java --add-opens=java.base/java.nio=ALL-UNNAMED -Xss8m -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
 *     -cp benchmarks/target/classes:$(cat benchmarks/target/classpath.txt) \
 *     dev.dataselect.benchmarks.AskLlmOverheadBenchmark
 * </pre>
 */
public final class AskLlmOverheadBenchmark {
  private AskLlmOverheadBenchmark() {}

  private static final String TEMPLATE = "### {document} ### the yes no";

  public static void main(String[] argv) throws Exception {
    Map<String, String> args = BenchSupport.args(argv);
    int count = intArg(args, "docs", 600);
    int minWords = intArg(args, "minWords", 100);
    int maxWords = intArg(args, "maxWords", 400);
    int vocabSize = intArg(args, "vocab", 8000);
    int hidden = intArg(args, "hidden", 512);
    int layers = intArg(args, "layers", 6);
    int batch = intArg(args, "batch", 8);
    int threads = intArg(args, "threads", 0);
    int parallelism = intArg(args, "parallelism", 1);
    int rounds = intArg(args, "rounds", 3);
    int buffer = intArg(args, "buffer", 0);

    List<String> vocab =
        new ArrayList<>(List.of("<pad>", "</s>", "<unk>", "<s>", "▁yes", "▁no", "▁###", "▁the"));
    int words = vocabSize - vocab.size();
    for (int i = 0; i < words; i++) {
      vocab.add("▁w" + i);
    }
    Path dir = Files.createTempDirectory("askllm-overhead-model");
    dir.toFile().deleteOnExit();
    Path encoder = Files.write(dir.resolve("encoder_model.onnx"), OverheadModel.encoder(vocabSize, hidden, layers));
    Path decoder = Files.write(dir.resolve("decoder_model.onnx"), OverheadModel.decoder(vocabSize, hidden));
    encoder.toFile().deleteOnExit();
    decoder.toFile().deleteOnExit();
    ModelConfig config =
        ModelConfig.encoderDecoder(
                ModelLocation.ofPath(encoder),
                ModelLocation.ofPath(decoder),
                ModelLocation.ofBytes(
                    "tokenizer.json", Fixtures.tokenizerJson(Fixtures.Frame.T5, vocab)))
            .withName("askllm-overhead-fixture")
            .withMaxTokens(512)
            .withIntraOpThreads(threads);

    SplittableRandom random = new SplittableRandom(42);
    List<Document> docs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int n = minWords + random.nextInt(maxWords - minWords + 1);
      StringBuilder s = new StringBuilder();
      for (int w = 0; w < n; w++) {
        s.append(w == 0 ? "" : " ").append('w').append(random.nextInt(words));
      }
      docs.add(Document.of("doc" + i, s.toString(), "synthetic#" + i));
    }
    print("load_average_at_start", BenchSupport.loadAverage());
    print("documents", count);
    print("model", "encoder " + layers + " x " + hidden + "^2 dense, vocab " + vocabSize);
    print("batch_size", batch);
    print("ort_intra_op_threads", threads);
    print("runner_threads", parallelism);
    print("rounds", rounds);
    print("stage_max_buffered_documents", buffer == 0 ? "default (16 batches)" : String.valueOf(buffer));

    int cores = Runtime.getRuntime().availableProcessors();
    try (SharedModels.Handle handle = SharedModels.acquire(config);
        SharedModels.Handle single = SharedModels.acquire(config.withIntraOpThreads(1))) {
      LoadedModel model = handle.model();
      LoadedModel singleThreaded = single.model();
      AskLlmScorer scorer = new AskLlmScorer(model, AskLlmOptions.defaults().withTemplate(TEMPLATE));
      List<long[]> inputs = new ArrayList<>();
      int[] lengths = new int[count];
      long tokens = 0;
      long tokenizeStart = System.nanoTime();
      for (int i = 0; i < count; i++) {
        inputs.add(scorer.inputIds(docs.get(i).text()));
        lengths[i] = inputs.get(i).length;
        tokens += lengths[i];
      }
      double tokenizeSeconds = seconds(tokenizeStart);
      print("mean_tokens_per_document", (double) tokens / count);
      long yes = scorer.yesNoTokens().yesId();

      // Warm-up both paths.
      raw(model, inputs.subList(0, 2 * batch), batch, yes, 1);
      raw(singleThreaded, inputs.subList(0, 2 * batch), batch, yes, cores);
      AskLlmScore stage = AskLlmScore.with(config).withTemplate(TEMPLATE).withMaxBatchSize(batch);
      if (buffer > 0) {
        stage = stage.withMaxBufferedDocuments(buffer);
      }
      String[] options = {
        "--targetParallelism=" + parallelism, "--enforceImmutability=false",
        "--enforceEncodability=false"
      };
      Pipeline warm = Pipeline.create(PipelineOptionsFactory.fromArgs(options).create());
      warm.apply(Create.of(docs.subList(0, 2 * batch))).apply(stage);
      warm.run().waitUntilFinish();

      // Alternate the two, best of each: the machine may be shared, and the minimum is the
      // least disturbed measurement.
      double rawSeconds = Double.MAX_VALUE;
      double rawCallsOnly = Double.MAX_VALUE;
      double rawOneCaller = Double.MAX_VALUE;
      double rawPerCore = Double.MAX_VALUE;
      Timed best = null;
      Timed splitBest = null;
      long rawPadded = 0;
      double runnerSeconds = Double.MAX_VALUE;
      for (int round = 0; round < rounds; round++) {
        // The runner alone on the same documents, for the breakdown.
        Pipeline empty = Pipeline.create(PipelineOptionsFactory.fromArgs(options).create());
        empty.apply(Create.of(docs)).apply(Count.globally());
        long emptyStart = System.nanoTime();
        empty.run().waitUntilFinish();
        runnerSeconds = Math.min(runnerSeconds, seconds(emptyStart));

        // Two plain loops, the better is the baseline: one caller that tokenizes, then runs a
        // session with ONNX Runtime's own intra-op threads; and one caller per core that tokenize
        // in parallel, then run single-threaded calls (what the stage does with its calls).
        long start = System.nanoTime();
        List<long[]> serial = tokenize(scorer, docs, 1);
        double oneTokenize = seconds(start);
        rawPadded = raw(model, serial, batch, yes, 1);
        double one = seconds(start);
        start = System.nanoTime();
        List<long[]> parallel = tokenize(scorer, docs, cores);
        double perCoreTokenize = seconds(start);
        raw(singleThreaded, parallel, batch, yes, cores);
        double perCore = seconds(start);
        rawOneCaller = Math.min(rawOneCaller, one);
        rawPerCore = Math.min(rawPerCore, perCore);
        double rawRound = Math.min(one, perCore);
        rawSeconds = Math.min(rawSeconds, rawRound);
        rawCallsOnly = Math.min(rawCallsOnly, Math.min(one - oneTokenize, perCore - perCoreTokenize));

        // The stage as a batch runner feeds it: one bundle per worker thread (Flink's batch mode
        // makes a bundle of a whole partition). The documents travel as one element that a
        // ParDo explodes, so the DirectRunner hands the stage that ParDo's one output bundle.
        Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs(options).create());
        p.apply(Create.of(List.of(docs)).withCoder(ListCoder.of(Document.DocumentCoder.of())))
            .apply(FlatMapElements.into(TypeDescriptor.of(Document.class)).via((List<Document> all) -> all))
            .setCoder(Document.DocumentCoder.of())
            .apply(stage).get(AskLlmScore.SCORES).apply(Count.globally());
        Timed whole = Timed.run(p);
        // The same stage on Create's own split: the DirectRunner's bundles of about 120 documents,
        // each of which starts and drains the inference threads and bounds the length sort.
        Pipeline q = Pipeline.create(PipelineOptionsFactory.fromArgs(options).create());
        q.apply(Create.of(docs)).apply(stage).get(AskLlmScore.SCORES).apply(Count.globally());
        Timed split = Timed.run(q);
        print("round" + round + "_raw_seconds", rawRound);
        print("round" + round + "_stage_seconds", whole.seconds());
        print("round" + round + "_ratio", rawRound / whole.seconds());
        print("round" + round + "_stage_split_bundles_seconds", split.seconds());
        print("round" + round + "_ratio_split_bundles", rawRound / split.seconds());
        best = Timed.faster(best, whole);
        splitBest = Timed.faster(splitBest, split);
      }
      double stageSeconds = best.seconds();
      double splitSeconds = splitBest.seconds();
      PipelineResult result = best.result();

      print("raw_padded_tokens_per_real_token", (double) rawPadded / tokens);
      print("stage_padded_tokens_per_real_token", (double) BenchSupport.counter(result, AskLlmScore.class, "paddedTokens") / tokens);
      print("tokenize_seconds_one_thread", tokenizeSeconds);
      print("raw_one_caller_seconds", rawOneCaller);
      print("raw_one_caller_per_core_seconds", rawPerCore);
      print("raw_model_calls_only_seconds", rawCallsOnly);
      print("raw_seconds", rawSeconds);
      print("raw_docs_per_s", count / rawSeconds);
      print("stage_seconds", stageSeconds);
      print("stage_docs_per_s", count / stageSeconds);
      print("stage_results", BenchSupport.counter(result, AskLlmScore.class, "results"));
      print("stage_batches", BenchSupport.counter(result, AskLlmScore.class, "batches"));
      DistributionResult latency = BenchSupport.distribution(result, AskLlmScore.class, "batchLatencyMicros");
      print("stage_model_call_seconds", latency == null ? Double.NaN : latency.getSum() / 1e6);
      print("stage_split_bundles_seconds", splitSeconds);
      print("stage_split_bundles_batches", BenchSupport.counter(splitBest.result(), AskLlmScore.class, "batches"));
      print("stage_split_bundles_padded_tokens_per_real_token",
          (double) BenchSupport.counter(splitBest.result(), AskLlmScore.class, "paddedTokens") / tokens);
      print("ratio_split_bundles", rawSeconds / splitSeconds);
      print("runner_alone_seconds", runnerSeconds);
      print("load_average_at_end", BenchSupport.loadAverage());
      print("ratio_model_calls_only", rawCallsOnly / stageSeconds);
      print("ratio", rawSeconds / stageSeconds);
    }
  }

  /** A pipeline run to its end, and its wall seconds. */
  private record Timed(PipelineResult result, double seconds) {
    static Timed run(Pipeline p) {
      long start = System.nanoTime();
      PipelineResult r = p.run();
      r.waitUntilFinish();
      return new Timed(r, BenchSupport.seconds(start));
    }

    /** The faster of the two ({@code best} may be null: none yet). */
    static Timed faster(Timed best, Timed t) {
      return best == null || t.seconds < best.seconds ? t : best;
    }
  }

  /** Token ids of each document, as the stage builds them, on {@code threads} threads. */
  private static List<long[]> tokenize(AskLlmScorer scorer, List<Document> docs, int threads) throws Exception {
    if (threads == 1) {
      List<long[]> out = new ArrayList<>(docs.size());
      for (Document d : docs) {
        out.add(scorer.inputIds(d.text()));
      }
      return out;
    }
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
    try {
      List<java.util.concurrent.Future<long[]>> parts = new ArrayList<>(docs.size());
      for (Document d : docs) {
        parts.add(pool.submit(() -> scorer.inputIds(d.text())));
      }
      List<long[]> out = new ArrayList<>(docs.size());
      for (java.util.concurrent.Future<long[]> f : parts) {
        out.add(f.get());
      }
      return out;
    } finally {
      pool.shutdown();
    }
  }

  /**
   * Length-sorted batches of {@code ids}: encoder run, one decoder step from token 0, P("yes") by
   * softmax over the vocabulary. Returns the padded tokens run.
   */
  private static long raw(LoadedModel model, List<long[]> ids, int batch, long yes, int callers) throws Exception {
    int[] lengths = ids.stream().mapToInt(a -> a.length).toArray();
    int[] order = LengthBucketing.sortedOrder(lengths);
    if (callers == 1) {
      return rawBatches(model, ids, order, batch, yes, 0, 1);
    }
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(callers);
    try {
      List<java.util.concurrent.Future<Long>> parts = new ArrayList<>();
      for (int c = 0; c < callers; c++) {
        int first = c;
        parts.add(pool.submit(() -> rawBatches(model, ids, order, batch, yes, first, callers)));
      }
      long padded = 0;
      for (java.util.concurrent.Future<Long> f : parts) {
        padded += f.get();
      }
      return padded;
    } finally {
      pool.shutdown();
    }
  }

  /** Runs batches {@code first}, {@code first + step}, ... of the length-sorted order. */
  private static long rawBatches(LoadedModel model, List<long[]> ids, int[] order, int batch, long yes, int first, int step)
      throws Exception {
    long padded = 0;
    double checksum = 0;
    OrtSession encoder = model.session();
    OrtSession decoder = model.decoderSession();
    for (int from = first * batch; from < order.length; from += step * batch) {
      int[] chunk = Arrays.copyOfRange(order, from, Math.min(order.length, from + batch));
      List<long[]> rows = new ArrayList<>();
      for (int i : chunk) {
        rows.add(ids.get(i));
      }
      TokenBatch b = TokenBatch.pad(rows, 0, PaddingSide.RIGHT);
      padded += (long) b.rows() * b.width();
      try (OnnxTensor input = OnnxTensors.longs(b.ids(), b.shape());
          OnnxTensor mask = OnnxTensors.longs(b.attentionMask(), b.shape());
          OrtSession.Result encoded =
              encoder.run(
                  Map.of("input_ids", input, "attention_mask", mask), Set.of("last_hidden_state"));
          OnnxTensor start = OnnxTensors.longs(new long[b.rows()], b.rows(), 1)) {
        OnnxTensor hidden = OnnxTensors.output(encoded, "last_hidden_state");
        try (OrtSession.Result decoded =
            decoder.run(
                Map.of(
                    "input_ids", start,
                    "encoder_hidden_states", hidden,
                    "encoder_attention_mask", mask),
                Set.of("logits"))) {
          OnnxTensor logits = OnnxTensors.output(decoded, "logits");
          FloatBuffer f = logits.getFloatBuffer();
          int vocab = (int) logits.getInfo().getShape()[2];
          for (int r = 0; r < b.rows(); r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < vocab; v++) {
              max = Math.max(max, f.get(r * vocab + v));
            }
            double sum = 0;
            for (int v = 0; v < vocab; v++) {
              sum += Math.exp(f.get(r * vocab + v) - max);
            }
            checksum += Math.exp(f.get(r * vocab + (int) yes) - max) / sum;
          }
        }
      }
    }
    if (Double.isNaN(checksum)) {
      throw new IllegalStateException("NaN scores");
    }
    return padded;
  }
}
