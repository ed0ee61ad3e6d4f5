package dev.dataselect.benchmarks;

import dev.dataselect.transforms.Embedding;
import dev.dataselect.transforms.cluster.Centroids;
import dev.dataselect.transforms.cluster.DotKernel;
import dev.dataselect.transforms.cluster.KMeans;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * {@code bin/bench kmeans}: the k-means assignment in GFLOP/s against the machine's measured FP32
 * peak (ONNX Runtime's GEMM, which {@link KMeans} uses, and the plain-Java {@link DotKernel} beside it), and the {@link KMeans} transform's seconds per Lloyd iteration
 * at growing N on the Flink runner in process: {@code (wall with --iterations) - (wall with 0
 * iterations)} over the iterations, so generating the embeddings, the sample, k-means++ and the
 * final assignment are not charged to the iterations. Embeddings: {@link SyntheticEmbeddings}'
 * clustered unit vectors (50 clusters of Zipf-like sizes, 384-d), generated inside the pipeline.
 *
 * <p>Options: {@code --k=1000}, {@code --dim=384}, {@code --sizes=100000,1000000}, {@code
 * --iterations=1} (with tolerance 0 a later iteration that moves nothing converges and skips its work), {@code --parallelism=2}, {@code --kernel-n=20000} queries for the kernel,
 * {@code --sections=peak,kernel,stage}. Headline: seconds per iteration at the largest size.
 */
public final class KMeansBenchmark {
  private KMeansBenchmark() {}

  public static void main(String[] args) throws Exception {
    BenchArgs a = new BenchArgs(args);
    int cores = Runtime.getRuntime().availableProcessors();
    int k = a.integer("k", 1000);
    int dim = a.integer("dim", 384);
    String sections = a.string("sections", "peak,kernel,stage");
    SyntheticEmbeddings.Generator gen = new SyntheticEmbeddings.Generator(dim, 50, 1);
    double peak = Double.NaN;
    if (sections.contains("peak")) {
      Fp32Peak.Result r = Fp32Peak.measure(cores);
      BenchSupport.print("fp32_peak_how", r.describe());
      BenchSupport.print("fp32_peak_gflops", r.gflops());
      peak = r.gflops();
    }
    if (sections.contains("kernel")) {
      int n = a.integer("kernel-n", 20_000);
      float[] centroids = new float[k * dim];
      for (int c = 0; c < k; c++) {
        gen.at(5_000_000_000L + c, centroids, c * dim);
      }
      float[] queries = new float[n * dim];
      for (int i = 0; i < n; i++) {
        gen.at(i, queries, i * dim);
      }
      DotKernel plain = new DotKernel(centroids, k, dim);
      Centroids onnx = Centroids.of(k, dim, centroids);
      Assigner[] ways = {plain::nearest, onnx::nearest};
      String[] names = {"plain_java", "onnx"};
      double onnxBest = 0;
      for (int w = 0; w < 2; w++) {
        kernelRate(ways[w], queries, Math.min(n, 2_000), dim, k, cores); // warm-up (JIT, session)
        double best = 0;
        List<String> runs = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
          double g = kernelRate(ways[w], queries, n, dim, k, cores);
          runs.add(String.format(java.util.Locale.ROOT, "%.2f", g));
          best = Math.max(best, g);
        }
        BenchSupport.print("kernel_" + names[w] + "_gflops_runs", String.join(",", runs));
        BenchSupport.print("kernel_" + names[w] + "_gflops", best);
        if (!Double.isNaN(peak)) {
          BenchSupport.print("kernel_" + names[w] + "_fraction_of_peak", best / peak);
        }
        onnxBest = best;
      }
      BenchSupport.print("kernel_how", n + " queries x " + k + " centroids x " + dim + "-d, batches of 256 on " + cores
          + " threads: DotKernel (plain Java, SemDeDup's) and Centroids.nearest (ONNX Runtime GEMM, KMeans')");
      if (!Double.isNaN(peak)) {
        BenchSupport.print("kernel_fraction_of_peak", onnxBest / peak);
      }
    }
    if (sections.contains("stage")) {
      int iterations = a.integer("iterations", 1);
      int parallelism = a.integer("parallelism", 2);
      BenchSupport.print("stage_how", "FlinkRunner [local] parallelism " + parallelism + ", KMeans.of(" + k + "), tolerance 0, "
          + "seconds per iteration = (wall at " + iterations + " iterations - wall at 0) / " + iterations);
      run(gen, 2_000, k, 1, parallelism); // warm-up: class loading, JIT, the runner's first start
      double last = Double.NaN;
      double previousPerDoc = Double.NaN;
      for (String sizeText : a.string("sizes", "100000,1000000").split(",")) {
        long size = Long.parseLong(sizeText.trim());
        double base = run(gen, size, k, 0, parallelism);
        double full = run(gen, size, k, iterations, parallelism);
        double perIteration = (full - base) / iterations;
        BenchSupport.print("stage_wall_s_0_iterations_n" + size, base);
        BenchSupport.print("stage_wall_s_" + iterations + "_iterations_n" + size, full);
        BenchSupport.print("stage_s_per_iteration_n" + size, perIteration);
        double gflops = 2.0 * size * k * dim / perIteration / 1e9;
        BenchSupport.print("stage_iteration_gflops_n" + size, gflops);
        double perDoc = perIteration / size;
        if (!Double.isNaN(previousPerDoc)) {
          BenchSupport.print("stage_per_doc_growth_to_n" + size, perDoc / previousPerDoc);
        }
        previousPerDoc = perDoc;
        last = perIteration;
      }
      BenchSupport.print("stage_s_per_iteration", last);
    }
  }

  /** One way of assigning a batch of query rows to their nearest column. */
  interface Assigner {
    void nearest(float[] rows, int q, int[] best, float[] similarity);
  }

  /** GFLOP/s ({@code 2 n k d / wall}) of assigning the first n queries in batches of 256 on {@code threads} threads. */
  static double kernelRate(Assigner way, float[] queries, int n, int dim, int k, int threads) throws Exception {
    int batch = 256;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      long t0 = System.nanoTime();
      List<Future<?>> parts = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        parts.add(pool.submit(() -> {
          int[] best = new int[batch];
          float[] sim = new float[batch];
          for (int from = thread * batch; from < n; from += threads * batch) {
            int q = Math.min(batch, n - from);
            float[] rows = java.util.Arrays.copyOfRange(queries, from * dim, (from + q) * dim);
            way.nearest(rows, q, best, sim);
          }
          return null;
        }));
      }
      for (Future<?> f : parts) {
        f.get();
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      return 2.0 * n * k * dim / seconds / 1e9;
    } finally {
      pool.shutdown();
    }
  }

  private static double run(SyntheticEmbeddings.Generator gen, long size, int k, int iterations, int parallelism) {
    PipelineOptions options = PipelineOptionsFactory.fromArgs(
        "--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=" + parallelism).create();
    Pipeline p = Pipeline.create(options);
    PCollection<Embedding> embeddings =
        p.apply("Ids", GenerateSequence.from(0).to(size)).apply("Generate", ParDo.of(new KdeSpeed.GenerateFn(gen)));
    embeddings.apply("KMeans", KMeans.of(k).withSeed(1).withMaxIterations(iterations).withTolerance(0))
        .assignments()
        .apply("Count", Count.globally())
        .apply("Check", ParDo.of(new KdeSpeed.CheckCountFn(size)));
    long t0 = System.nanoTime();
    p.run().waitUntilFinish();
    return (System.nanoTime() - t0) / 1e9;
  }
}
