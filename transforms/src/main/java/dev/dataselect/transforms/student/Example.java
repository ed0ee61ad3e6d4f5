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

/**
 * A training example of a student: a document id, its embedding, its {@link SignalFeatures} and the
 * teacher's value for it. Either feature block may be empty when the student does not use it.
 */
@DefaultCoder(Example.ExampleCoder.class)
public final class Example implements Serializable {
  private static final long serialVersionUID = 1L;
  private final String id;
  private static final float[] NONE = new float[0];
  private final float[] x;
  private final float[] signals;
  private final double y;

  private Example(String id, float[] x, float[] signals, double y) {
    this.id = requireNonNull(id, "id");
    this.x = requireNonNull(x, "x");
    this.signals = requireNonNull(signals, "signals");
    this.y = y;
  }

  /** An example with an embedding only; copies {@code x}. */
  public static Example of(String id, float[] x, double y) {
    return new Example(id, x.clone(), NONE, y);
  }

  /** An example with an embedding (may be empty) and signal features (may be empty); copies both. */
  public static Example of(String id, float[] x, float[] signals, double y) {
    return new Example(id, x.clone(), signals.length == 0 ? NONE : signals.clone(), y);
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

  /** The signal features themselves, not a copy: do not modify them. */
  float[] signalFeatures() {
    return signals;
  }

  public float[] signals() {
    return signals.clone();
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
    return id.equals(e.id) && Arrays.equals(x, e.x) && Arrays.equals(signals, e.signals) && Double.doubleToLongBits(y) == Double.doubleToLongBits(e.y);
  }

  @Override
  public int hashCode() {
    return id.hashCode() * 31 + Double.hashCode(y);
  }

  @Override
  public String toString() {
    return "Example{id=" + id + ", dimension=" + x.length + ", signals=" + signals.length + ", y=" + y + "}";
  }

  /** Deterministic: id, dimension, floats, signal count, floats, target, big-endian. */
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
      data.writeInt(e.signals.length);
      for (float v : e.signals) {
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
      float[] x = readFloats(data, n);
      int m = data.readInt();
      if (m < 0) {
        throw new CoderException("negative signal count " + m);
      }
      float[] signals = m == 0 ? NONE : readFloats(data, m);
      return new Example(id, x, signals, data.readDouble());
    }

    private static float[] readFloats(DataInputStream data, int n) throws IOException {
      float[] x = new float[n];
      for (int i = 0; i < n; i++) {
        x[i] = data.readFloat();
      }
      return x;
    }

    @Override
    public void verifyDeterministic() {}

    @Override
    public boolean consistentWithEquals() {
      return true;
    }
  }
}
