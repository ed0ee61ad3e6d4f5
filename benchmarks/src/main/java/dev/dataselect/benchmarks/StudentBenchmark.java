package dev.dataselect.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dataselect.models.LoadedModel;
import dev.dataselect.models.ModelPresets;
import dev.dataselect.models.embed.SentenceEmbedder;
import dev.dataselect.transforms.student.Example;
import dev.dataselect.transforms.student.HeldOutMetrics;
import dev.dataselect.transforms.student.RidgeStatistics;
import dev.dataselect.transforms.student.SignalFeatures;
import dev.dataselect.transforms.student.StudentModel;
import dev.dataselect.transforms.student.TrainStudent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.hadoop.ParquetReader;

/**
 * {@code bin/bench student}: students of real web text, what each feature block is worth, and the
 * cost of training and scoring.
 *
 * <ol>
 *   <li>Reference vs crawl ({@link ReferenceVsCrawl}): documents of the curated sources of the
 *       shared web folder ({@code c4-en-30}, {@code guardian-10}, {@code ccnet-head-20}, {@code
 *       redpajama-20}) labelled 1, raw Common Crawl ({@code cc-2019-30-raw-697}) labelled 0, as
 *       GPT-3's and DCLM's quality classifiers were trained; features: the cached
 *       all-MiniLM-L6-v2 embedding ({@link WebEmbeddings}) and {@link SignalFeatures} of the text.
 *       The product's {@link TrainStudent} runs on the DirectRunner in this JVM ({@link
 *       DirectStudent}), once with the ridge head on the 0/1 labels and once with the logistic
 *       head, each with features {@code both} and {@code --folds} folds (hash of id, seed 42); each
 *       fit reports the held-out AUC of embeddings alone, signals alone and both (the {@code
 *       "blocks"} of its fit figures). Ridge's is exact k-fold CV (every document held out once);
 *       logistic validates on fold 0 only (about 1/k of the documents), so its AUC is noisier. A
 *       ridge fit on a quarter of the documents runs first, untimed, so neither timed fit pays for
 *       class loading and the runner's start-up (the JIT may still be warming: a later fit of the
 *       same size can run faster); the training seconds are the whole pipeline's wall time (one
 *       worker), runner overhead included, and depend on the machine's load (printed).
 *       Also printed: the chosen penalties, the 5 signals of largest |weight per standard
 *       deviation| for each head, the AUC of one unfitted signal (log length) for scale, and
 *       scoring documents/s on one thread: {@link StudentModel#score} on embedding + signals, and
 *       {@link SignalFeatures#of} from text (which scoring a new document needs too).
 *   <li>KenLM: the 100 documents of {@code web/cc-100-with-signals.parquet} are embedded with
 *       all-MiniLM-L6-v2 (256 tokens); the target is log KenLM perplexity ({@code
 *       ibmkenlm_docq_perplex_score}). Ridge with k-fold CV (folds = hash(id)) reports held-out R²
 *       (exact, from the per-fold statistics) and the Spearman correlation between each document's
 *       held-out prediction (by the model that did not see its fold) and the teacher.
 *   <li>Training cost: the statistics of N synthetic 384-d unit vectors (default 100,000; the
 *       per-example work is linear in N, so the 1M figure is N's time × 1M / N) plus the CV solve.
 *   <li>Scoring: documents/s of {@link StudentModel#score} on embeddings (one thread).
 * </ol>
 *
 * Options: {@code --folds=5 --syntheticN=100000 --scoreN=1000000}. Headline (last line): the
 * held-out AUC of the ridge head on both blocks, reference vs crawl, exact k-fold.
 */
public final class StudentBenchmark {
  private static final String[] BLOCKS = {"embedding", "signals", "both"};

  private StudentBenchmark() {}

