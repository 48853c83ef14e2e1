package io.stockhold.api.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.stockhold.api.http.Problem.FieldError;
import io.stockhold.api.http.Problem.ShortLine;
import io.stockhold.idempotency.Idempotency;
import io.stockhold.reservation.ReservationIds;
import io.stockhold.reservation.ReservationLine;
import io.stockhold.reservation.ReservationReply;
import io.stockhold.reservation.Reservations;
import java.util.concurrent.CompletionStage;
import io.stockhold.stock.StockItemId;
import io.stockhold.stock.StockItems;
import io.stockhold.stock.StockReply;
import io.stockhold.stock.StockReply.HoldReply;
import io.stockhold.stock.StockReply.HoldView;
import io.stockhold.stock.StockReply.Rejected;
import io.stockhold.stock.StockReply.Rejection;
import io.stockhold.stock.StockRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.server.Route;

/** {@code /v1/reservations}: hold, look up, commit, release and extend. */
final class ReservationRoutes extends ApiDirectives {

  static final int MAX_LINES = 100;
  static final long MAX_LINE_QUANTITY = 10_000;
  static final long MAX_TTL_SECONDS = 86_400;

  record LineBody(String location, String sku, long quantity) {}

  record ReservationBody(String reservationId, String status, String channel, String expiresAt,
      List<LineBody> lines) {
    static ReservationBody of(ReservationReply.View v) {
      return new ReservationBody(v.reservationId(), v.status().wireName(), v.channel(), Json.time(v.expiresAt()),
          v.lines().stream().map(l -> new LineBody(l.location(), l.sku(), l.quantity())).toList());
    }

    static ReservationBody of(StockItemId item, HoldView hold) {
      return new ReservationBody(hold.reservationId(), hold.status().wireName(), hold.channel(),
          Json.time(hold.expiresAt()), List.of(new LineBody(item.location(), item.sku(), hold.quantity())));
    }
  }

  /** A validated reservation request. */
  private record NewReservation(String channel, List<LineBody> lines, long ttlSeconds) {}

  private final StockItems items;
  private final Reservations reservations;
  private final Duration defaultTtl;

  ReservationRoutes(StockItems items, Reservations reservations, Duration defaultTtl) {
    this.items = items;
    this.reservations = reservations;
    this.defaultTtl = defaultTtl;
  }

  Route route() {
    return pathPrefix("reservations", () -> concat(
        pathEndOrSingleSlash(() -> post(this::create)),
        pathPrefix(id -> concat(
            pathEndOrSingleSlash(() -> get(() -> existing(id, items::hold, reservations::get))),
            path("commit", () -> post(() -> existing(id,
                (item, holdId) -> items.submit(item, new StockRequest.Commit(holdId)),
                reservations::commit))),
            path("release", () -> post(() -> existing(id,
                (item, holdId) -> items.submit(item, new StockRequest.Release(holdId)),
                reservations::release))),
            path("extend", () -> post(() -> extend(id)))))));
  }

  private Route create() {
    return idempotencyKey(key -> jsonBody(body -> {
      List<FieldError> errors = new ArrayList<>();
      NewReservation request = read(body, errors);
      if (!errors.isEmpty()) return completeProblem(Problem.invalid(errors));
      if (request.lines().size() > 1) return createMultiLine(request, key, body);
      LineBody line = request.lines().get(0);
      StockItemId item = new StockItemId(line.location(), line.sku());
      String holdId = key.map(k -> Idempotency.operationId(Idempotency.RESERVATIONS, k))
          .orElseGet(Idempotency::freshId);
      String fingerprint = key.map(k -> Idempotency.fingerprint(Json.canonical(body))).orElse(null);
      String reservationId = ReservationIds.singleLine(item, holdId);
      var reserve = new StockRequest.Reserve(holdId, reservationId, request.channel(), line.quantity(),
          request.ttlSeconds(), fingerprint);
      return reply(items.submit(item, reserve), r -> switch (r) {
        case HoldReply h -> json(201, ReservationBody.of(item, h.hold()))
            .addHeader(Location.create("/v1/reservations/" + reservationId));
        case Rejected rejected when rejected.reason() == Rejection.INSUFFICIENT_STOCK ->
            Problem.insufficient(List.of(new ShortLine(line.location(), line.sku(), line.quantity(),
                rejected.available()))).toResponse();
        default -> null;
      });
    }));
  }

