package dev.dataselect.transforms.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.annotation.Nullable;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;

/**
 * A record as read, without its text, so that {@link WriteAsRead} can write it back in its input
 * format with every field it had while the text travels once, in the {@link
 * dev.dataselect.transforms.Document}. The encoding is {@code kind (1 byte) · layout (8 bytes) ·
 * body}:
 *
 * <ul>
 *   <li>{@link Kind#JSON}: a JSON object's text with its text field's string literal cut out, and
 *       the character offset where it goes back (JSON Lines: the line as it was, so every other field
 *       keeps its spelling and order; WET/WARC: the record's fields as a JSON object);
 *   <li>{@link Kind#CSV} / {@link Kind#TSV}: the row's values, the text column's emptied, and its index;
 *   <li>{@link Kind#PARQUET}: the row in Avro binary under the file's schema, its text field emptied;
 *   <li>{@link Kind#TEXT}: nothing (a line is its text);
 *   <li>{@link Kind#ARROW}: nothing: the row is copied from its input file when written (its
 *       source's index is its row number there), so not even its other columns travel.
 * </ul>
 *
 * <p>The layout is a fingerprint of what records must share to go into one file: the CSV header
 * (its names), the Parquet schema (Avro's parsing fingerprint), the Arrow schema (its JSON); 0 for
 * JSON and text.
 */
public final class OriginalRecord {
  private static final JsonFactory JSON = new JsonFactory();
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** What a record was read from, hence how it is written back. */
  public enum Kind {
    JSON(".jsonl"),
    CSV(".csv"),
    TSV(".tsv"),
    PARQUET(".parquet"),
    TEXT(".txt"),
    ARROW(".arrow");

    private final String extension;

    Kind(String extension) {
      this.extension = extension;
    }

    /** The file extension written for this kind (before any compression suffix). */
    public String extension() {
      return extension;
    }
  }

  private OriginalRecord() {}

  /** The kind an encoded record was read as. */
  public static Kind kind(byte[] original) {
    return Kind.values()[original[0]];
  }

  /** The layout fingerprint of an encoded record. */
  public static long layout(byte[] original) {
    return ByteBuffer.wrap(original, 1, 8).getLong();
  }

  private static DataOutputStream header(ByteArrayOutputStream bytes, Kind kind, long layout) throws IOException {
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeByte(kind.ordinal());
    out.writeLong(layout);
    return out;
  }

  private static DataInputStream body(byte[] original) {
    return new DataInputStream(new java.io.ByteArrayInputStream(original, 9, original.length - 9));
  }

  // ---- JSON ----