  public static void main(String[] argv) throws IOException {
    Map<String, String> args = BenchSupport.args(argv);
    int folds = BenchSupport.intArg(args, "folds", 5);
    int syntheticN = BenchSupport.intArg(args, "syntheticN", 100_000);
    int scoreN = BenchSupport.intArg(args, "scoreN", 1_000_000);
    long seed = 42;

    // 1. Reference vs crawl: what each feature block is worth, for both heads.
    double headline = referenceVsCrawl(folds, scoreN);

    // 2. Real text: KenLM perplexity from MiniLM embeddings.
    Path file = BenchSupport.sharedData().resolve("web/cc-100-with-signals.parquet");
    List<String> ids = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    List<Double> perplexity = new ArrayList<>();
    try (ParquetReader<GenericRecord> r = AvroParquetReader.<GenericRecord>builder(new org.apache.hadoop.fs.Path(file.toUri())).build()) {
      GenericRecord rec;
      int i = 0;
      while ((rec = r.read()) != null) {
        Object text = rec.get("contents");
        Object ppl = rec.get("ibmkenlm_docq_perplex_score");
        if (text != null && ppl instanceof Number && ((Number) ppl).doubleValue() > 0) {
          ids.add("cc100-" + i);
          texts.add(text.toString());
          perplexity.add(((Number) ppl).doubleValue());
        }
        i++;
      }
    }
    long t0 = System.nanoTime();
    float[][] x;
    try (LoadedModel model = LoadedModel.load(ModelPresets.allMiniLmL6V2())) {
      x = new SentenceEmbedder(model).embed(texts, 8);
    }
    double embedSeconds = BenchSupport.seconds(t0);
    int n = x.length;
    double[] y = new double[n];
    RidgeStatistics stats = RidgeStatistics.empty(x[0].length, folds);
    for (int i = 0; i < n; i++) {
      y[i] = Math.log(perplexity.get(i));
      stats.add(TrainStudent.fold(ids.get(i), seed, folds), x[i], y[i]);
    }
    RidgeStatistics.Solution s = stats.fit(TrainStudent.DEFAULT_LAMBDAS);
    double[] heldOut = new double[n];
    for (int i = 0; i < n; i++) {
      RidgeStatistics.Fit f = s.withoutFold[TrainStudent.fold(ids.get(i), seed, folds)];
      heldOut[i] = predict(f, x[i]);
    }
    BenchSupport.print("documents", n);
    BenchSupport.print("teacher", "log(ibmkenlm_docq_perplex_score), lower is better");
    BenchSupport.print("embedSeconds", embedSeconds);
    BenchSupport.print("embedDocumentsPerSecond", n / embedSeconds);
    BenchSupport.print("folds", folds);
    for (RidgeStatistics.CvPoint p : s.cv) {
      BenchSupport.print("cvR2[lambda=" + p.lambda + "]", p.heldOutR2);
    }
    BenchSupport.print("lambda", s.lambda);
    BenchSupport.print("heldOutR2", s.chosen().heldOutR2);
    BenchSupport.print("heldOutRmse", s.chosen().heldOutRmse);
    BenchSupport.print("targetSd", s.targetSd);
    double[] lengths = texts.stream().mapToDouble(t -> Math.log(t.length())).toArray();
    BenchSupport.print("baselineSpearman[log length vs teacher]", HeldOutMetrics.spearman(lengths, y));
    BenchSupport.print("heldOutSpearman", HeldOutMetrics.spearman(heldOut, y));

    // 3. Training cost on synthetic 384-d unit vectors: accumulate (one thread) + CV solve.
    int d = 384;
    SplittableRandom rnd = new SplittableRandom(7);
    double[] w = new double[d];
    for (int j = 0; j < d; j++) {
      w[j] = rnd.nextDouble() - 0.5;
    }
    float[][] block = new float[4096][d];
    double[] blockY = new double[block.length];
    RidgeStatistics synth = RidgeStatistics.empty(d, folds);
    long generateNanos = 0;
    long t1 = System.nanoTime();
    for (int done = 0; done < syntheticN; ) {
      long g = System.nanoTime();
      int m = Math.min(block.length, syntheticN - done);
      for (int i = 0; i < m; i++) {
        double norm = 0;
        for (int j = 0; j < d; j++) {
          block[i][j] = (float) gaussian(rnd);
          norm += block[i][j] * block[i][j];
        }
        double yi = 0;
        for (int j = 0; j < d; j++) {
          block[i][j] /= (float) Math.sqrt(norm);
          yi += w[j] * block[i][j];
        }
        blockY[i] = yi + 0.01 * gaussian(rnd);
      }
      generateNanos += System.nanoTime() - g;
      for (int i = 0; i < m; i++) {
        synth.add((done + i) % folds, block[i], blockY[i]);
      }
      done += m;
    }
    double accumulateSeconds = (System.nanoTime() - t1 - generateNanos) / 1e9;
    long t2 = System.nanoTime();
    RidgeStatistics.Solution synthSolution = synth.fit(TrainStudent.DEFAULT_LAMBDAS);
    double solveSeconds = BenchSupport.seconds(t2);
    BenchSupport.print("syntheticExamples", syntheticN);
    BenchSupport.print("syntheticHeldOutR2", synthSolution.chosen().heldOutR2);
    BenchSupport.print("accumulateSeconds", accumulateSeconds);
    BenchSupport.print("accumulateExamplesPerSecond", syntheticN / accumulateSeconds);
    BenchSupport.print("solveSeconds[" + folds + " folds x " + TrainStudent.DEFAULT_LAMBDAS.length + " lambdas + refit]", solveSeconds);
    BenchSupport.print("trainSecondsPer1M[1 thread, extrapolated from " + syntheticN + "]",
        accumulateSeconds * 1_000_000.0 / syntheticN + solveSeconds);

    // 4. Scoring: one dot product per document.
    StudentModel student = StudentModel.of(StudentModel.Task.RIDGE, s.all.weights, s.all.intercept, s.lambda,
        Map.of(), Map.of(), s.targetMean, s.targetSd, "{}");
    float[][] pool = new float[1024][];
    for (int i = 0; i < pool.length; i++) {
      pool[i] = x[i % n];
    }
    double sink = 0;
    for (int i = 0; i < 200_000; i++) {
      sink += student.score(pool[i & 1023]); // warm-up
    }
    long t3 = System.nanoTime();
    for (int i = 0; i < scoreN; i++) {
      sink += student.score(pool[i & 1023]);
    }
    double scoreSeconds = BenchSupport.seconds(t3);
    BenchSupport.print("scoringDocumentsPerSecond[1 thread, from embeddings]", scoreN / scoreSeconds);
    BenchSupport.print("checksum", sink);
    if (!Files.isRegularFile(file)) {
      throw new IOException("missing " + file);
    }
    BenchSupport.print("heldOutAuc[both, ridge, " + folds + "-fold]", headline);
  }

