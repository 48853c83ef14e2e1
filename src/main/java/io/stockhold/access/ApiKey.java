package io.stockhold.access;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * An API key as the node keeps it: never the secret, only its hash. {@code locations} empty means
 * every location; {@code requestsPerSecond} empty means no rate limit.
 */
public record ApiKey(
    String keyId,
    String name,
    Set<Scope> scopes,
    Set<String> locations,
    Optional<Instant> expiresAt,
    OptionalInt requestsPerSecond,
    Instant createdAt,
    Optional<Instant> revokedAt,
    String secretHash) {

  public ApiKey {
    scopes = Set.copyOf(scopes);
    locations = Set.copyOf(locations);
  }

  /** Neither revoked nor past its expiry. */
  public boolean activeAt(Instant now) {
    return revokedAt.isEmpty() && expiresAt.map(now::isBefore).orElse(true);
  }

  ApiKey revoked(Instant at) {
    return new ApiKey(
        keyId,
        name,
        scopes,
        locations,
        expiresAt,
        requestsPerSecond,
        createdAt,
        Optional.of(at),
        secretHash);
  }
}