  /**
   * A JSON Lines record without its text: the line with the string value of the top-level field
   * {@code textField} cut out (the last such field, as a tree read keeps the last of duplicate
   * keys); null when that field holds no string.
   */
  @Nullable
  static byte[] jsonLine(String line, String textField) {
    int start = -1;
    int end = -1;
    try (JsonParser p = JSON.createParser(line)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        if (value == JsonToken.VALUE_STRING && name.equals(textField)) {
          start = (int) p.currentTokenLocation().getCharOffset();
          p.getText(); // consumes the literal up to its closing quote
          end = (int) p.currentLocation().getCharOffset();
        } else {
          p.skipChildren();
        }
      }
    } catch (IOException e) {
      return null; // the line was parsed once already; a second parse cannot fail on it
    }
    if (start < 0) {
      return null;
    }
    return json(line.substring(0, start) + line.substring(end), start);
  }

  /**
   * Named fields (WET and WARC records) as a JSON object whose first field is the text: written
   * back as a JSON line with the text, the URL and the headers. {@code byte[]} values are read as
   * UTF-8; the text field is left out here.
   */
  static byte[] jsonFields(Map<String, Object> fields, String textField) {
    ObjectNode rest = MAPPER.createObjectNode();
    for (Map.Entry<String, Object> e : fields.entrySet()) {
      if (e.getKey().equals(textField)) {
        continue;
      }
      Object v = e.getValue();
      rest.set(e.getKey(), MAPPER.valueToTree(v instanceof byte[] ? Utf8.lenient((byte[]) v) : v));
    }
    String head = "{" + quote(textField) + ":";
    String tail = rest.isEmpty() ? "}" : "," + rest.toString().substring(1);
    return json(head + tail, head.length());
  }

  private static byte[] json(String withoutText, int offset) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(withoutText.length() + 16);
      DataOutputStream out = header(bytes, Kind.JSON, 0);
      out.writeInt(offset);
      out.write(withoutText.getBytes(StandardCharsets.UTF_8));
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The JSON line of a {@link Kind#JSON} record with {@code text} back in its place. */
  public static String jsonLineWith(byte[] original, String text) {
    try (DataInputStream in = body(original)) {
      int offset = in.readInt();
      String rest = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return rest.substring(0, offset) + quote(text) + rest.substring(offset);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String quote(String s) {
    return "\"" + new String(JsonStringEncoder.getInstance().quoteAsString(s)) + "\"";
  }

  // ---- CSV / TSV ----

  /** A CSV or TSV row without its text: the values, with the text column's emptied, and its index. */
  static byte[] csvRow(boolean tsv, List<String> header, List<String> values, int textColumn) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = header(bytes, tsv ? Kind.TSV : Kind.CSV, headerLayout(header));
      out.writeInt(textColumn);
      out.writeInt(values.size());
      for (int i = 0; i < values.size(); i++) {
        writeString(out, i == textColumn ? "" : values.get(i));
      }
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The values of a {@link Kind#CSV} or {@link Kind#TSV} row with {@code text} back in its column. */
  public static List<String> csvRowWith(byte[] original, String text) {
    try (DataInputStream in = body(original)) {
      int textColumn = in.readInt();
      int n = in.readInt();
      List<String> values = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        String v = readString(in);
        values.add(i == textColumn ? text : v);
      }
      return values;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The layout of CSV rows under a header: a 64-bit fingerprint of its names in order. */
  static long headerLayout(List<String> header) {
    com.google.common.hash.Hasher h = com.google.common.hash.Hashing.farmHashFingerprint64().newHasher().putInt(header.size());
    for (String name : header) {
      h.putInt(name.length()).putString(name, StandardCharsets.UTF_8);
    }
    return h.hash().asLong();
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static String readString(DataInputStream in) throws IOException {
    byte[] b = new byte[in.readInt()];
    in.readFully(b);
    return new String(b, StandardCharsets.UTF_8);
  }

  // ---- Parquet ----

  /** A Parquet row without its text: Avro binary under its schema, the text field emptied. */
  static byte[] parquetRow(GenericRecord row, String textField) {
    Schema schema = row.getSchema();
    Schema.Field field = schema.getField(textField);
    GenericData.Record copy = new GenericData.Record((GenericData.Record) row, false);
    Object v = row.get(field.pos());
    copy.put(field.pos(), v instanceof ByteBuffer ? ByteBuffer.allocate(0) : "");
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = header(bytes, Kind.PARQUET, SchemaNormalization.parsingFingerprint64(schema));
      writeString(out, textField);
      out.flush();
      BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(bytes, null);
      new GenericDatumWriter<GenericRecord>(schema).write(copy, encoder);
      encoder.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The Parquet row of a {@link Kind#PARQUET} record, decoded under {@code schema}, with {@code text} back. */
  public static GenericRecord parquetRowWith(byte[] original, Schema schema, String text) {
    if (layout(original) != SchemaNormalization.parsingFingerprint64(schema)) {
      throw new IllegalStateException("a row was read under another schema than its input file's footer gives now: "
          + "was the input rewritten while the job ran?");
    }
    try (DataInputStream in = body(original)) {
      String textField = readString(in);
      byte[] avro = in.readAllBytes();
      GenericRecord row = new GenericDatumReader<GenericRecord>(schema)
          .read(null, DecoderFactory.get().binaryDecoder(avro, null));
      Schema.Field field = schema.getField(textField);
      Object empty = row.get(field.pos());
      row.put(field.pos(), empty instanceof ByteBuffer ? ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)) : text);
      return row;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---- text ----

  /** A text line: nothing besides its text. */
  static byte[] textLine() {
    return headerOnly(Kind.TEXT, 0);
  }

  /** An Arrow row: copied from its file at write time; the layout is its schema's. */
  static byte[] arrowRow(long schemaLayout) {
    return headerOnly(Kind.ARROW, schemaLayout);
  }

  /** The layout of Arrow rows under a schema: a 64-bit fingerprint of its JSON form. */
  static long arrowLayout(org.apache.arrow.vector.types.pojo.Schema schema) {
    return com.google.common.hash.Hashing.farmHashFingerprint64().hashString(schema.toJson(), StandardCharsets.UTF_8).asLong();
  }

  private static byte[] headerOnly(Kind kind, long layout) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(9);
      header(bytes, kind, layout).flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
