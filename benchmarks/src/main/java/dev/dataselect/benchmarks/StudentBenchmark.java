package dev.dataselect.benchmarks;

import dev.dataselect.models.LoadedModel;
import dev.dataselect.models.ModelPresets;
import dev.dataselect.models.embed.SentenceEmbedder;
import dev.dataselect.transforms.student.HeldOutMetrics;
import dev.dataselect.transforms.student.RidgeStatistics;
import dev.dataselect.transforms.student.StudentModel;
import dev.dataselect.transforms.student.TrainStudent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.hadoop.ParquetReader;

/**
 * {@code bin/bench student}: a ridge student distilled from a precomputed signal of real web text,
 * and the cost of training and scoring.
 *
 * <ol>
 *   <li>The 100 documents of {@code web/cc-100-with-signals.parquet} are embedded with
 *       all-MiniLM-L6-v2 (256 tokens); the target is log KenLM perplexity ({@code
 *       ibmkenlm_docq_perplex_score}). Ridge with k-fold CV (folds = hash(id)) reports held-out R²
 *       (exact, from the per-fold statistics) and the Spearman correlation between each document's
 *       held-out prediction (by the model that did not see its fold) and the teacher.
 *   <li>Training cost: the statistics of N synthetic 384-d unit vectors (default 100,000; the
 *       per-example work is linear in N, so the 1M figure is N's time × 1M / N) plus the CV solve.
 *   <li>Scoring: documents/s of {@link StudentModel#score} on embeddings (one thread).
 * </ol>
 *
 * Options: {@code --folds=5 --syntheticN=100000 --scoreN=1000000}.
 */
public final class StudentBenchmark {
  private StudentBenchmark() {}

  public static void main(String[] argv) throws IOException {
    Map<String, String> args = BenchSupport.args(argv);
    int folds = BenchSupport.intArg(args, "folds", 5);
    int syntheticN = BenchSupport.intArg(args, "syntheticN", 100_000);
    int scoreN = BenchSupport.intArg(args, "scoreN", 1_000_000);
    long seed = 42;

    // 1. Real text: KenLM perplexity from MiniLM embeddings.
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

    // 2. Training cost on synthetic 384-d unit vectors: accumulate (one thread) + CV solve.
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

    // 3. Scoring: one dot product per document.
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
    BenchSupport.print("heldOutSpearman", HeldOutMetrics.spearman(heldOut, y));
    if (!Files.isRegularFile(file)) {
      throw new IOException("missing " + file);
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
