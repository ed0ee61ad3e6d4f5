package dev.dataselect.transforms.onnx;

import dev.dataselect.models.ProtoWire;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

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
  public static ProtoWire.Writer attrInts(String name, long... values) {
    ProtoWire.Writer a = new ProtoWire.Writer();
    a.string(1, name);
    for (long v : values) {
      a.varint(8, v);
    }
    a.varint(20, ATTR_INTS);
    return a;
  }

  /** A model of {@code graph} at IR version 8 and the default opset {@code opset}. */
  public static byte[] model(ProtoWire.Writer graph, int opset) {
    ProtoWire.Writer set = new ProtoWire.Writer();
    set.string(1, "");
    set.varint(2, opset);
    ProtoWire.Writer model = new ProtoWire.Writer();
    model.varint(1, 8); // IR version 8
    model.string(2, "dataselect");
    model.message(7, graph);
    model.message(8, set);
    return model.bytes();
  }

  public static byte[] floatBytes(float f) {
    return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(f).array();
  }

  public static ProtoWire.Writer node(String op, String output, String[] inputs, ProtoWire.Writer... attributes) {
    ProtoWire.Writer n = new ProtoWire.Writer();
    for (String i : inputs) {
      n.string(1, i);
    }
    n.string(2, output);
    n.string(3, output + "_node");
    n.string(4, op);
    for (ProtoWire.Writer a : attributes) {
      n.message(5, a);
    }
    return n;
  }

  public static ProtoWire.Writer attrFloat(String name, float value) {
    ProtoWire.Writer a = new ProtoWire.Writer();
    a.string(1, name);
    a.fixed32(2, Float.floatToRawIntBits(value));
    a.varint(20, ATTR_FLOAT);
    return a;
  }

  public static ProtoWire.Writer attrInt(String name, long value) {
    ProtoWire.Writer a = new ProtoWire.Writer();
    a.string(1, name);
    a.varint(3, value);
    a.varint(20, ATTR_INT);
    return a;
  }

  public static ProtoWire.Writer tensor(String name, int type, long[] dims, byte[] raw) {
    ProtoWire.Writer t = new ProtoWire.Writer();
    for (long dim : dims) {
      t.varint(1, dim);
    }
    t.varint(2, type);
    t.string(8, name);
    t.bytes(9, raw);
    return t;
  }

  /** A value of {@code type} with dimensions that are Integers (fixed) or Strings (symbolic). */
  public static ProtoWire.Writer valueInfo(String name, int type, Object... dims) {
    ProtoWire.Writer shape = new ProtoWire.Writer();
    for (Object dim : dims) {
      ProtoWire.Writer d = new ProtoWire.Writer();
      if (dim instanceof Integer) {
        d.varint(1, (Integer) dim);
      } else {
        d.string(2, (String) dim);
      }
      shape.message(1, d);
    }
    ProtoWire.Writer tensorType = new ProtoWire.Writer();
    tensorType.varint(1, type);
    tensorType.message(2, shape);
    ProtoWire.Writer typeProto = new ProtoWire.Writer();
    typeProto.message(1, tensorType);
    ProtoWire.Writer v = new ProtoWire.Writer();
    v.string(1, name);
    v.message(2, typeProto);
    return v;
  }
}