  /**
   * Section 1: ridge and logistic students with features {@code both} on the reference-vs-crawl
   * set; prints their figures and returns the ridge head's held-out AUC on both blocks.
   */
  private static double referenceVsCrawl(int folds, int scoreN) throws IOException {
    ReferenceVsCrawl set = ReferenceVsCrawl.load();
    int n = set.size();
    int positives = set.positives();
    BenchSupport.print("note", ReferenceVsCrawl.NOTE);
    BenchSupport.print("documents", n);
    BenchSupport.print("positives[c4-en-30, guardian-10, ccnet-head-20, redpajama-20]", positives);
    BenchSupport.print("negatives[cc-2019-30-raw-697]", n - positives);
    List<Example> examples = set.examples(IntStream.range(0, n).boxed().collect(Collectors.toList()));
    // Warm-up: class loading, the runner and the JIT, so the timed fits below measure training.
    DirectStudent.train(TrainStudent.ridge().withFeatures(StudentModel.Features.BOTH).withFolds(folds),
        set.examples(IntStream.range(0, n).filter(i -> i % 4 == 0).boxed().collect(Collectors.toList())));

    long t = System.nanoTime();
    TrainStudent.Result ridge = DirectStudent.train(
        TrainStudent.ridge().withFeatures(StudentModel.Features.BOTH).withFolds(folds), examples);
    double ridgeSeconds = BenchSupport.seconds(t);
    t = System.nanoTime();
    TrainStudent.Result logistic = DirectStudent.train(
        TrainStudent.logistic().withFeatures(StudentModel.Features.BOTH).withFolds(folds), examples);
    double logisticSeconds = BenchSupport.seconds(t);

    JsonNode ridgeBlocks = new ObjectMapper().readTree(ridge.model.fitJson()).get("blocks");
    JsonNode logisticBlocks = new ObjectMapper().readTree(logistic.model.fitJson()).get("blocks");
    String ridgeHow = "ridge, " + folds + "-fold";
    String logisticHow = "logistic, fold 0 of " + folds;
    for (String block : BLOCKS) {
      BenchSupport.print("heldOutAuc[" + block + ", " + ridgeHow + "]", ridgeBlocks.get(block).get("heldOutAuc").asDouble());
    }
    long heldOutPositives = Arrays.stream(logistic.teacher).filter(v -> v == 1).count();
    BenchSupport.print("logisticValidation", "fold 0 only: " + logistic.ids.length + " documents, "
        + heldOutPositives + " positive (the ridge head holds out every document once)");
    for (String block : BLOCKS) {
      BenchSupport.print("heldOutAuc[" + block + ", " + logisticHow + "]", logisticBlocks.get(block).get("heldOutAuc").asDouble());
    }
    double[] logLength = set.texts.stream().mapToDouble(s -> Math.log(s.length())).toArray();
    BenchSupport.print("aucOfOneSignal[log chars, unfitted, all documents]", HeldOutMetrics.auc(set.labels, logLength));
    for (String block : BLOCKS) {
      BenchSupport.print("lambdas[" + block + ", ridge]", lambdas(ridgeBlocks.get(block)));
      BenchSupport.print("lambdas[" + block + ", logistic]", lambdas(logisticBlocks.get(block)));
    }
    printTopSignals("ridge", ridge.model);
    printTopSignals("logistic", logistic.model);
    BenchSupport.print("trainSeconds[ridge, both, " + folds + "-fold CV, DirectRunner 1 worker]", ridgeSeconds);
    BenchSupport.print("trainExamplesPerSecond[ridge]", n / ridgeSeconds);
    BenchSupport.print("trainSeconds[logistic, both, 8 Newton passes, DirectRunner 1 worker]", logisticSeconds);
    BenchSupport.print("trainExamplesPerSecond[logistic]", n / logisticSeconds);

    // Scoring cost on one thread: the dot products, and the text signals a new document needs first.
    StudentModel model = ridge.model;
    double sink = 0;
    for (int i = 0; i < 200_000; i++) {
      sink += model.score(set.embeddings[i % n], set.signals[i % n]); // warm-up
    }
    t = System.nanoTime();
    for (int i = 0; i < scoreN; i++) {
      sink += model.score(set.embeddings[i % n], set.signals[i % n]);
    }
    double scoreSeconds = BenchSupport.seconds(t);
    long chars = set.texts.stream().mapToLong(String::length).sum();
    int rounds = 0;
    t = System.nanoTime();
    do {
      for (String text : set.texts) {
        sink += SignalFeatures.of(text)[0];
      }
      rounds++;
    } while (BenchSupport.seconds(t) < 2 || rounds < 2);
    double signalSeconds = BenchSupport.seconds(t);
    BenchSupport.print("scoringDocumentsPerSecond[1 thread, embedding+signals features to score]", scoreN / scoreSeconds);
    BenchSupport.print("signalFeaturesDocumentsPerSecond[1 thread, text to features, mean "
        + chars / n + " chars]", rounds * (double) n / signalSeconds);
    BenchSupport.print("signalFeaturesSecondsFirstPass[" + n + " documents, cold]", set.signalSeconds);
    BenchSupport.print("checksum[reference vs crawl]", sink);
    BenchSupport.print("loadAverage[1 min]", BenchSupport.loadAverage());
    return ridgeBlocks.get("both").get("heldOutAuc").asDouble();
  }

