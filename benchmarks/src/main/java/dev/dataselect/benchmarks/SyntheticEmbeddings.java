package dev.dataselect.benchmarks;

import dev.dataselect.transforms.Embedding;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A synthetic clustered corpus on the unit sphere, standing in for sentence embeddings until real
 * ones exist: {@code clusters} centres, cluster sizes Zipf-like (weight {@code 1 / (j + 1)}),
 * spreads varying by cluster (noise norm from 0.3 to 0.9 before normalising), plus 2% background
 * points in uniformly random directions. Deterministic in the seed.
 */
public final class SyntheticEmbeddings {
  private SyntheticEmbeddings() {}

  /**
   * Writes a synthetic corpus as an {@link EmbeddingsFile}: {@code --out=PATH [--n=6000 --dim=64
   * --clusters=20 --data-seed=1]}.
   */
  public static void main(String[] args) throws Exception {
    BenchArgs a = new BenchArgs(args);
    String out = a.string("out", null);
    if (out == null) {
      throw new IllegalArgumentException("--out=PATH is required");
    }
    List<Embedding> e =
        generate(
            a.integer("n", 6000),
            a.integer("dim", 64),
            a.integer("clusters", 20),
            a.integer("data-seed", 1));
    EmbeddingsFile.write(java.nio.file.Path.of(out), e);
    System.out.println("wrote: " + e.size() + " x " + e.get(0).dimension() + " to " + out);
  }

  public static List<Embedding> generate(int n, int dimension, int clusters, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    double[][] centres = new double[clusters][];
    double[] spreads = new double[clusters];
    double[] cumulative = new double[clusters];
    double total = 0;
    for (int j = 0; j < clusters; j++) {
      centres[j] = unit(gaussians(random, dimension));
      spreads[j] = (0.3 + 0.6 * random.nextDouble()) / Math.sqrt(dimension);
      total += 1.0 / (j + 1);
      cumulative[j] = total;
    }
    List<Embedding> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      double[] v;
      if (random.nextDouble() < 0.02) {
        v = gaussians(random, dimension);
      } else {
        double u = random.nextDouble() * total;
        int j = 0;
        while (cumulative[j] < u) {
          j++;
        }
        v = gaussians(random, dimension);
        for (int k = 0; k < dimension; k++) {
          v[k] = centres[j][k] + spreads[j] * v[k];
        }
      }
      v = unit(v);
      float[] f = new float[dimension];
      for (int k = 0; k < dimension; k++) {
        f[k] = (float) v[k];
      }
      out.add(Embedding.of(String.format("syn-%07d", i), f));
    }
    return out;
  }

  /**
   * Point {@code i} of a clustered corpus, computed from (seed, i) alone so that a pipeline can
   * generate any slice of it in parallel: {@code clusters} random unit centres from the seed, point
   * i in cluster {@code i}'s hash-chosen cluster (Zipf-like weights {@code 1 / (j + 1)}), a centre
   * plus Gaussian noise of norm 0.3 to 0.9 (by cluster), renormalised; 2% of points in uniformly
   * random directions. Serializable (the centres, {@code clusters x dimension} doubles).
   */
  public static final class Generator implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private final int dimension;
    private final long seed;
    private final double[][] centres;
    private final double[] spreads;
    private final double[] cumulative;

    public Generator(int dimension, int clusters, long seed) {
      this.dimension = dimension;
      this.seed = seed;
      SplittableRandom random = new SplittableRandom(seed);
      centres = new double[clusters][];
      spreads = new double[clusters];
      cumulative = new double[clusters];
      double total = 0;
      for (int j = 0; j < clusters; j++) {
        centres[j] = unit(gaussians(random, dimension));
        spreads[j] = (0.3 + 0.6 * random.nextDouble()) / Math.sqrt(dimension);
        total += 1.0 / (j + 1);
        cumulative[j] = total;
      }
    }

    public int dimension() {
      return dimension;
    }

    /** Point {@code i}'s unit vector into {@code out} at {@code offset}. */
    public void at(long i, float[] out, int offset) {
      SplittableRandom random = new SplittableRandom(seed * 0x9e3779b97f4a7c15L + i);
      double[] v = gaussians(random, dimension);
      if (random.nextDouble() >= 0.02) {
        double u = random.nextDouble() * cumulative[cumulative.length - 1];
        int j = 0;
        while (cumulative[j] < u) {
          j++;
        }
        for (int k = 0; k < dimension; k++) {
          v[k] = centres[j][k] + spreads[j] * v[k];
        }
      }
      unit(v);
      for (int k = 0; k < dimension; k++) {
        out[offset + k] = (float) v[k];
      }
    }

    /** Point {@code i} as an embedding with id {@code syn-i} (zero-padded to 9 digits). */
    public Embedding embedding(long i) {
      float[] f = new float[dimension];
      at(i, f, 0);
      return Embedding.of(String.format("syn-%09d", i), f);
    }
  }

  private static double[] gaussians(SplittableRandom random, int d) {
    double[] v = new double[d];
    for (int k = 0; k < d; k++) {
      double u1 = 1 - random.nextDouble();
      double u2 = random.nextDouble();
      v[k] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
    return v;
  }

  private static double[] unit(double[] v) {
    double s = 0;
    for (double x : v) {
      s += x * x;
    }
    double norm = Math.sqrt(s);
    for (int k = 0; k < v.length; k++) {
      v[k] /= norm;
    }
    return v;
  }
}