  /** A cart: held all-or-nothing by a {@link io.stockhold.reservation.Reservation}. */
  private Route createMultiLine(NewReservation request, Optional<String> key, JsonNode body) {
    String reservationKey = key.map(k -> Idempotency.operationId(Idempotency.RESERVATIONS, k))
        .orElseGet(Idempotency::freshId);
    String fingerprint = key.map(k -> Idempotency.fingerprint(Json.canonical(body))).orElse(null);
    List<ReservationLine> lines = request.lines().stream()
        .map(l -> new ReservationLine(l.location(), l.sku(), l.quantity())).toList();
    return answer(reservations.create(reservationKey, request.channel(), lines, request.ttlSeconds(), fingerprint),
        201);
  }

  private NewReservation read(JsonNode body, List<FieldError> errors) {
    JsonInput in = JsonInput.body(body, errors);
    if (in == null) return null;
    in.allowOnly(Set.of("channel", "lines", "ttlSeconds"));
    String channel = in.string("channel", true, StockItemId::isChannel,
        "must match " + StockItemId.CHANNEL.pattern());
    Long ttl = in.integer("ttlSeconds", false, 1, MAX_TTL_SECONDS);
    List<LineBody> lines = new ArrayList<>();
    Map<String, String> seen = new HashMap<>();
    for (JsonInput line : in.objects("lines", 1, MAX_LINES)) {
      line.allowOnly(Set.of("location", "sku", "quantity"));
      String location = line.string("location", true, StockItemId::isLocation,
          "must match " + StockItemId.LOCATION.pattern());
      String sku = line.string("sku", true, StockItemId::isSku, "must match " + StockItemId.SKU.pattern());
      Long quantity = line.integer("quantity", true, 1, MAX_LINE_QUANTITY);
      if (location == null || sku == null || quantity == null) continue;
      String first = seen.putIfAbsent(location + "/" + sku, line.at());
      if (first != null) {
        errors.add(new FieldError(line.at(), "names the same stock item as " + first));
      }
      lines.add(new LineBody(location, sku, quantity));
    }
    return new NewReservation(channel, lines, ttl != null ? ttl : defaultTtl.toSeconds());
  }

  private Route extend(String reservationId) {
    return jsonBody(body -> {
      List<FieldError> errors = new ArrayList<>();
      JsonInput in = JsonInput.body(body, errors);
      Long ttl = null;
      if (in != null) {
        in.allowOnly(Set.of("ttlSeconds"));
        ttl = in.integer("ttlSeconds", true, 1, MAX_TTL_SECONDS);
      }
      if (!errors.isEmpty()) return completeProblem(Problem.invalid(errors));
      long ttlSeconds = ttl;
      return existing(reservationId,
          (item, holdId) -> items.submit(item, new StockRequest.Extend(holdId, ttlSeconds)),
          key -> reservations.extend(key, ttlSeconds));
    });
  }

  /**
   * Routes a reservation id to its hold (single line) or its reservation entity (multi-line) and
   * answers with the reservation; 404 when the id cannot be one.
   */
  private Route existing(String reservationId,
      BiFunction<StockItemId, String, CompletionStage<StockReply>> singleLine,
      Function<String, CompletionStage<ReservationReply>> multiLine) {
    Optional<ReservationIds.Route> route = ReservationIds.parse(reservationId);
    if (route.isEmpty()) return completeProblem(Problem.notFound(reservationId));
    return switch (route.get()) {
      case ReservationIds.SingleLine one -> reply(singleLine.apply(one.item(), one.holdId()),
          r -> r instanceof HoldReply h ? json(200, ReservationBody.of(one.item(), h.hold())) : null);
      case ReservationIds.MultiLine many -> answer(multiLine.apply(many.key()), 200);
    };
  }

  /** A multi-line reservation's reply as a response; {@code status} for a view. */
  private Route answer(CompletionStage<ReservationReply> reply, int status) {
    return completeWithFuture(reply.thenApply(r -> switch (r) {
      case ReservationReply.View v -> {
        HttpResponse response = json(status, ReservationBody.of(v));
        yield status == 201
            ? response.addHeader(Location.create("/v1/reservations/" + v.reservationId())) : response;
      }
      case ReservationReply.Refused refused when refused.reason() == Rejection.INSUFFICIENT_STOCK ->
          Problem.insufficient(refused.shortLines().stream()
              .map(l -> new ShortLine(l.location(), l.sku(), l.requested(), l.available())).toList()).toResponse();
      case ReservationReply.Refused refused ->
          Problem.from(new Rejected(refused.reason(), refused.detail(), 0)).toResponse();
      case ReservationReply.NotNow notNow ->
          Problem.from(new StockReply.Unavailable(notNow.reason(), notNow.detail())).toResponse();
    }));
  }
}
