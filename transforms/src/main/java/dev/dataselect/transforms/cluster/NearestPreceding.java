package dev.dataselect.transforms.cluster;

import static java.util.Objects.requireNonNull;

import dev.dataselect.transforms.DocumentScore;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * {@link SemDeDup}'s verdict input for one document: the largest cosine similarity to a document of
 * its cluster that precedes it, and that document's id. {@link #NONE} ({@code -1}, the smallest
 * cosine) and no id when nothing precedes it in its cluster. SemDeDup drops the document at
 * threshold epsilon iff {@code similarity > 1 - epsilon}.
 */
@DefaultCoder(NearestPreceding.NearestPrecedingCoder.class)
public final class NearestPreceding implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The similarity of a document nothing precedes. */
  public static final double NONE = -1.0;

  private final String id;
  private final double similarity;
  private final @Nullable String duplicateOf;

  private NearestPreceding(String id, double similarity, @Nullable String duplicateOf) {
    this.id = requireNonNull(id, "id");
    this.similarity = similarity;
    this.duplicateOf = duplicateOf;
  }

  public static NearestPreceding of(String id, double similarity, @Nullable String duplicateOf) {
    return new NearestPreceding(id, duplicateOf == null ? NONE : similarity, duplicateOf);
  }

  public static NearestPreceding none(String id) {
    return new NearestPreceding(id, NONE, null);
  }

  public String id() {
    return id;
  }

  public double similarity() {
    return similarity;
  }

  /** The preceding document this one is most similar to; null when none precedes it. */
  public @Nullable String duplicateOf() {
    return duplicateOf;
  }

  /** As a score: the similarity (lower is more novel). */
  public DocumentScore score() {
    return DocumentScore.of(id, similarity);
  }

  /** The better of two candidates for one document: the higher similarity, then the smaller id. */
  static NearestPreceding max(NearestPreceding a, NearestPreceding b) {
    if (a.duplicateOf == null) {
      return b;
    }
    if (b.duplicateOf == null) {
      return a;
    }
    int c = Double.compare(a.similarity, b.similarity);
    if (c != 0) {
      return c > 0 ? a : b;
    }
    return a.duplicateOf.compareTo(b.duplicateOf) <= 0 ? a : b;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof NearestPreceding)) {
      return false;
    }
    NearestPreceding n = (NearestPreceding) o;
    return id.equals(n.id) && Double.doubleToLongBits(similarity) == Double.doubleToLongBits(n.similarity)
        && java.util.Objects.equals(duplicateOf, n.duplicateOf);
  }

  @Override
  public int hashCode() {
    return id.hashCode() * 31 + Double.hashCode(similarity);
  }

  @Override
  public String toString() {
    return "NearestPreceding{id=" + id + ", similarity=" + similarity + ", duplicateOf=" + duplicateOf + "}";
  }

  /** The id, the similarity's bits, whether a duplicate is named, then its id. */
  public static final class NearestPrecedingCoder extends CustomCoder<NearestPreceding> {
    private static final long serialVersionUID = 1L;
    private static final NearestPrecedingCoder INSTANCE = new NearestPrecedingCoder();

    public static NearestPrecedingCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(NearestPreceding n, OutputStream out) throws IOException {
      StringUtf8Coder.of().encode(n.id, out);
      DataOutputStream data = new DataOutputStream(out);
      data.writeLong(Double.doubleToLongBits(n.similarity));
      data.writeBoolean(n.duplicateOf != null);
      data.flush();
      if (n.duplicateOf != null) {
        StringUtf8Coder.of().encode(n.duplicateOf, out);
      }
    }

    @Override
    public NearestPreceding decode(InputStream in) throws IOException {
      String id = StringUtf8Coder.of().decode(in);
      DataInputStream data = new DataInputStream(in);
      double similarity = Double.longBitsToDouble(data.readLong());
      String dup = data.readBoolean() ? StringUtf8Coder.of().decode(in) : null;
      return new NearestPreceding(id, similarity, dup);
    }

    @Override
    public void verifyDeterministic() {}
  }
}
