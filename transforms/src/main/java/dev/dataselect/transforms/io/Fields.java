package dev.dataselect.transforms.io;

import javax.annotation.Nullable;

/**
 * The named values of one structured record, as plain Java values: {@link CharSequence} for
 * strings, {@code byte[]} for raw bytes (decoded as strict UTF-8 when used as text), {@link Number},
 * {@link Boolean}, or anything else (which is then the wrong type for a text field). Absent → null.
 */
@FunctionalInterface
interface Fields {
  @Nullable
  Object get(String name);

  /**
   * The record without the value of {@code textField}, as an {@link OriginalRecord} encoding, for
   * writing the record back in its own format; null where the format cannot be written back.
   * Called only for records that become documents, and only when the read keeps originals.
   */
  @Nullable
  default byte[] withoutText(String textField) {
    return null;
  }

  /** Named fields (WET, WARC): written back as a JSON object of them all. */
  static Fields of(java.util.Map<String, Object> fields) {
    return new Fields() {
      @Override
      public Object get(String name) {
        return fields.get(name);
      }

      @Override
      public byte[] withoutText(String textField) {
        return OriginalRecord.jsonFields(fields, textField);
      }
    };
  }
}
