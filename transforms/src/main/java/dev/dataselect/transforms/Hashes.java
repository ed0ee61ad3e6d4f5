package dev.dataselect.transforms;

import com.google.common.hash.HashFunction;
import com.google.common.hash.Hashing;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Locale;

/**
 * The hashes every sampling decision is made from. They depend only on their arguments, so the
 * same documents and seed give the same decisions on every runner, worker and retry.
 */
public final class Hashes {
  private static final long SECOND_KEY = 0x6a09e667f3bcc908L;
  private static final HashFunction CONTENT = Hashing.murmur3_128(0x0D5E1EC7);

  private Hashes() {}

  /**
   * A uniform number in [0, 1) from (id, seed): SipHash-2-4 keyed by the seed, top 53 bits. Keep a
   * document at rate r iff {@code unit(id, seed) < r}.
   */
  public static double unit(String id, long seed) {
    long h = Hashing.sipHash24(seed, SECOND_KEY).hashString(id, StandardCharsets.UTF_8).asLong();
    return (h >>> 11) * 0x1.0p-53;
  }

  /**
   * The one sampling rule every sampler applies: keep the document with probability {@code p},
   * decided by {@code unit(id, seed) < p}, so the decision is a function of (id, seed, p) alone.
   */
  public static boolean keep(String id, long seed, double p) {
    return unit(id, seed) < p;
  }

  /**
   * A stable id for a record that has none: 128 bits of MurmurHash3 over the file's name (not its
   * folder, so moving a corpus keeps its ids), the record's index in the file and its text.
   */
  public static String derivedId(String fileName, long index, String text) {
    return CONTENT
        .newHasher()
        .putString(fileName, StandardCharsets.UTF_8)
        .putLong(index)
        .putString(text, StandardCharsets.UTF_8)
        .hash()
        .toString();
  }

  /**
   * The key exact-duplicate removal groups by: 128-bit hash of the text after NFKC normalisation,
   * lower-casing and collapsing whitespace.
   */
  public static String normalizedTextHash(String text) {
    String normalized =
        Normalizer.normalize(text, Normalizer.Form.NFKC)
            .toLowerCase(Locale.ROOT)
            .replaceAll("\\s+", " ")
            .strip();
    return CONTENT.hashString(normalized, StandardCharsets.UTF_8).toString();
  }
}
