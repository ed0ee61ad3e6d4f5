package dev.dataselect.transforms.inference;

import static java.util.Objects.requireNonNull;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.Arrays;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.CoderProvider;
import org.apache.beam.sdk.coders.CoderProviders;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.coders.VarIntCoder;

/**
 * A document's sentence embedding: its id and an (L2-normalised) {@code float} vector. Immutable:
 * {@link #vector()} returns a copy. Equality compares the floats bit for bit ({@link
 * Arrays#equals(float[], float[])}), as the coder encodes them.
 */
@DefaultCoder(DocumentEmbedding.DocumentEmbeddingCoder.class)
public final class DocumentEmbedding implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String id;
  private final float[] vector;

  private DocumentEmbedding(String id, float[] vector) {
    this.id = requireNonNull(id, "id");
    this.vector = requireNonNull(vector, "vector");
  }

  /** Copies {@code vector}. */
  public static DocumentEmbedding of(String id, float[] vector) {
    return new DocumentEmbedding(id, requireNonNull(vector, "vector").clone());
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

  /** Component {@code i}, without copying the vector. */
  public float get(int i) {
    return vector[i];
  }

  /** The dot product with {@code other} (the cosine for unit vectors), in double. */
  public double dot(DocumentEmbedding other) {
    if (other.vector.length != vector.length) {
      throw new IllegalArgumentException(
          "dimensions differ: " + vector.length + " vs " + other.vector.length);
    }
    double s = 0;
    for (int i = 0; i < vector.length; i++) {
      s += (double) vector[i] * other.vector[i];
    }
    return s;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof DocumentEmbedding)) {
      return false;
    }
    DocumentEmbedding e = (DocumentEmbedding) o;
    return id.equals(e.id) && Arrays.equals(vector, e.vector);
  }

  @Override
  public int hashCode() {
    return id.hashCode() * 31 + Arrays.hashCode(vector);
  }

  @Override
  public String toString() {
    return "DocumentEmbedding{id=" + id + ", dimension=" + vector.length + "}";
  }

  /**
   * A deterministic coder: the id (UTF-8), the dimension (varint), then each float's IEEE 754 bits
   * big-endian ({@link Float#floatToIntBits}, so every NaN encodes alike), matching {@code equals}.
   */
  public static final class DocumentEmbeddingCoder extends AtomicCoder<DocumentEmbedding> {
    private static final DocumentEmbeddingCoder INSTANCE = new DocumentEmbeddingCoder();
    private static final StringUtf8Coder STRING = StringUtf8Coder.of();
    private static final VarIntCoder INT = VarIntCoder.of();

    public static DocumentEmbeddingCoder of() {
      return INSTANCE;
    }

    /** Makes {@code @DefaultCoder} resolve to this coder (Beam looks this method up). */
    public static CoderProvider getCoderProvider() {
      return CoderProviders.forCoder(TypeDescriptor.of(DocumentEmbedding.class), INSTANCE);
    }

    @Override
    public void encode(DocumentEmbedding e, OutputStream out) throws IOException {
      if (e == null) {
        throw new CoderException("cannot encode a null DocumentEmbedding");
      }
      STRING.encode(e.id, out);
      INT.encode(e.vector.length, out);
      DataOutputStream data = new DataOutputStream(out);
      for (float v : e.vector) {
        data.writeFloat(v);
      }
      data.flush();
    }

    @Override
    public DocumentEmbedding decode(InputStream in) throws IOException {
      String id = STRING.decode(in);
      int n = INT.decode(in);
      if (n < 0) {
        throw new CoderException("negative embedding dimension " + n);
      }
      DataInputStream data = new DataInputStream(in);
      float[] v = new float[n];
      for (int i = 0; i < n; i++) {
        v[i] = data.readFloat();
      }
      return new DocumentEmbedding(id, v);
    }

    @Override
    public void verifyDeterministic() {}

    @Override
    public boolean consistentWithEquals() {
      return true;
    }

    @Override
    protected long getEncodedElementByteSize(DocumentEmbedding e) throws Exception {
      return STRING.getEncodedElementByteSize(e.id)
          + org.apache.beam.sdk.util.VarInt.getLength(e.vector.length)
          + 4L * e.vector.length;
    }
  }
}
