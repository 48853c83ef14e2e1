package io.stockhold.api.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.stockhold.access.Access;
import io.stockhold.access.Principal;
import io.stockhold.access.Scope;
import io.stockhold.api.http.Problem.FieldError;
import io.stockhold.reservation.Pool;
import io.stockhold.reservation.ReservationLine;
import io.stockhold.reservation.ReservationReply;
import io.stockhold.reservation.ReservationService;
import io.stockhold.reservation.ReservationService.NewReservation;
import io.stockhold.stock.StockItemId;
import io.stockhold.stock.StockReply;
import io.stockhold.stock.StockReply.Rejection;
import io.stockhold.stock.StockReply.Unavailable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.server.Route;

/** {@code /v1/reservations}: hold, look up, commit, release and extend. */
final class ReservationRoutes extends ApiDirectives {

  record ReservationBody(
      String reservationId,
      String status,
      String channel,
      String expiresAt,
      List<ReservationLine.Asked> lines) {
    static ReservationBody of(ReservationReply.View v) {
      return new ReservationBody(
          v.reservationId(),
          v.status().wireName(),
          v.channel(),
          Json.time(v.expiresAt()),
          ReservationLine.asAsked(v.lines()));
    }
  }

  private final ReservationService reservations;
  private final Duration defaultTtl;

  ReservationRoutes(ReservationService reservations, Duration defaultTtl, Access access) {
    super(access);
    this.reservations = reservations;
    this.defaultTtl = defaultTtl;
  }

  Route route() {
    return pathPrefix(
        "reservations",
        () ->
            concat(
                pathEndOrSingleSlash(() -> post(this::create)),
                pathPrefix(
                    id ->
                        concat(
                            pathEndOrSingleSlash(
                                () ->
                                    get(
                                        () ->
                                            allowed(
                                                Scope.RESERVATIONS_READ,
                                                List.of(),
                                                principal ->
                                                    answer(reservations.get(id, principal), 200)))),
                            path(
                                "commit",
                                () ->
                                    post(
                                        () ->
                                            allowed(
                                                Scope.RESERVATIONS_WRITE,
                                                List.of(),
                                                principal ->
                                                    answer(
                                                        reservations.commit(id, principal), 200)))),
                            path(
                                "release",
                                () ->
                                    post(
                                        () ->
                                            allowed(
                                                Scope.RESERVATIONS_WRITE,
                                                List.of(),
                                                principal ->
                                                    answer(
                                                        reservations.release(id, principal),
                                                        200)))),
                            path(
                                "extend",
                                () ->
                                    post(
                                        () ->
                                            allowed(
                                                Scope.RESERVATIONS_WRITE,
                                                List.of(),
                                                principal -> extend(id, principal))))))));
  }

  private Route create() {
    return idempotencyKey(
        key ->
            jsonBody(
                body -> {
                  List<FieldError> errors = new ArrayList<>();
                  NewReservation request = read(body, errors);
                  if (errors.isEmpty()) checkKits(request, errors);
                  if (!errors.isEmpty()) return completeProblem(Problem.invalid(errors));
                  boolean pooled = request.lines().stream().anyMatch(ReservationLine::unallocated);
                  if (!pooled) return reserve(request, key, Map.of());
                  return onSuccess(
                      reservations.poolsOf(request), pools -> reserve(request, key, pools));
                }));
  }

  /**
   * Holds {@code request} for a key allowed every location a line names, and every location of
   * every pool a line names (403 otherwise), or nothing is held. A pool that does not exist is a
   * 404 only for a key that may reserve at all, so that pool names are not shown to others.
   */
  private Route reserve(NewReservation request, Optional<String> key, Map<String, Pool> pools) {
    List<String> locations = new ArrayList<>();
    String missing = null;
    for (ReservationLine line : request.lines()) {
      if (!line.unallocated()) {
        locations.add(line.location());
      } else if (pools.containsKey(line.pool())) {
        locations.addAll(pools.get(line.pool()).locations());
      } else if (missing == null) {
        missing = line.pool();
      }
    }
    String unknownPool = missing;
    return allowed(
        Scope.RESERVATIONS_WRITE,
        locations,
        principal ->
            unknownPool != null
                ? completeProblem(
                    Problem.from(
                        new StockReply.Rejected(
                            Rejection.POOL_NOT_FOUND, "no pool " + unknownPool, 0)))
                : answer(reservations.reserve(request, key, defaultTtl, principal), 201));
  }