  private static String lambdas(JsonNode block) {
    List<String> parts = new ArrayList<>();
    if (block.has("lambda")) {
      parts.add("embedding=" + block.get("lambda").asDouble());
    }
    if (block.has("lambdaSignals")) {
      parts.add("signals=" + block.get("lambdaSignals").asDouble());
    }
    return String.join(", ", parts);
  }

  /** The 5 signals of largest |weight per standard deviation|, largest first. */
  private static void printTopSignals(String head, StudentModel model) {
    double[] w = model.signalWeights();
    List<String> names = model.signalNames();
    Integer[] order = IntStream.range(0, w.length).boxed().toArray(Integer[]::new);
    Arrays.sort(order, Comparator.comparingDouble((Integer j) -> -Math.abs(w[j])));
    for (int r = 0; r < Math.min(5, order.length); r++) {
      BenchSupport.print("signalWeightPerSd[" + head + ", #" + (r + 1) + " " + names.get(order[r]) + "]", w[order[r]]);
    }
  }

  private static double predict(RidgeStatistics.Fit f, float[] x) {
    double z = f.intercept;
    for (int j = 0; j < x.length; j++) {
      z += f.weights[j] * x[j];
    }
    return z;
  }

  private static double gaussian(SplittableRandom r) {
    double u = r.nextDouble();
    double v = r.nextDouble();
    return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
  }
}
