package dev.dataselect.transforms.onnx;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * ONNX models written as protobuf bytes by hand (a few dozen lines of the wire format), so that main
 * code needs no ONNX protobuf classes: the only ones on the classpath come from a test dependency,
 * and their protobuf runtime must match Beam's. Used by the graphs the library builds at run time
 * (the KDE kernel step, the k-means assignment).
 */
public final class OnnxGraphs {
  public static final int FLOAT = 1;
  public static final int INT64 = 7;
  private static final int ATTR_FLOAT = 1;
  private static final int ATTR_INT = 2;
  private static final int ATTR_INTS = 7;

  private OnnxGraphs() {}

  /** An attribute holding a list of integers (e.g. a reduction's axes before opset 18). */
  public static Proto attrInts(String name, long... values) {
    Proto a = new Proto();
    a.string(1, name);
    for (long v : values) {
      a.varint(8, v);
    }
    a.varint(20, ATTR_INTS);
    return a;
  }

  /** A model of {@code graph} at IR version 8 and the default opset {@code opset}. */
  public static byte[] model(Proto graph, int opset) {
    Proto set = new Proto();
    set.string(1, "");
    set.varint(2, opset);
    Proto model = new Proto();
    model.varint(1, 8); // IR version 8
    model.string(2, "dataselect");
    model.message(7, graph);
    model.message(8, set);
    return model.bytes();
  }

  public static byte[] floatBytes(float f) {
    return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(f).array();
  }

  public static Proto node(String op, String output, String[] inputs, Proto... attributes) {
    Proto n = new Proto();
    for (String i : inputs) {
      n.string(1, i);
    }
    n.string(2, output);
    n.string(3, output + "_node");
    n.string(4, op);
    for (Proto a : attributes) {
      n.message(5, a);
    }
    return n;
  }

  public static Proto attrFloat(String name, float value) {
    Proto a = new Proto();
    a.string(1, name);
    a.fixed32(2, Float.floatToRawIntBits(value));
    a.varint(20, ATTR_FLOAT);
    return a;
  }

  public static Proto attrInt(String name, long value) {
    Proto a = new Proto();
    a.string(1, name);
    a.varint(3, value);
    a.varint(20, ATTR_INT);
    return a;
  }

  public static Proto tensor(String name, int type, long[] dims, byte[] raw) {
    Proto t = new Proto();
    for (long dim : dims) {
      t.varint(1, dim);
    }
    t.varint(2, type);
    t.string(8, name);
    t.bytes(9, raw);
    return t;
  }

  /** A value of {@code type} with dimensions that are Integers (fixed) or Strings (symbolic). */
  public static Proto valueInfo(String name, int type, Object... dims) {
    Proto shape = new Proto();
    for (Object dim : dims) {
      Proto d = new Proto();
      if (dim instanceof Integer) {
        d.varint(1, (Integer) dim);
      } else {
        d.string(2, (String) dim);
      }
      shape.message(1, d);
    }
    Proto tensorType = new Proto();
    tensorType.varint(1, type);
    tensorType.message(2, shape);
    Proto typeProto = new Proto();
    typeProto.message(1, tensorType);
    Proto v = new Proto();
    v.string(1, name);
    v.message(2, typeProto);
    return v;
  }

  /** The protobuf wire format, the four field kinds the ONNX model needs. */
  public static final class Proto {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    public void varint(int field, long value) {
      tag(field, 0);
      raw(value);
    }

    public void fixed32(int field, int value) {
      tag(field, 5);
      for (int i = 0; i < 4; i++) {
        out.write(value >>> (8 * i));
      }
    }

    public void bytes(int field, byte[] value) {
      tag(field, 2);
      raw(value.length);
      out.write(value, 0, value.length);
    }

    public void string(int field, String value) {
      bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    public void message(int field, Proto value) {
      bytes(field, value.bytes());
    }

    public byte[] bytes() {
      return out.toByteArray();
    }

    private void tag(int field, int wireType) {
      raw(((long) field << 3) | wireType);
    }

    private void raw(long value) {
      while ((value & ~0x7FL) != 0) {
        out.write((int) ((value & 0x7F) | 0x80));
        value >>>= 7;
      }
      out.write((int) value);
    }
  }
}
