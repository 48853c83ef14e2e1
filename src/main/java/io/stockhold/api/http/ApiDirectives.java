package io.stockhold.api.http;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.stockhold.access.Access;
import io.stockhold.access.Principal;
import io.stockhold.access.Scope;
import io.stockhold.api.http.Problem.FieldError;
import io.stockhold.idempotency.Idempotency;
import io.stockhold.stock.StockItemId;
import io.stockhold.stock.StockReply;
import io.stockhold.stock.StockReply.Rejected;
import io.stockhold.stock.StockReply.Unavailable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.AttributeKey;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaType;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import scala.concurrent.duration.FiniteDuration;

/** What every REST route needs: strict JSON bodies, idempotency keys, replies as responses. */
abstract class ApiDirectives extends AllDirectives {

  /** REST bodies are small; gRPC streams are not subject to this. */
  static final long MAX_BODY_BYTES = 64 * 1024;

  /** Quantities and adjustments beyond this are typing mistakes, not stock. */
  static final long MAX_UNITS = 1_000_000_000L;

  private static final FiniteDuration BODY_READ_TIMEOUT =
      FiniteDuration.create(10, TimeUnit.SECONDS);

  final Access access;

  ApiDirectives(Access access) {
    this.access = access;
  }

  /** Who made the request; {@link HttpApi} sets it once the request's key checked out. */
  static final AttributeKey<Principal> PRINCIPAL =
      AttributeKey.create("principal", Principal.class);

  /**
   * Runs {@code inner} as the request's principal when it holds {@code scope} and may touch every
   * one of {@code locations}; otherwise 403 naming what it lacks.
   */
  Route allowed(Scope scope, Collection<String> locations, Function<Principal, Route> inner) {
    return attribute(
        PRINCIPAL,
        principal ->
            access
                .denial(principal, scope, locations)
                .map(detail -> completeProblem(Problem.forbidden(detail)))
                .orElseGet(() -> inner.apply(principal)));
  }

  Route completeProblem(Problem problem) {
    return complete(problem.toResponse());
  }

  static HttpResponse json(int status, Object body) {
    return HttpResponse.create()
        .withStatus(status)
        .withEntity(ContentTypes.APPLICATION_JSON, Json.bytes(body));
  }

  /** A JSON body of at most 64 KiB, parsed strictly; 400, 413 or 415 otherwise. */
  Route jsonBody(Function<JsonNode, Route> inner) {
    return extractRequestEntity(
        entity -> {
          if (entity.isKnownEmpty())
            return completeProblem(Problem.invalid("", "a JSON body is required"));
          MediaType type = entity.getContentType().mediaType();
          boolean isJson =
              type.mainType().equals("application")
                  && (type.subType().equals("json") || type.subType().endsWith("+json"));
          if (!isJson) {
            return afterReadingAway(
                entity,
                Problem.of(
                    415,
                    "unsupported-media-type",
                    "Unsupported media type",
                    "the body must be application/json, not " + type));
          }
          if (entity.getContentLengthOption().orElse(0L) > MAX_BODY_BYTES) {
            return afterReadingAway(entity, tooLarge());
          }
          // A small body usually arrives whole: read it as it is, without a stream per request.
          if (entity instanceof HttpEntity.Strict strict) return parsed(strict, inner);
          return extractStrictEntity(
              BODY_READ_TIMEOUT, MAX_BODY_BYTES, body -> parsed(body, inner));
        });
  }

  /**
   * Answers {@code problem} once the refused body has been read and dropped (up to
   * pekko.http.server.parsing.max-content-length). Answering while the client still sends it would
   * close the connection on unread bytes: the client's socket is reset, and the client may see no
   * answer at all instead of the 413 or 415.
   */
  private Route afterReadingAway(HttpEntity entity, Problem problem) {
    return extractMaterializer(
        mat ->
            onComplete(
                entity.discardBytes(mat).completionStage(), done -> completeProblem(problem)));
  }

  private Route parsed(HttpEntity.Strict body, Function<JsonNode, Route> inner) {
    if (body.getData().size() > MAX_BODY_BYTES) return completeProblem(tooLarge());
    JsonNode node;
    try {
      node = Json.parse(body.getData().utf8String());
    } catch (JsonProcessingException e) {
      return completeProblem(malformed(e));
    } catch (IOException e) {
      return completeProblem(Problem.invalid("", "malformed JSON: " + e.getMessage()));
    }
    return inner.apply(node);
  }

  /**
   * A body that is not JSON: where the parser stopped and why, without the parser's description of
   * its source ("[Source: REDACTED (…); line: 1, column: 1]"), which means nothing to a client.
   */
  static Problem malformed(JsonProcessingException e) {
    String why =
        e.getOriginalMessage()
            .replaceAll(
                "\\[Source: [^\\]]*?; line: (\\d+), column: (\\d+)\\]", "line $1, column $2");
    JsonLocation at = e.getLocation();
    String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
    return Problem.invalid("", "malformed JSON" + where + ": " + why);
  }

  static Problem tooLarge() {
    return Problem.of(
        413,
        "payload-too-large",
        "Payload too large",
        "request bodies are limited to " + MAX_BODY_BYTES + " bytes");
  }

  /** The optional {@code Idempotency-Key} header, validated. */
  Route idempotencyKey(Function<Optional<String>, Route> inner) {
    return optionalHeaderValueByName(
        "Idempotency-Key",
        key -> {
          if (key.isPresent() && !Idempotency.KEY.matcher(key.get()).matches()) {
            return completeProblem(
                Problem.invalid(
                    "#/header/Idempotency-Key", "must be 1 to 255 visible ASCII characters"));
          }
          return inner.apply(key);
        });
  }

  /** The stock item named by the path, or 400 naming the bad segment. */
  Route stockItem(String location, String sku, Function<StockItemId, Route> inner) {
    List<FieldError> errors = new ArrayList<>();
    if (!StockItemId.isLocation(location)) {
      errors.add(new FieldError("#/path/location", "must match " + StockItemId.LOCATION.pattern()));
    }
    if (!StockItemId.isSku(sku)) {
      errors.add(new FieldError("#/path/sku", "must match " + StockItemId.SKU.pattern()));
    }
    if (!errors.isEmpty()) return completeProblem(Problem.invalid(errors));
    return inner.apply(new StockItemId(location, sku));
  }

  /**
   * Completes with {@code success} for the reply the request expects; rejections and unavailability
   * become problems.
   */
  <T extends StockReply> Route reply(
      CompletionStage<StockReply> reply, Class<T> expected, Function<T, HttpResponse> success) {
    return completeWithFuture(
        reply.thenApply(
            r ->
                switch (r) {
                  case Unavailable u -> Problem.from(u).toResponse();
                  case Rejected rejected -> Problem.from(rejected).toResponse();
                  default -> {
                    if (expected.isInstance(r)) yield success.apply(expected.cast(r));
                    throw new IllegalStateException(
                        "expected a " + expected.getSimpleName() + ", not " + r);
                  }
                }));
  }
}
