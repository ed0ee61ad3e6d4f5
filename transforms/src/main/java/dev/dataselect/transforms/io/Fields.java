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
}
