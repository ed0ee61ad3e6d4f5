package dev.dataselect.benchmarks;

import dev.dataselect.transforms.MetricValues;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.DistributionResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;

/** Argument parsing, printing and machine facts shared by the benchmarks. */
final class BenchSupport {
  private BenchSupport() {}

  /** {@code --key=value} pairs. */
  static Map<String, String> args(String[] args) {
    Map<String, String> out = new HashMap<>();
    for (String a : args) {
      if (!a.startsWith("--") || !a.contains("=")) {
        throw new IllegalArgumentException("arguments are --key=value, got: " + a);
      }
      int eq = a.indexOf('=');
      out.put(a.substring(2, eq), a.substring(eq + 1));
    }
    return out;
  }

  static int intArg(Map<String, String> args, String key, int dflt) {
    return args.containsKey(key) ? Integer.parseInt(args.get(key)) : dflt;
  }

  /** Prints one {@code name: value} line. */
  static void print(String name, Object value) {
    if (value instanceof Double || value instanceof Float) {
      System.out.println(name + ": " + String.format(Locale.ROOT, "%.4g", ((Number) value).doubleValue()));
    } else {
      System.out.println(name + ": " + value);
    }
    System.out.flush();
  }

  /** The shared data folder: -Ddataselect.sharedData, else ../shared/data from the repository. */
  static Path sharedData() {
    String configured = System.getProperty("dataselect.sharedData");
    if (configured != null) {
      return Paths.get(configured);
    }
    for (String candidate : new String[] {"../shared/data", "../../shared/data"}) {
      Path p = Paths.get(candidate);
      if (Files.isDirectory(p)) {
        return p.toAbsolutePath().normalize();
      }
    }
    return Paths.get("../shared/data").toAbsolutePath().normalize();
  }

  /** CPU clock in GHz from /proc/cpuinfo, or NaN. */
  static double cpuGhz() {
    try {
      for (String line : Files.readAllLines(Paths.get("/proc/cpuinfo"), StandardCharsets.UTF_8)) {
        if (line.startsWith("cpu MHz")) {
          return Double.parseDouble(line.substring(line.indexOf(':') + 1).trim()) / 1000.0;
        }
      }
    } catch (IOException | RuntimeException e) {
      // fall through
    }
    return Double.NaN;
  }

  /** The 1-minute load average, or NaN: the machine may be shared, which skews timings. */
  static double loadAverage() {
    try {
      return Double.parseDouble(
          Files.readString(Paths.get("/proc/loadavg"), StandardCharsets.UTF_8).split(" ")[0]);
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  private static MetricQueryResults metrics(PipelineResult result, Class<?> stage, String name) {
    return result
        .metrics()
        .queryMetrics(MetricsFilter.builder().addNameFilter(MetricNameFilter.named(stage, name)).build());
  }

  /** Counter {@code name} of {@code stage}'s namespace, summed over steps (committed where the runner has them). */
  static long counter(PipelineResult result, Class<?> stage, String name) {
    long sum = 0;
    for (MetricResult<Long> c : metrics(result, stage, name).getCounters()) {
      sum += MetricValues.settled(c);
    }
    return sum;
  }

  /** Distribution {@code name} of {@code stage}'s namespace (the first step found), or null. */
  static DistributionResult distribution(PipelineResult result, Class<?> stage, String name) {
    for (MetricResult<DistributionResult> d : metrics(result, stage, name).getDistributions()) {
      return MetricValues.settled(d);
    }
    return null;
  }
}
