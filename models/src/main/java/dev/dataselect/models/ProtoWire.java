package dev.dataselect.models;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The protobuf wire format, read and written by hand, enough to edit an ONNX model's graph without
 * the ONNX protobuf classes (main code has none: the only ones on the classpath come from a test
 * dependency whose protobuf runtime must match Beam's). Fields are kept as byte ranges of the
 * original message, so unchanged parts (the weights) are copied through as they are.
 */
public final class ProtoWire {
  static final int VARINT = 0;
  static final int FIXED64 = 1;
  static final int LENGTH = 2;
  static final int FIXED32 = 5;

  private ProtoWire() {}

  /** One field of a message: its tag and value as ranges of {@code buf}. */
  record Field(
      byte[] buf, int number, int wireType, int start, int end, int valueStart, long varint) {
    /** The raw bytes of the whole field, tag included. */
    void copyTo(Writer out) {
      out.out.write(buf, start, end - start);
    }

    /** The fields of this length-delimited field's payload, parsed as a message. */
    List<Field> message() {
      return parse(buf, valueStart, end);
    }

    String string() {
      return new String(buf, valueStart, end - valueStart, StandardCharsets.UTF_8);
    }
  }

  /** Parses the fields of the message held in {@code buf[from, to)}. */
  static List<Field> parse(byte[] buf, int from, int to) {
    List<Field> fields = new ArrayList<>();
    int[] at = {from};
    while (at[0] < to) {
      int start = at[0];
      long tag = readVarint(buf, at);
      int number = (int) (tag >>> 3);
      int type = (int) (tag & 7);
      long value = 0;
      int valueStart = at[0];
      switch (type) {
        case VARINT -> value = readVarint(buf, at);
        case FIXED64 -> at[0] += 8;
        case FIXED32 -> at[0] += 4;
        case LENGTH -> {
          long length = readVarint(buf, at);
          if (length < 0) {
            throw new IllegalArgumentException("Negative protobuf length at byte " + start);
          }
          valueStart = at[0];
          at[0] = Math.addExact(at[0], Math.toIntExact(length));
        }
        default ->
            throw new IllegalArgumentException(
                "Unsupported protobuf wire type " + type + " at byte " + start);
      }
      if (at[0] > to) {
        throw new IllegalArgumentException("Truncated protobuf field at byte " + start);
      }
      fields.add(new Field(buf, number, type, start, at[0], valueStart, value));
    }
    return fields;
  }

  private static long readVarint(byte[] buf, int[] at) {
    long value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at[0] >= buf.length) {
        throw new IllegalArgumentException("Truncated protobuf varint");
      }
      byte b = buf[at[0]++];
      value |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return value;
      }
    }
    throw new IllegalArgumentException("Malformed protobuf varint");
  }

  /** The repeated varints of {@code number} in {@code fields}, packed or not. */
  static List<Long> varints(List<Field> fields, int number) {
    List<Long> out = new ArrayList<>();
    for (Field f : fields) {
      if (f.number() != number) {
        continue;
      }
      if (f.wireType() == VARINT) {
        out.add(f.varint());
      } else if (f.wireType() == LENGTH) {
        int[] at = {f.valueStart()};
        while (at[0] < f.end()) {
          out.add(readVarint(f.buf(), at));
        }
      }
    }
    return out;
  }

  /** The strings of field {@code number}. */
  static List<String> strings(List<Field> fields, int number) {
    List<String> out = new ArrayList<>();
    for (Field f : fields) {
      if (f.number() == number && f.wireType() == LENGTH) {
        out.add(f.string());
      }
    }
    return out;
  }

  /** The first string of field {@code number}, or "". */
  static String string(List<Field> fields, int number) {
    List<String> s = strings(fields, number);
    return s.isEmpty() ? "" : s.get(0);
  }

  /** Writes a message (also the ONNX graphs transforms builds: OnnxGraphs). */
  public static final class Writer {
    private final ByteArrayOutputStream out;

    public Writer() {
      this(256);
    }

    Writer(int capacity) {
      this.out = new ByteArrayOutputStream(capacity);
    }

    public Writer varint(int field, long value) {
      tag(field, VARINT);
      raw(value);
      return this;
    }

    public Writer bytes(int field, byte[] value) {
      tag(field, LENGTH);
      raw(value.length);
      out.write(value, 0, value.length);
      return this;
    }

    public Writer string(int field, String value) {
      return bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    public Writer message(int field, Writer value) {
      return bytes(field, value.bytes());
    }

    public Writer fixed32(int field, int value) {
      tag(field, FIXED32);
      for (int i = 0; i < 4; i++) {
        out.write(value >>> (8 * i));
      }
      return this;
    }

    Writer copy(Field f) {
      f.copyTo(this);
      return this;
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
