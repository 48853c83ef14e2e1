package io.stockhold.access;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Per key and per node: a bucket of {@code requestsPerSecond} tokens that starts full and refills
 * continuously. Each request takes one; a request that finds none is turned away and takes none.
 */
final class RateLimits {

  private static final class Bucket {
    private double tokens;
    private long refilledAt;

    Bucket(int capacity, long now) {
      this.tokens = capacity;
      this.refilledAt = now;
    }

    /** 0 when a token was taken, otherwise the nanoseconds until the next one. */
    synchronized long take(int perSecond, long now) {
      tokens = Math.min(perSecond, tokens + (now - refilledAt) * perSecond / 1e9);
      refilledAt = now;
      if (tokens >= 1) {
        tokens -= 1;
        return 0;
      }
      return (long) Math.ceil((1 - tokens) * 1e9 / perSecond);
    }
  }

  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

  /** 0 when the key may go on, otherwise the whole seconds to wait (at least 1). */
  long secondsToWait(ApiKey key, long nanoTime) {
    if (key.requestsPerSecond().isEmpty()) return 0;
    int perSecond = key.requestsPerSecond().getAsInt();
    long wait =
        buckets
            .computeIfAbsent(key.keyId(), id -> new Bucket(perSecond, nanoTime))
            .take(perSecond, nanoTime);
    return wait == 0 ? 0 : Math.max(1, TimeUnit.NANOSECONDS.toSeconds(wait + 999_999_999));
  }
}
