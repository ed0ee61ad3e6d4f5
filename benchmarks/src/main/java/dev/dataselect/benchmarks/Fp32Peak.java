package dev.dataselect.benchmarks;

import dev.dataselect.models.OnnxSessions;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The machine's measured single-precision peak: the best rate of a large square FP32 matrix
 * multiply ({@code 2 n^3} FLOP) in ONNX Runtime's MatMul (MLAS sgemm, hand-tuned per instruction
 * set) on the given number of intra-op threads, after a warm-up run. Benchmarks divide their own
 * FLOP rate by this figure to say how close to the hardware they run, without trusting a nominal
 * figure that turbo, AVX frequency offsets and shared cores make wrong.
 *
 * <p>{@link #nominal()} gives the textbook figure from {@code /proc/cpuinfo} as an aside only.
 *
 * <p>{@code bin/bench} does not list this class; run it with {@code java -cp ...
 * dev.dataselect.benchmarks.Fp32Peak [--threads=N] [--size=N] [--runs=N]}, or call {@link
 * #measure(int)}.
 */
public final class Fp32Peak {
  /** The default matrix side: 2048^3 x 2 = 17.2 GFLOP per multiply, ~0.1-0.5 s on a few cores. */
  public static final int DEFAULT_SIZE = 2048;

  /** The default number of timed runs, of which the best is kept. */
  public static final int DEFAULT_RUNS = 5;

  private Fp32Peak() {}

  /** A measured peak and how it was measured. */
  public static final class Result {
    private final double gflops;
    private final int size;
    private final int runs;
    private final int threads;
    private final double bestSeconds;

    Result(double gflops, int size, int runs, int threads, double bestSeconds) {
      this.gflops = gflops;
      this.size = size;
      this.runs = runs;
      this.threads = threads;
      this.bestSeconds = bestSeconds;
    }

    /** The best rate, {@code 2 size^3 / bestSeconds / 1e9}. */
    public double gflops() {
      return gflops;
    }

    /** The side of the square matrices multiplied. */
    public int size() {
      return size;
    }

    /** The number of timed runs the best was taken of (a warm-up run comes before them). */
    public int runs() {
      return runs;
    }

    /** ONNX Runtime intra-op threads. */
    public int threads() {
      return threads;
    }

    /** Wall seconds of the fastest run. */
    public double bestSeconds() {
      return bestSeconds;
    }

    /** One line describing the measurement, for benchmark output. */
    public String describe() {
      return String.format(
          Locale.ROOT,
          "ORT MatMul (MLAS sgemm) %dx%dx%d FP32, %d threads, best of %d: %.1f GFLOP/s",
          size,
          size,
          size,
          threads,
          runs,
          gflops);
    }

    @Override
    public String toString() {
      return describe();
    }
  }

  /** {@link #measure(int, int, int)} with {@link #DEFAULT_SIZE} and {@link #DEFAULT_RUNS}. */
  public static Result measure(int threads) {
    return measure(threads, DEFAULT_SIZE, DEFAULT_RUNS);
  }

  /** {@link #measure(int)} on all available processors. */
  public static Result measure() {
    return measure(Runtime.getRuntime().availableProcessors());
  }

  /**
   * Multiplies two random {@code size x size} FP32 matrices in ONNX Runtime on {@code threads}
   * intra-op threads: once to warm up, then {@code runs} timed times; returns the best rate.
   *
   * @throws IllegalArgumentException if an argument is not positive
   * @throws IllegalStateException if ONNX Runtime fails
   */
  public static Result measure(int threads, int size, int runs) {
    if (threads < 1 || size < 1 || runs < 1) {
      throw new IllegalArgumentException(
          "threads, size and runs must be >= 1, got " + threads + ", " + size + ", " + runs);
    }
    OrtEnvironment env = OnnxSessions.environment();
    try (SessionOptions options = new SessionOptions()) {
      options.setIntraOpNumThreads(threads);
      options.setInterOpNumThreads(1);
      options.setExecutionMode(SessionOptions.ExecutionMode.SEQUENTIAL);
      try (OrtSession session = env.createSession(matMulModel(), options);
          OnnxTensor a = randomMatrix(env, size, 1);
          OnnxTensor b = randomMatrix(env, size, 2)) {
        Map<String, OnnxTensor> inputs = Map.of("A", a, "B", b);
        session.run(inputs).close();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < runs; i++) {
          long t0 = System.nanoTime();
          OrtSession.Result out = session.run(inputs);
          long t = System.nanoTime() - t0;
          out.close();
          best = Math.min(best, t);
        }
        double seconds = best / 1e9;
        double flop = 2.0 * size * (double) size * size;
        return new Result(flop / seconds / 1e9, size, runs, threads, seconds);
      }
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime failed measuring the FP32 peak", e);
    }
  }

  private static OnnxTensor randomMatrix(OrtEnvironment env, int size, long seed)
      throws OrtException {
    FloatBuffer data =
        ByteBuffer.allocateDirect(4 * size * size).order(ByteOrder.nativeOrder()).asFloatBuffer();
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < size * size; i++) {
      data.put((float) (r.nextDouble() * 2 - 1));
    }
    data.rewind();
    return OnnxTensor.createTensor(env, data, new long[] {size, size});
  }

  /** {@code C = MatMul(A, B)} with A, B float inputs of any 2-D shape. */
  static byte[] matMulModel() {
    GraphProto graph =
        GraphProto.newBuilder()
            .setName("fp32_peak")
            .addInput(matrix("A", "n", "k"))
            .addInput(matrix("B", "k", "m"))
            .addOutput(matrix("C", "n", "m"))
            .addNode(
                NodeProto.newBuilder()
                    .setOpType("MatMul")
                    .setName("matmul")
                    .addInput("A")
                    .addInput("B")
                    .addOutput("C"))
            .build();
    return OverheadModel.modelBytes(graph);
  }

  private static ValueInfoProto matrix(String name, String rows, String cols) {
    TensorShapeProto shape =
        TensorShapeProto.newBuilder()
            .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(rows))
            .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(cols))
            .build();
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(
            TypeProto.newBuilder()
                .setTensorType(
                    TypeProto.Tensor.newBuilder()
                        .setElemType(DataType.FLOAT_VALUE)
                        .setShape(shape)))
        .build();
  }

  /**
   * The textbook FP32 peak from {@code /proc/cpuinfo}, an aside only: {@code cores x MHz x lanes x
   * 2 (an FMA is two FLOP) x 2 (FMA units per core, assumed)}, lanes 16 with {@code avx512f}, 8
   * with {@code avx2} and {@code fma}, 4 otherwise; the MHz is the one {@code /proc/cpuinfo}
   * reports now (not turbo, not the AVX offset). Empty description and NaN when not on Linux.
   */
  public static Nominal nominal() {
    Path cpuinfo = Paths.get("/proc/cpuinfo");
    if (!Files.isReadable(cpuinfo)) {
      return new Nominal(Double.NaN, "no /proc/cpuinfo");
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(cpuinfo, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return new Nominal(Double.NaN, "unreadable /proc/cpuinfo: " + e.getMessage());
    }
    String flags = "";
    double mhz = Double.NaN;
    String model = "?";
    for (String line : lines) {
      int colon = line.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String key = line.substring(0, colon).trim();
      String value = line.substring(colon + 1).trim();
      if (key.equals("flags") && flags.isEmpty()) {
        flags = " " + value + " ";
      } else if (key.equals("cpu MHz") && Double.isNaN(mhz)) {
        mhz = Double.parseDouble(value);
      } else if (key.equals("model name") && model.equals("?")) {
        model = value;
      }
    }
    int cores = Runtime.getRuntime().availableProcessors();
    int lanes;
    String isa;
    if (flags.contains(" avx512f ")) {
      lanes = 16;
      isa = "AVX-512";
    } else if (flags.contains(" avx2 ") && flags.contains(" fma ")) {
      lanes = 8;
      isa = "AVX2+FMA";
    } else {
      lanes = 4;
      isa = "SSE";
    }
    double gflops = cores * mhz / 1000 * lanes * 2 * 2;
    return new Nominal(
        gflops,
        String.format(
            Locale.ROOT,
            "%s, %s, %d cores x %.0f MHz x %d lanes x 2 FLOP/FMA x 2 FMA units (assumed)",
            model,
            isa,
            cores,
            mhz,
            lanes));
  }

  /** The nominal peak and how it was computed. */
  public static final class Nominal {
    private final double gflops;
    private final String description;

    Nominal(double gflops, String description) {
      this.gflops = gflops;
      this.description = description;
    }

    public double gflops() {
      return gflops;
    }

    public String description() {
      return description;
    }
  }

  /** Prints the measured peak ({@code --threads}, {@code --size}, {@code --runs}) and the nominal. */
  public static void main(String[] args) {
    BenchArgs a = new BenchArgs(args);
    int threads = a.integer("threads", Runtime.getRuntime().availableProcessors());
    Result r = measure(threads, a.integer("size", DEFAULT_SIZE), a.integer("runs", DEFAULT_RUNS));
    Nominal n = nominal();
    BenchSupport.print("fp32_nominal_gflops", n.gflops());
    BenchSupport.print("fp32_nominal_how", n.description());
    BenchSupport.print("fp32_peak_how", r.describe());
    BenchSupport.print("fp32_peak_gflops", r.gflops());
  }
}
