package dev.dataselect.transforms;

import static java.util.Objects.requireNonNull;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.CoderProvider;
import org.apache.beam.sdk.coders.CoderProviders;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.values.TypeDescriptor;

/**
 * A document's score from one scorer: its id and a {@code double}. What the number means (ASK-LLM
 * P("yes") and its softmax mode, or perplexity's mean token NLL) is recorded by the scoring
 * transform, in its display data and {@code metadata()}, and in the files {@link WriteScores}
 * writes. Equality follows {@link Double#equals} (bitwise, one NaN), as the coder encodes.
 */
@DefaultCoder(DocumentScore.DocumentScoreCoder.class)
public final class DocumentScore implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String id;
  private final double score;

  private DocumentScore(String id, double score) {
    this.id = requireNonNull(id, "id");
    this.score = score;
  }

  public static DocumentScore of(String id, double score) {
    return new DocumentScore(id, score);
  }

  public String id() {
    return id;
  }

  public double score() {
    return score;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof DocumentScore)) {
      return false;
    }
    DocumentScore s = (DocumentScore) o;
    return id.equals(s.id) && Double.doubleToLongBits(score) == Double.doubleToLongBits(s.score);
  }

  @Override
  public int hashCode() {
    return id.hashCode() * 31 + Double.hashCode(score);
  }

  @Override
  public String toString() {
    return "DocumentScore{id=" + id + ", score=" + score + "}";
  }

  /**
   * A deterministic coder: the id (UTF-8), then the score's {@link Double#doubleToLongBits} bits
   * big-endian. Beam's {@code DoubleCoder} declares itself non-deterministic because {@code 0.0}
   * and {@code -0.0} compare equal as numbers; here equality is bitwise too, so the encoding is
   * deterministic and consistent with {@code equals}.
   */
  public static final class DocumentScoreCoder extends AtomicCoder<DocumentScore> {
    private static final DocumentScoreCoder INSTANCE = new DocumentScoreCoder();
    private static final StringUtf8Coder STRING = StringUtf8Coder.of();

    public static DocumentScoreCoder of() {
      return INSTANCE;
    }

    /** Makes {@code @DefaultCoder} resolve to this coder (Beam looks this method up). */
    public static CoderProvider getCoderProvider() {
      return CoderProviders.forCoder(TypeDescriptor.of(DocumentScore.class), INSTANCE);
    }

    @Override
    public void encode(DocumentScore s, OutputStream out) throws IOException {
      if (s == null) {
        throw new CoderException("cannot encode a null DocumentScore");
      }
      STRING.encode(s.id, out);
      DataOutputStream data = new DataOutputStream(out);
      data.writeDouble(s.score);
      data.flush();
    }

    @Override
    public DocumentScore decode(InputStream in) throws IOException {
      String id = STRING.decode(in);
      return new DocumentScore(id, new DataInputStream(in).readDouble());
    }

    @Override
    public void verifyDeterministic() {}

    @Override
    public boolean consistentWithEquals() {
      return true;
    }

    @Override
    protected long getEncodedElementByteSize(DocumentScore s) throws Exception {
      return STRING.getEncodedElementByteSize(s.id) + 8L;
    }
  }
}
