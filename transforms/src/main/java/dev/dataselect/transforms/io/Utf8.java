package dev.dataselect.transforms.io;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Strict and lenient UTF-8 decoding. */
final class Utf8 {
  private Utf8() {}

  /** Decodes, failing on any malformed or unmappable sequence. */
  static String strict(byte[] bytes) throws CharacterCodingException {
    return StandardCharsets.UTF_8
        .newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(ByteBuffer.wrap(bytes))
        .toString();
  }

  /** Decodes for display in a dead letter: bad bytes become U+FFFD; cut to the payload limit. */
  static String lenient(byte[] bytes) {
    int n = Math.min(bytes.length, 4 * dev.dataselect.transforms.DeadLetter.MAX_PAYLOAD_CHARS);
    return new String(bytes, 0, n, StandardCharsets.UTF_8);
  }
}
