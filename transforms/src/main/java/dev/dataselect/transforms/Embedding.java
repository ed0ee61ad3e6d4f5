package dev.dataselect.transforms;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;

/**
 * One document's embedding: the document {@code id} and a dense vector of finite floats. The one
 * embedding type of the library: what {@code Embed} and {@code ReadEmbeddings} output and what
 * {@code KdeDensity}, {@code ScoreWithStudent} and {@code WriteEmbeddings} read.
 *
 * <p>The vector is copied on the way in and on the way out, so an {@code Embedding} is immutable;
 * {@link #dimension()} and {@link #get(int)} read it without a copy.
 */
@DefaultCoder(Embedding.EmbeddingCoder.class)
public final class Embedding implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String id;
  private final float[] vector;

  private Embedding(String id, float[] vector) {
    this.id = id;
    this.vector = vector;
  }

  /**
   * An embedding of {@code id}. Throws {@link IllegalArgumentException} if the vector is empty or
   * holds a NaN or an infinity: a non-finite embedding has no place in a metric space, so the
   * producer must route it to its dead letters instead.
   */
  public static Embedding of(String id, float[] vector) {
    requireNonNull(id, "id");
    requireNonNull(vector, "vector");
    checkArgument(vector.length > 0, "vector of %s is empty", id);
    int bad = firstNonFinite(vector);
    checkArgument(bad < 0, "vector of %s has a non-finite value at index %s", id, bad);
    return new Embedding(id, vector.clone());
  }

  /** The index of the first NaN or infinity in {@code vector}, or -1 when every value is finite. */
  public static int firstNonFinite(float[] vector) {
    for (int i = 0; i < vector.length; i++) {
      if (!Float.isFinite(vector[i])) {
        return i;
      }
    }
    return -1;
  }

  public String id() {
    return id;
  }

  /** A copy of the vector. */
  public float[] vector() {
    return vector.clone();
  }

  public int dimension() {
    return vector.length;
  }

  public float get(int i) {
    return vector[i];
  }

  /** The dot product with {@code other} (the cosine for unit vectors), in double. */
  public double dot(Embedding other) {
    checkArgument(other.vector.length == vector.length, "dimensions differ: %s vs %s", vector.length, other.vector.length);
    double s = 0;
    for (int i = 0; i < vector.length; i++) {
      s += (double) vector[i] * other.vector[i];
    }
    return s;
  }

  /** Copies the vector into {@code dest} at {@code offset}, e.g. into a row of a matrix. */
  public void copyTo(float[] dest, int offset) {
    System.arraycopy(vector, 0, dest, offset, vector.length);
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Embedding)) {
      return false;
    }
    Embedding e = (Embedding) o;
    return id.equals(e.id) && Arrays.equals(vector, e.vector);
  }

  @Override
  public int hashCode() {
    return id.hashCode() * 31 + Arrays.hashCode(vector);
  }

  @Override
  public String toString() {
    return "Embedding{id=" + id + ", dimension=" + vector.length + "}";
  }

  /**
   * A deterministic coder: the id as UTF-8, the dimension as a var-int, then the floats as raw
   * little-endian IEEE 754 (4 bytes each).
   */
  public static final class EmbeddingCoder extends AtomicCoder<Embedding> {
    private static final EmbeddingCoder INSTANCE = new EmbeddingCoder();
    private static final StringUtf8Coder STRING = StringUtf8Coder.of();
    private static final VarIntCoder INT = VarIntCoder.of();

    /** Lets {@code @DefaultCoder} resolve this coder (Beam looks for this method). */
    public static org.apache.beam.sdk.coders.CoderProvider getCoderProvider() {
      return org.apache.beam.sdk.coders.CoderProviders.forCoder(
          org.apache.beam.sdk.values.TypeDescriptor.of(Embedding.class), of());
    }

    public static EmbeddingCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(Embedding e, OutputStream out) throws IOException {
      STRING.encode(e.id, out);
      INT.encode(e.vector.length, out);
      ByteBuffer bytes = ByteBuffer.allocate(4 * e.vector.length).order(ByteOrder.LITTLE_ENDIAN);
      bytes.asFloatBuffer().put(e.vector);
      out.write(bytes.array());
    }

    @Override
    public Embedding decode(InputStream in) throws IOException {
      String id = STRING.decode(in);
      int n = INT.decode(in);
      if (n < 0) {
        throw new IOException("negative embedding dimension " + n);
      }
      byte[] raw = new byte[4 * n];
      new DataInputStream(in).readFully(raw);
      float[] vector = new float[n];
      ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(vector);
      return new Embedding(id, vector);
    }

    @Override
    public void verifyDeterministic() {}

    @Override
    public boolean consistentWithEquals() {
      return true;
    }
  }
}
