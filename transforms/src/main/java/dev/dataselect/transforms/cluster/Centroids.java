package dev.dataselect.transforms.cluster;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.Arrays;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.DefaultCoder;

/**
 * The k unit-length centroids of {@link KMeans} after some Lloyd iterations, with what the
 * iterations measured: the documents each centroid holds, the largest centroid shift of the last
 * iteration ({@code 1 - cos(old, new)}), and whether that shift was under the tolerance (then later
 * iterations pass the centroids through unchanged).
 *
 * <p>Held as a singleton side input: k x d floats, so 1.5 MB at k = 1,000 and d = 384 and 77 MB at
 * k = 50,000; a worker decodes it once per side-input fetch (Dataflow and Flink cache it per worker
 * and task) and builds one ONNX Runtime session over it ({@link CentroidSearch}, a transposed copy
 * of the same size in native memory) per decoded instance.
 */
@DefaultCoder(Centroids.CentroidsCoder.class)
public final class Centroids implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int k;
  private final int d;
  private final float[] vectors;
  private final long[] sizes;
  private final int iteration;
  private final double shift;
  private final boolean converged;
  private transient volatile CentroidSearch search;

  Centroids(int k, int d, float[] vectors, long[] sizes, int iteration, double shift, boolean converged) {
    checkArgument(vectors.length == k * d, "%s centroids of %s need %s floats, got %s", k, d, k * d, vectors.length);
    checkArgument(sizes.length == k, "%s sizes for %s centroids", sizes.length, k);
    this.k = k;
    this.d = d;
    this.vectors = vectors;
    this.sizes = sizes;
    this.iteration = iteration;
    this.shift = shift;
    this.converged = converged;
  }

  /** Centroids given directly (k unit rows of d floats, row-major), e.g. from an earlier run's file. */
  public static Centroids of(int k, int d, float[] unitRows) {
    return new Centroids(k, d, unitRows.clone(), new long[k], 0, Double.NaN, true);
  }

  /** The number of centroids (fewer than asked when the corpus has fewer documents). */
  public int k() {
    return k;
  }

  public int dimension() {
    return d;
  }

  /** A copy of centroid {@code c}. */
  public float[] centroid(int c) {
    return Arrays.copyOfRange(vectors, c * d, c * d + d);
  }

  /** Documents assigned to centroid {@code c} in the iteration that computed it (0 after a re-seed or before the first iteration). */
  public long size(int c) {
    return sizes[c];
  }

  /** Lloyd iterations run (0: the k-means++ seeds). */
  public int iteration() {
    return iteration;
  }

  /** The largest {@code 1 - cos(old, new)} of the last iteration (NaN before the first). */
  public double shift() {
    return shift;
  }

  public boolean converged() {
    return converged;
  }

  float[] matrix() {
    return vectors;
  }

  /**
   * For the {@code q} unit rows of {@code queries}: the most similar centroid (the first of equal
   * ones) and that cosine similarity, by {@link CentroidSearch} (its ONNX Runtime session built on
   * the first call on this instance).
   */
  public void nearest(float[] queries, int q, int[] best, float[] similarity) {
    CentroidSearch cs = search;
    if (cs == null) {
      synchronized (this) {
        cs = search;
        if (cs == null) {
          cs = CentroidSearch.over(this, vectors, k, d);
          search = cs;
        }
      }
    }
    cs.nearest(queries, q, best, similarity);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Centroids)) {
      return false;
    }
    Centroids c = (Centroids) o;
    return k == c.k && d == c.d && iteration == c.iteration && converged == c.converged
        && Double.doubleToLongBits(shift) == Double.doubleToLongBits(c.shift)
        && Arrays.equals(vectors, c.vectors) && Arrays.equals(sizes, c.sizes);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(vectors) + iteration;
  }

  @Override
  public String toString() {
    return "Centroids{k=" + k + ", d=" + d + ", iteration=" + iteration + ", shift=" + shift + ", converged=" + converged + "}";
  }

  /** k, d, iteration, shift, converged, the sizes, then the floats little-endian in bulk. */
  public static final class CentroidsCoder extends CustomCoder<Centroids> {
    private static final long serialVersionUID = 1L;
    private static final CentroidsCoder INSTANCE = new CentroidsCoder();

    public static CentroidsCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(Centroids c, OutputStream out) throws IOException {
      DataOutputStream data = new DataOutputStream(out);
      data.writeInt(c.k);
      data.writeInt(c.d);
      data.writeInt(c.iteration);
      data.writeDouble(c.shift);
      data.writeBoolean(c.converged);
      for (long s : c.sizes) {
        data.writeLong(s);
      }
      FloatRows.write(data, c.vectors);
      data.flush();
    }

    @Override
    public Centroids decode(InputStream in) throws IOException {
      DataInputStream data = new DataInputStream(in);
      int k = data.readInt();
      int d = data.readInt();
      int iteration = data.readInt();
      double shift = data.readDouble();
      boolean converged = data.readBoolean();
      long[] sizes = new long[k];
      for (int i = 0; i < k; i++) {
        sizes[i] = data.readLong();
      }
      return new Centroids(k, d, FloatRows.read(data, k * d), sizes, iteration, shift, converged);
    }

    @Override
    public void verifyDeterministic() {}
  }
}
