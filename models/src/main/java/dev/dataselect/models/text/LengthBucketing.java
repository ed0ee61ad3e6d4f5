package dev.dataselect.models.text;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;

/**
 * Length bucketing: run inputs in order of token length, in chunks, so each padded batch holds
 * similar lengths, then put the results back in the inputs' order.
 */
public final class LengthBucketing {
  private LengthBucketing() {}

  /** Indices of {@code lengths} sorted by length, ascending; ties keep their input order. */
  public static int[] sortedOrder(int[] lengths) {
    Integer[] order = new Integer[lengths.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingInt(i -> lengths[i]));
    return Arrays.stream(order).mapToInt(Integer::intValue).toArray();
  }

  /**
   * Calls {@code batch} on chunks of at most {@code maxBatchSize} input indices, taken in order of
   * length, and returns its results in the original input order.
   *
   * @param batch receives the input indices of one chunk and returns one result per index, in the
   *     same order
   */
  public static <R> List<R> mapInLengthOrder(
      int[] lengths, int maxBatchSize, Function<int[], List<R>> batch) {
    if (maxBatchSize < 1) {
      throw new IllegalArgumentException("maxBatchSize must be >= 1, got: " + maxBatchSize);
    }
    int[] order = sortedOrder(lengths);
    List<R> results = new ArrayList<>(lengths.length);
    for (int i = 0; i < lengths.length; i++) {
      results.add(null);
    }
    for (int start = 0; start < order.length; start += maxBatchSize) {
      int[] chunk = Arrays.copyOfRange(order, start, Math.min(order.length, start + maxBatchSize));
      List<R> out = batch.apply(chunk);
      if (out.size() != chunk.length) {
        throw new IllegalStateException(
            "batch returned " + out.size() + " results for " + chunk.length + " inputs");
      }
      for (int j = 0; j < chunk.length; j++) {
        results.set(chunk[j], out.get(j));
      }
    }
    return results;
  }
}
