package io.stockhold.api.http;

import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * A W3C trace context ({@code traceparent: 00-<trace id>-<span id>-<flags>}): the caller's trace is
 * continued (its trace id and flags, a span id of this call's own) and returned on the response, or
 * one is begun; access lines carry the trace id, so a call can be followed across services.
 */
public record Traceparent(String traceId, String spanId, String flags) {

  public static final String HEADER = "traceparent";

  private static final Pattern VALID =
      Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})");

  /** This call's context: the caller's trace continued, or a new one when it sent none valid. */
  public static Traceparent of(Optional<String> header) {
    if (header.isPresent()) {
      var m = VALID.matcher(header.get().trim());
      if (m.matches() && !allZeros(m.group(1)) && !allZeros(m.group(2))) {
        return new Traceparent(m.group(1), newId(8), m.group(3));
      }
    }
    return new Traceparent(newId(16), newId(8), "00");
  }

  @Override
  public String toString() {
    return "00-" + traceId + "-" + spanId + "-" + flags;
  }

  private static boolean allZeros(String hex) {
    return hex.chars().allMatch(c -> c == '0');
  }

  /** Random ids on every call: hex digits of random longs, without a formatter. */
  private static final HexFormat HEX = HexFormat.of();

  private static String newId(int bytes) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    String hex =
        bytes == 8
            ? HEX.toHexDigits(random.nextLong())
            : HEX.toHexDigits(random.nextLong()) + HEX.toHexDigits(random.nextLong());
    return allZeros(hex) ? newId(bytes) : hex;
  }
}
