package io.stockhold.access;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.Collection;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The one place that decides who a caller is and whether it may do what it asks, for every
 * transport: REST, gRPC and gRPC-Web present the same {@code Bearer} key and get the same verdict,
 * which each maps to its own answer (401, 403, 429 or their gRPC codes). Nothing here knows a
 * transport. A refused caller never reaches a stock item.
 */
public final class Access {

  /** Who the caller is, or why it is not served. */
  public sealed interface Verdict {}

  public record Allowed(Principal principal) implements Verdict {}

  /** No key, a key that is not one, or a revoked or expired one. */
  public record Unauthenticated(String detail) implements Verdict {}

  /** Over the key's rate: try again after this many seconds. */
  public record RateLimited(String keyId, long retryAfterSeconds) implements Verdict {}

  private static final String BEARER = "Bearer ";

  private final boolean enabled;
  private final byte[] masterKeyHash;
  private final KeyRing keys;
  private final Clock clock;
  private final RateLimits rateLimits = new RateLimits();

  private Access(boolean enabled, String masterKey, KeyRing keys, Clock clock) {
    this.enabled = enabled;
    this.masterKeyHash = masterKey == null ? null : hash(masterKey);
    this.keys = keys;
    this.clock = clock;
  }

  /** Checking on: the master key and the ring's keys are the only principals. */
  public static Access checking(String masterKey, KeyRing keys, Clock clock) {
    return new Access(true, masterKey, keys, clock);
  }

  /**
   * Checking off: every caller is {@link Principal#ANONYMOUS}, allowed everything. The keys can
   * still be managed, for when checking is turned on.
   */
  public static Access off(KeyRing keys) {
    return new Access(false, null, keys, Clock.systemUTC());
  }

  public boolean enabled() {
    return enabled;
  }

  /** The keys, to create, list and revoke. */
  public KeyRing keys() {
    return keys;
  }

  /**
   * The caller behind an {@code Authorization} header value ({@code Bearer <key>}), after its key's
   * rate limit. The master key has no rate limit.
   */
  public Verdict authenticate(Optional<String> authorization) {
    if (!enabled) return new Allowed(Principal.ANONYMOUS);
    if (authorization.isEmpty()) {
      return new Unauthenticated("an API key is required: Authorization: Bearer <key>");
    }
    String value = authorization.get();
    if (!value.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return new Unauthenticated("the Authorization header must be Bearer <key>");
    }
    String presented = value.substring(BEARER.length()).trim();
    // One hash of what was presented serves both comparisons.
    byte[] presentedHash = hash(presented);
    if (MessageDigest.isEqual(masterKeyHash, presentedHash)) {
      return new Allowed(Principal.MASTER);
    }
    Optional<ApiKey> found = keys.find(presented, presentedHash);
    if (found.isEmpty()) return new Unauthenticated("unknown API key");
    ApiKey key = found.get();
    if (key.revokedAt().isPresent())
      return new Unauthenticated("API key " + key.keyId() + " was revoked");
    if (!key.activeAt(clock.instant())) {
      return new Unauthenticated("API key " + key.keyId() + " has expired");
    }
    long wait = rateLimits.secondsToWait(key, System.nanoTime());
    if (wait > 0) return new RateLimited(key.keyId(), wait);
    return new Allowed(new Principal.Key(key));
  }

  /**
   * Why {@code principal} may not do what needs {@code scope} at {@code locations}, if it may not:
   * the detail of a 403, naming the missing scope or the locations it may not touch.
   */
  public Optional<String> denial(Principal principal, Scope scope, Collection<String> locations) {
    if (!principal.has(scope)) {
      return Optional.of("this key lacks the scope " + scope.wireName());
    }
    TreeSet<String> outside = new TreeSet<>();
    for (String location : locations) if (!principal.mayTouch(location)) outside.add(location);
    if (!outside.isEmpty()) {
      return Optional.of(
          "this key may not touch location"
              + (outside.size() > 1 ? "s " : " ")
              + String.join(", ", outside));
    }
    return Optional.empty();
  }

  private static byte[] hash(String key) {
    return KeyRing.hash(key).getBytes(StandardCharsets.US_ASCII);
  }
}
