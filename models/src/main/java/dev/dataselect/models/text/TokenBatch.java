package dev.dataselect.models.text;

import dev.dataselect.models.PaddingSide;
import java.util.List;

/**
 * Token sequences padded to the longest sequence of this batch (never to a global maximum), as
 * row-major {@code [rows, width]} arrays ready for ONNX Runtime.
 */
public final class TokenBatch {
  private final int rows;
  private final int width;
  private final long[] ids;
  private final long[] mask;
  private final int[] lengths;
  private final int[] offsets;

  private TokenBatch(int rows, int width, long[] ids, long[] mask, int[] lengths, int[] offsets) {
    this.rows = rows;
    this.width = width;
    this.ids = ids;
    this.mask = mask;
    this.lengths = lengths;
    this.offsets = offsets;
  }

  /** Pads {@code sequences} with {@code padId} on {@code side}; width is at least 1. */
  public static TokenBatch pad(List<long[]> sequences, long padId, PaddingSide side) {
    if (sequences.isEmpty()) {
      throw new IllegalArgumentException("sequences must be non-empty");
    }
    int rows = sequences.size();
    int width = 1;
    for (long[] s : sequences) {
      width = Math.max(width, s.length);
    }
    long[] ids = new long[rows * width];
    long[] mask = new long[rows * width];
    int[] lengths = new int[rows];
    int[] offsets = new int[rows];
    java.util.Arrays.fill(ids, padId);
    for (int r = 0; r < rows; r++) {
      long[] s = sequences.get(r);
      int offset = side == PaddingSide.LEFT ? width - s.length : 0;
      System.arraycopy(s, 0, ids, r * width + offset, s.length);
      java.util.Arrays.fill(mask, r * width + offset, r * width + offset + s.length, 1L);
      lengths[r] = s.length;
      offsets[r] = offset;
    }
    return new TokenBatch(rows, width, ids, mask, lengths, offsets);
  }

  public int rows() {
    return rows;
  }

  /** The longest sequence in the batch (at least 1). */
  public int width() {
    return width;
  }

  /** {@code {rows, width}}. */
  public long[] shape() {
    return new long[] {rows, width};
  }

  /** Real (non-pad) tokens in row {@code r}. */
  public int length(int r) {
    return lengths[r];
  }

  /** Column of the first real token of row {@code r}. */
  public int offset(int r) {
    return offsets[r];
  }

  /** Column of the last real token of row {@code r}, or -1 for an empty row. */
  public int lastIndex(int r) {
    return lengths[r] == 0 ? -1 : offsets[r] + lengths[r] - 1;
  }

  /** Token id at ({@code r}, {@code c}). */
  public long id(int r, int c) {
    return ids[r * width + c];
  }

  /** Padded ids, row-major (shared array: do not modify). */
  public long[] ids() {
    return ids;
  }

  /** 1 for real tokens, 0 for pads, row-major (shared array: do not modify). */
  public long[] attentionMask() {
    return mask;
  }

  /** All zeros (for {@code token_type_ids}). */
  public long[] zeros() {
    return new long[rows * width];
  }

  /**
   * Position ids as Hugging Face computes them from the mask: 0, 1, ... over the real tokens
   * wherever they start, and 1 at pads.
   */
  public long[] positionIds() {
    long[] positions = new long[rows * width];
    java.util.Arrays.fill(positions, 1L);
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < lengths[r]; i++) {
        positions[r * width + offsets[r] + i] = i;
      }
    }
    return positions;
  }

  /** Total real tokens in the batch. */
  public long realTokens() {
    long n = 0;
    for (int l : lengths) {
      n += l;
    }
    return n;
  }
}
