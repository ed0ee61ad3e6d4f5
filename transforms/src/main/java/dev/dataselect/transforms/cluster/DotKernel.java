package dev.dataselect.transforms.cluster;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * Dot products of query rows against a fixed set of column vectors, in float, in plain Java: the
 * kernel of {@link SemDeDup}'s pairwise similarities (one block of a cluster against another, each
 * product then filtered by which document precedes), and the reference the k-means assignment
 * ({@link CentroidSearch}, ONNX Runtime's GEMM, about 10x faster) is checked against.
 *
 * <p>The columns are held transposed ({@code [d][n]}, row-major), so the inner loop is {@code
 * acc[j] += q[k] * c[k][j]} over a tile of columns: an element-wise loop the JIT vectorises (a
 * reduction along d would not be, as Java forbids reordering float additions). Four queries share
 * each pass over a tile of {@link #TILE} columns (128 KiB of a 384-d tile in L2; the four
 * accumulator rows, 4 KiB, in L1).
 *
 * <p>Determinism: each product {@code q . c_j} adds its d terms in index order, whatever the batch
 * of queries, the query's position in it, or the tile; so a (query, column) pair gives the same
 * float in any bundle on any runner (on one JVM vendor and CPU: the JIT does not fuse multiply and
 * add, which Java semantics forbid).
 */
public final class DotKernel {
  /** Columns per tile. */
  static final int TILE = 256;

  private final int n;
  private final int d;
  /** The columns transposed: {@code ct[k * n + j]} is component k of column j. */
  private final float[] ct;

  /** Columns {@code rows[j * d .. j * d + d)} for j in [0, n). */
  public DotKernel(float[] rows, int n, int d) {
    checkArgument(rows.length >= n * d, "need %s floats for %s columns of %s, got %s", n * d, n, d, rows.length);
    this.n = n;
    this.d = d;
    this.ct = new float[n * d];
    for (int j = 0; j < n; j++) {
      for (int k = 0; k < d; k++) {
        ct[k * n + j] = rows[j * d + k];
      }
    }
  }

  public int columns() {
    return n;
  }

  public int dimension() {
    return d;
  }

  /** Receives the dot products of one tile: {@code dots[i * TILE + (j - from)]} is query i . column j. */
  public interface TileConsumer {
    void accept(int from, int to, float[] dots, int queries);
  }

  /**
   * Computes {@code queries[i] . column j} for the {@code q} rows of {@code queries} (row-major, d
   * each) and every column, one tile of columns at a time, handing each tile to {@code consumer}.
   */
  public void dots(float[] queries, int q, TileConsumer consumer) {
    float[] acc = new float[q * TILE];
    for (int from = 0; from < n; from += TILE) {
      int to = Math.min(n, from + TILE);
      int w = to - from;
      java.util.Arrays.fill(acc, 0, q * TILE, 0f);
      int i = 0;
      for (; i + 4 <= q; i += 4) {
        int a0 = i * d;
        int a1 = a0 + d;
        int a2 = a1 + d;
        int a3 = a2 + d;
        int o0 = i * TILE;
        int o1 = o0 + TILE;
        int o2 = o1 + TILE;
        int o3 = o2 + TILE;
        for (int k = 0; k < d; k++) {
          float x0 = queries[a0 + k];
          float x1 = queries[a1 + k];
          float x2 = queries[a2 + k];
          float x3 = queries[a3 + k];
          int c = k * n + from;
          for (int j = 0; j < w; j++) {
            float v = ct[c + j];
            acc[o0 + j] += x0 * v;
            acc[o1 + j] += x1 * v;
            acc[o2 + j] += x2 * v;
            acc[o3 + j] += x3 * v;
          }
        }
      }
      for (; i < q; i++) {
        int a = i * d;
        int o = i * TILE;
        for (int k = 0; k < d; k++) {
          float x = queries[a + k];
          int c = k * n + from;
          for (int j = 0; j < w; j++) {
            acc[o + j] += x * ct[c + j];
          }
        }
      }
      consumer.accept(from, to, acc, q);
    }
  }

  /**
   * For each of the {@code q} queries, the column with the largest dot product (the smallest
   * index among equal ones) into {@code best}, and that product into {@code similarity}.
   */
  public void nearest(float[] queries, int q, int[] best, float[] similarity) {
    for (int i = 0; i < q; i++) {
      best[i] = -1;
      similarity[i] = Float.NEGATIVE_INFINITY;
    }
    dots(queries, q, (from, to, dots, rows) -> {
      for (int i = 0; i < rows; i++) {
        int o = i * TILE - from;
        float s = similarity[i];
        int b = best[i];
        for (int j = from; j < to; j++) {
          float v = dots[o + j];
          if (v > s) {
            s = v;
            b = j;
          }
        }
        similarity[i] = s;
        best[i] = b;
      }
    });
  }

  /** Scales {@code v[offset .. offset + d)} to unit length in place; false (unchanged) when it is zero. */
  public static boolean normalize(float[] v, int offset, int d) {
    double s = 0;
    for (int k = 0; k < d; k++) {
      double x = v[offset + k];
      s += x * x;
    }
    if (s == 0) {
      return false;
    }
    double inv = 1 / Math.sqrt(s);
    for (int k = 0; k < d; k++) {
      v[offset + k] = (float) (v[offset + k] * inv);
    }
    return true;
  }
}
