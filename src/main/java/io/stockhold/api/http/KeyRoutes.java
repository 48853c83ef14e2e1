package io.stockhold.api.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.stockhold.access.Access;
import io.stockhold.access.ApiKey;
import io.stockhold.access.KeyRing;
import io.stockhold.access.KeyRing.NewKey;
import io.stockhold.access.Scope;
import io.stockhold.api.http.Problem.FieldError;
import io.stockhold.stock.StockItemId;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.stream.Collectors;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.server.Route;

/** {@code /v1/keys}: create, list, look up and revoke API keys (scope {@code keys:admin}). */
final class KeyRoutes extends ApiDirectives {

  static final int MAX_NAME = 200;
  static final int MAX_LOCATIONS = 1000;
  static final int MAX_REQUESTS_PER_SECOND = 1_000_000;

  record RateLimitBody(int requestsPerSecond) {}

  /** A key as the API shows it: never its secret, but for {@code key} once, when created. */
  record KeyBody(
      String keyId,
      String name,
      List<String> scopes,
      List<String> locations,
      String expiresAt,
      RateLimitBody rateLimit,
      String createdAt,
      String revokedAt,
      String key) {
    static KeyBody of(ApiKey k, String secret) {
      return new KeyBody(
          k.keyId(),
          k.name(),
          k.scopes().stream().map(Scope::wireName).sorted().toList(),
          k.locations().stream().sorted().toList(),
          k.expiresAt().map(Json::time).orElse(null),
          k.requestsPerSecond().isPresent()
              ? new RateLimitBody(k.requestsPerSecond().getAsInt())
              : null,
          Json.time(k.createdAt()),
          k.revokedAt().map(Json::time).orElse(null),
          secret);
    }
  }

  record KeyList(List<KeyBody> keys) {}

  private final KeyRing keys;
  private final Executor blocking;
  private final Clock clock;

  KeyRoutes(KeyRing keys, Access access, Executor blocking, Clock clock) {
    super(access);
    this.keys = keys;
    this.blocking = blocking;
    this.clock = clock;
  }

  Route route() {
    return pathPrefix(
        "keys",
        () ->
            allowed(
                Scope.KEYS_ADMIN,
                List.of(),
                principal ->
                    concat(
                        pathEndOrSingleSlash(() -> concat(post(this::create), get(this::list))),
                        path(
                            keyId -> concat(get(() -> one(keyId)), delete(() -> revoke(keyId)))))));
  }

  private Route create() {
    return jsonBody(
        body -> {
          List<FieldError> errors = new ArrayList<>();
          NewKey spec = read(body, errors);
          if (!errors.isEmpty()) return completeProblem(Problem.invalid(errors));
          return completeWithFuture(
              CompletableFuture.supplyAsync(
                  () -> {
                    KeyRing.Issued issued = call(() -> keys.create(spec));
                    return json(201, KeyBody.of(issued.key(), issued.secret()))
                        .addHeader(Location.create("/v1/keys/" + issued.key().keyId()));
                  },
                  blocking));
        });
  }

  private Route list() {
    return completeWithFuture(
        CompletableFuture.supplyAsync(
            () ->
                json(
                    200,
                    new KeyList(call(keys::list).stream().map(k -> KeyBody.of(k, null)).toList())),
            blocking));
  }

  private Route one(String keyId) {
    return completeWithFuture(
        CompletableFuture.supplyAsync(
            () ->
                call(() -> keys.get(keyId))
                    .map(k -> json(200, KeyBody.of(k, null)))
                    .orElseGet(() -> notFound(keyId)),
            blocking));
  }

  private Route revoke(String keyId) {
    return completeWithFuture(
        CompletableFuture.supplyAsync(
            () ->
                call(() -> keys.revoke(keyId))
                    ? HttpResponse.create().withStatus(204)
                    : notFound(keyId),
            blocking));
  }

  private static HttpResponse notFound(String keyId) {
    return Problem.of(404, "key-not-found", "Key not found", "no API key " + keyId).toResponse();
  }

  private NewKey read(JsonNode body, List<FieldError> errors) {
    JsonInput in = JsonInput.body(body, errors);
    if (in == null) return null;
    in.allowOnly(Set.of("name", "scopes", "locations", "expiresAt", "rateLimit"));
    String name =
        in.string(
            "name",
            true,
            n -> !n.isBlank() && n.length() <= MAX_NAME,
            "must be 1 to " + MAX_NAME + " characters");
    String known =
        Arrays.stream(Scope.values()).map(Scope::wireName).collect(Collectors.joining(", "));
    Set<Scope> scopes = new LinkedHashSet<>();
    for (String s :
        in.strings(
            "scopes",
            true,
            1,
            Scope.values().length,
            n -> Scope.ofWireName(n).isPresent(),
            "must be one of " + known)) {
      scopes.add(Scope.ofWireName(s).orElseThrow());
    }
    Set<String> locations =
        new LinkedHashSet<>(
            in.strings(
                "locations",
                false,
                1,
                MAX_LOCATIONS,
                StockItemId::isLocation,
                "must match " + StockItemId.LOCATION.pattern()));
    Optional<Instant> expiresAt = Optional.empty();
    String expires = in.string("expiresAt", false, t -> true, "");
    if (expires != null) {
      try {
        expiresAt = Optional.of(Instant.parse(expires));
        if (!expiresAt.get().isAfter(clock.instant())) {
          errors.add(new FieldError(in.pointer("expiresAt"), "must be in the future"));
        }
      } catch (DateTimeParseException e) {
        errors.add(new FieldError(in.pointer("expiresAt"), "must be an RFC 3339 time in UTC"));
      }
    }
    OptionalInt requestsPerSecond = OptionalInt.empty();
    Optional<JsonInput> rate = in.object("rateLimit");
    if (rate.isPresent()) {
      rate.get().allowOnly(Set.of("requestsPerSecond"));
      Long perSecond = rate.get().integer("requestsPerSecond", true, 1, MAX_REQUESTS_PER_SECOND);
      if (perSecond != null) requestsPerSecond = OptionalInt.of(perSecond.intValue());
    }
    return new NewKey(name, scopes, locations, expiresAt, requestsPerSecond);
  }

  /** A database call on the blocking pool; a database failure answers 503 (logged). */
  private interface Call<T> {
    T run() throws Exception;
  }

  private static <T> T call(Call<T> call) {
    try {
      return call.run();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("the key store failed: " + e.getMessage(), e);
    }
  }
}