  /**
   * A kit line cannot wait for stock (it holds several items within one deadline), and a request's
   * lines with its kits opened must still fit in one reservation.
   */
  private void checkKits(NewReservation request, List<FieldError> errors) {
    for (int i = 0; i < request.lines().size(); i++) {
      ReservationLine line = request.lines().get(i);
      if (line.mayWait() && reservations.kitOf(line).isPresent()) {
        errors.add(
            new FieldError(
                "/lines/" + i + "/allowBackorder",
                line.sku() + " is a kit: its items are held together, and cannot wait for stock"));
      }
    }
    int opened = reservations.withKitsOpened(request.lines()).size();
    if (opened > ReservationService.MAX_LINES) {
      errors.add(
          new FieldError(
              "/lines",
              "holds "
                  + opened
                  + " lines once its kits are opened; at most "
                  + ReservationService.MAX_LINES));
    }
  }

  private static NewReservation read(JsonNode body, List<FieldError> errors) {
    JsonInput in = JsonInput.body(body, errors);
    if (in == null) return null;
    in.allowOnly(Set.of("channel", "lines", "ttlSeconds", "customerId"));
    String channel =
        in.string(
            "channel", true, StockItemId::isChannel, "must match " + StockItemId.CHANNEL.pattern());
    Long ttl = in.integer("ttlSeconds", false, 1, ReservationService.MAX_TTL_SECONDS);
    String customerId =
        in.string(
            "customerId",
            false,
            c -> ReservationService.CUSTOMER_ID.matcher(c).matches(),
            "must match " + ReservationService.CUSTOMER_ID.pattern());
    List<ReservationLine> lines = new ArrayList<>();
    Map<String, String> seen = new HashMap<>();
    List<JsonInput> asked = in.objects("lines", 1, ReservationService.MAX_LINES);
    for (JsonInput line : asked) {
      line.allowOnly(Set.of("location", "pool", "split", "sku", "quantity", "allowBackorder"));
      if (line.has("location") == line.has("pool")) {
        errors.add(new FieldError(line.at(), "must name either a location or a pool"));
        continue;
      }
      boolean fromPool = line.has("pool");
      String place =
          line.string(
              fromPool ? "pool" : "location",
              true,
              StockItemId::isLocation,
              "must match " + StockItemId.LOCATION.pattern());
      Boolean split = null;
      if (line.has("split")) {
        if (!fromPool) errors.add(new FieldError(line.pointer("split"), "only for a pool line"));
        else split = line.bool("split");
      }
      String sku =
          line.string("sku", true, StockItemId::isSku, "must match " + StockItemId.SKU.pattern());
      Long quantity = line.integer("quantity", true, 1, ReservationService.MAX_LINE_QUANTITY);
      boolean mayWait = Boolean.TRUE.equals(line.bool("allowBackorder"));
      if (mayWait && fromPool) {
        errors.add(
            new FieldError(
                line.pointer("allowBackorder"),
                "a pool line cannot wait for stock; name a location"));
      }
      if (place == null || sku == null || quantity == null) continue;
      String first = seen.putIfAbsent((fromPool ? "pool:" : "") + place + "/" + sku, line.at());
      if (first != null) {
        errors.add(
            new FieldError(
                line.at(),
                "names the same " + (fromPool ? "pool and SKU" : "stock item") + " as " + first));
      }
      lines.add(
          fromPool
              ? ReservationLine.fromPool(place, sku, quantity, split)
              : mayWait
                  ? ReservationLine.backorderable(place, sku, quantity)
                  : new ReservationLine(place, sku, quantity));
    }
    return new NewReservation(
        channel, lines, ttl == null ? OptionalLong.empty() : OptionalLong.of(ttl), customerId);
  }

  private Route extend(String reservationId, Principal principal) {
    return jsonBody(
        body -> {
          List<FieldError> errors = new ArrayList<>();
          JsonInput in = JsonInput.body(body, errors);
          Long ttl = null;
          if (in != null) {
            in.allowOnly(Set.of("ttlSeconds"));
            ttl = in.integer("ttlSeconds", true, 1, ReservationService.MAX_TTL_SECONDS);
          }
          if (!errors.isEmpty()) return completeProblem(Problem.invalid(errors));
          return answer(reservations.extend(reservationId, ttl, principal), 200);
        });
  }

  /** A reservation's answer as a response: {@code status} for a view, a problem otherwise. */
  private Route answer(CompletionStage<ReservationReply> reply, int status) {
    return completeWithFuture(
        reply.thenApply(
            r ->
                switch (r) {
                  case ReservationReply.View v -> {
                    HttpResponse response = json(status, ReservationBody.of(v));
                    yield status == 201
                        ? response.addHeader(
                            Location.create("/v1/reservations/" + v.reservationId()))
                        : response;
                  }
                  case ReservationReply.Refused refused -> Problem.from(refused).toResponse();
                  case ReservationReply.NotNow notNow ->
                      Problem.from(new Unavailable(notNow.reason(), notNow.detail())).toResponse();
                }));
  }
}
