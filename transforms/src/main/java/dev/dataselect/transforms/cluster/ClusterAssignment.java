package dev.dataselect.transforms.cluster;

import static java.util.Objects.requireNonNull;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;

/** A document's cluster from {@link KMeans} and its cosine similarity to the cluster's centroid. */
@DefaultCoder(ClusterAssignment.ClusterAssignmentCoder.class)
public final class ClusterAssignment implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String id;
  private final int cluster;
  private final float similarity;

  private ClusterAssignment(String id, int cluster, float similarity) {
    this.id = requireNonNull(id, "id");
    this.cluster = cluster;
    this.similarity = similarity;
  }

  public static ClusterAssignment of(String id, int cluster, float similarity) {
    return new ClusterAssignment(id, cluster, similarity);
  }

  public String id() {
    return id;
  }

  public int cluster() {
    return cluster;
  }

  /** Cosine similarity to the centroid, in [-1, 1]. */
  public float similarity() {
    return similarity;
  }

  /** Cosine distance to the centroid, {@code 1 - similarity}: what SSL prototypes rank by. */
  public double distance() {
    return 1.0 - similarity;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ClusterAssignment)) {
      return false;
    }
    ClusterAssignment a = (ClusterAssignment) o;
    return id.equals(a.id) && cluster == a.cluster && Float.floatToIntBits(similarity) == Float.floatToIntBits(a.similarity);
  }

  @Override
  public int hashCode() {
    return id.hashCode() * 31 + cluster;
  }

  @Override
  public String toString() {
    return "ClusterAssignment{id=" + id + ", cluster=" + cluster + ", similarity=" + similarity + "}";
  }

  /** The id, the cluster, the similarity's float bits: deterministic. */
  public static final class ClusterAssignmentCoder extends CustomCoder<ClusterAssignment> {
    private static final long serialVersionUID = 1L;
    private static final ClusterAssignmentCoder INSTANCE = new ClusterAssignmentCoder();

    public static ClusterAssignmentCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(ClusterAssignment a, OutputStream out) throws IOException {
      StringUtf8Coder.of().encode(a.id, out);
      DataOutputStream data = new DataOutputStream(out);
      data.writeInt(a.cluster);
      data.writeInt(Float.floatToIntBits(a.similarity));
      data.flush();
    }

    @Override
    public ClusterAssignment decode(InputStream in) throws IOException {
      String id = StringUtf8Coder.of().decode(in);
      DataInputStream data = new DataInputStream(in);
      return new ClusterAssignment(id, data.readInt(), Float.intBitsToFloat(data.readInt()));
    }

    @Override
    public void verifyDeterministic() {}
  }
}
