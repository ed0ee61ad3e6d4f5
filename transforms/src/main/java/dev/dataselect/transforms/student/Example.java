package dev.dataselect.transforms.student;

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
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.values.TypeDescriptor;

/** A training example of a student: a document id, its embedding and the teacher's value for it. */
@DefaultCoder(Example.ExampleCoder.class)
public final class Example implements Serializable {
  private static final long serialVersionUID = 1L;
  private final String id;
  private final float[] x;
  private final double y;

  private Example(String id, float[] x, double y) {
    this.id = requireNonNull(id, "id");
    this.x = requireNonNull(x, "x");
    this.y = y;
  }

  /** Copies {@code x}. */
  public static Example of(String id, float[] x, double y) {
    return new Example(id, x.clone(), y);
  }

  public String id() {
    return id;
  }

  /** The embedding itself, not a copy: do not modify it. */
  float[] features() {
    return x;
  }

  public float[] vector() {
    return x.clone();
  }

  public double target() {
    return y;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Example)) {
      return false;
    }
    Example e = (Example) o;
    return id.equals(e.id) && Arrays.equals(x, e.x) && Double.doubleToLongBits(y) == Double.doubleToLongBits(e.y);
  }

  @Override
  public int hashCode() {
    return id.hashCode() * 31 + Double.hashCode(y);
  }

  @Override
  public String toString() {
    return "Example{id=" + id + ", dimension=" + x.length + ", y=" + y + "}";
  }

  /** Deterministic: id, dimension, floats, target, big-endian. */
  public static final class ExampleCoder extends AtomicCoder<Example> {
    private static final ExampleCoder INSTANCE = new ExampleCoder();

    public static ExampleCoder of() {
      return INSTANCE;
    }

    public static CoderProvider getCoderProvider() {
      return CoderProviders.forCoder(TypeDescriptor.of(Example.class), INSTANCE);
    }

    @Override
    public void encode(Example e, OutputStream out) throws IOException {
      if (e == null) {
        throw new CoderException("cannot encode a null Example");
      }
      StringUtf8Coder.of().encode(e.id, out);
      VarIntCoder.of().encode(e.x.length, out);
      DataOutputStream data = new DataOutputStream(out);
      for (float v : e.x) {
        data.writeFloat(v);
      }
      data.writeDouble(e.y);
      data.flush();
    }

    @Override
    public Example decode(InputStream in) throws IOException {
      String id = StringUtf8Coder.of().decode(in);
      int n = VarIntCoder.of().decode(in);
      if (n < 0) {
        throw new CoderException("negative dimension " + n);
      }
      DataInputStream data = new DataInputStream(in);
      float[] x = new float[n];
      for (int i = 0; i < n; i++) {
        x[i] = data.readFloat();
      }
      return new Example(id, x, data.readDouble());
    }

    @Override
    public void verifyDeterministic() {}

    @Override
    public boolean consistentWithEquals() {
      return true;
    }
  }
}
