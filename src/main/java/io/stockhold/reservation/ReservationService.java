package io.stockhold.reservation;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stockhold.access.Principal;
import io.stockhold.access.Scope;
import io.stockhold.idempotency.Idempotency;
import io.stockhold.reservation.ReservationReply.NotNow;
import io.stockhold.reservation.ReservationReply.Refused;
import io.stockhold.reservation.ReservationReply.ShortLine;
import io.stockhold.reservation.ReservationReply.View;
import io.stockhold.stock.StockItemId;
import io.stockhold.stock.StockItems;
import io.stockhold.stock.StockReply;
import io.stockhold.stock.StockReply.HoldReply;
import io.stockhold.stock.StockReply.HoldStatus;
import io.stockhold.stock.StockReply.Rejected;
import io.stockhold.stock.StockReply.Rejection;
import io.stockhold.stock.StockReply.Unavailable;
import io.stockhold.stock.StockRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The one place that reserves, looks up, commits, releases and extends reservations, for every
 * transport (REST and gRPC map their input to it and its answer back). A reservation of one line is
 * one hold at one stock item; a cart of several lines is a {@link Reservation} saga that holds them
 * all or none. Both answer as a {@link ReservationReply}, and both derive their ids from the
 * idempotency key the same way, so a retry over either transport is the same request.
 */
public final class ReservationService {

  /** Lines in one reservation. */
  public static final int MAX_LINES = 100;

  /** Units on one line; more is a typing mistake, not a purchase. */
  public static final long MAX_LINE_QUANTITY = 10_000;

  /** The longest hold: a day. */
  public static final long MAX_TTL_SECONDS = 86_400;

  /**
   * A checked request to reserve: a channel, 1..{@value #MAX_LINES} lines naming different items,
   * the hold time the caller asked for, if any, and whom the units are for, if said (null).
   */
  public record NewReservation(
      String channel, List<ReservationLine> lines, OptionalLong ttlSeconds, String customerId) {
    public NewReservation(String channel, List<ReservationLine> lines, OptionalLong ttlSeconds) {
      this(channel, lines, ttlSeconds, null);
    }

    public NewReservation {
      lines = List.copyOf(lines);
    }
  }

  /** What a customer id may look like: an id from the shop's own customer records. */
  public static final Pattern CUSTOMER_ID = Pattern.compile("[A-Za-z0-9._:@-]{1,128}");

  /** Allocations tried for a cart with pool lines before it is refused: others may race it. */
  static final int POOL_ATTEMPTS = 3;

  private final StockItems items;
  private final Reservations reservations;
  private final Pools pools;
  private final PoolStock poolStock;
  private final Kits kits;

  public ReservationService(StockItems items, Reservations reservations, Pools pools, Kits kits) {
    this.items = items;
    this.reservations = reservations;
    this.pools = pools;
    this.poolStock = new PoolStock(items);
    this.kits = kits;
  }

  /** Without pools and kits: for tests of what does not need them. */
  public ReservationService(StockItems items, Reservations reservations) {
    this(items, reservations, null, null);
  }

  public Kits kits() {
    return kits;
  }

  /** The kit a line names, if its SKU is one. A pool-less, kit-less service (tests) knows none. */
  public Optional<Kit> kitOf(ReservationLine line) {
    return kits == null ? Optional.empty() : kits.get(line.sku());
  }

  /**
   * The lines to hold for {@code lines}: each kit line becomes its components at the same place (a
   * location or a pool), and lines that then name the same SKU at the same place become one.
   */
  public List<ReservationLine> withKitsOpened(List<ReservationLine> lines) {
    Map<String, ReservationLine> byPlace = new LinkedHashMap<>();
    for (ReservationLine line : lines) {
      Optional<Kit> kit = kitOf(line);
      List<ReservationLine> parts =
          kit.isEmpty()
              ? List.of(line)
              : kit.get().components().stream().map(line::component).toList();
      for (ReservationLine part : parts) {
        byPlace.merge(part.place() + "/" + part.sku(), part, ReservationLine::and);
      }
    }
    return List.copyOf(byPlace.values());
  }

  /**
   * The pools the request's lines name, or empty when one is unknown (its name in {@code unknown}).
   */
  public CompletionStage<Map<String, Pool>> poolsOf(NewReservation request) {
    Map<String, CompletableFuture<Optional<Pool>>> asked = new LinkedHashMap<>();
    for (ReservationLine line : request.lines()) {
      if (line.unallocated()) {
        asked.computeIfAbsent(line.pool(), id -> pools.get(id).toCompletableFuture());
      }
    }
    return CompletableFuture.allOf(asked.values().toArray(CompletableFuture[]::new))
        .thenApply(
            done -> {
              Map<String, Pool> found = new LinkedHashMap<>();
              asked.forEach((id, pool) -> pool.join().ifPresent(p -> found.put(id, p)));
              return found;
            });
  }

  /**
   * Holds the request's lines all-or-nothing for its hold time, or {@code defaultTtl} when it names
   * none (each transport has its own default). With an idempotency key, the reservation's id is
   * derived from it and the request's {@link #fingerprint} travels along, so a retry is answered
   * with the first outcome and the key reused for another request is refused.
   */
  public CompletionStage<ReservationReply> reserve(
      NewReservation request,
      Optional<String> idempotencyKey,
      Duration defaultTtl,
      Principal principal) {
    String operationId =
        idempotencyKey
            .map(
                k ->
                    Idempotency.operationId(
                        Idempotency.RESERVATIONS, principal.idempotencyScope(), k))
            .orElseGet(Idempotency::freshId);
    String fingerprint = idempotencyKey.map(k -> fingerprint(request)).orElse(null);
    long ttlSeconds = request.ttlSeconds().orElse(defaultTtl.toSeconds());
    // The fingerprint is of the request as asked: a retry matches whatever its kits hold since.
    boolean kitted = request.lines().stream().anyMatch(l -> kitOf(l).isPresent());
    NewReservation held =
        kitted
            ? new NewReservation(
                request.channel(),
                withKitsOpened(request.lines()),
                request.ttlSeconds(),
                request.customerId())
            : request;
    if (held.lines().stream().anyMatch(ReservationLine::unallocated)) {
      return reservePooled(
          held, operationId, idempotencyKey.isPresent(), fingerprint, ttlSeconds, principal);
    }
    // A kit is a cart even of one component: its lines are held, and shown, as its.
    if (held.lines().size() > 1 || kitted) {
      return reservations.create(
          operationId,
          held.channel(),
          held.lines(),
          ttlSeconds,
          fingerprint,
          principal.actor(),
          held.customerId());
    }
    ReservationLine line = held.lines().get(0);
    StockItemId item = line.item();
    String reservationId = ReservationIds.singleLine(item, operationId);
    var reserve =
        new StockRequest.Reserve(
            operationId,
            reservationId,
            held.channel(),
            line.quantity(),
            ttlSeconds,
            fingerprint,
            principal.actor(),
            held.customerId(),
            line.mayWait());
    return items.submit(item, reserve).thenApply(reply -> singleLine(item, reply, line.quantity()));
  }

  /**
   * A reservation with pool lines: always a cart (its saga remembers the allocation, so a retry
   * with the same key replays it). The lines are allocated from what the items say they have now;
   * when another cart takes those units first, the attempt's holds are all released before the next
   * one (the saga's refusal) and the allocation is made again from fresh answers, up to {@value
   * #POOL_ATTEMPTS} times. No unit is ever held twice: each attempt's holds have ids of their own
   * and are gone before the next attempt asks.
   */
  private CompletionStage<ReservationReply> reservePooled(
      NewReservation request,
      String operationId,
      boolean keyed,
      String fingerprint,
      long ttlSeconds,
      Principal principal) {
    return poolsOf(request)
        .thenCompose(
            found -> {
              for (ReservationLine line : request.lines()) {
                if (line.unallocated() && !found.containsKey(line.pool())) {
                  return CompletableFuture.completedFuture(
                      (ReservationReply)
                          Refused.of(Rejection.POOL_NOT_FOUND, "no pool " + line.pool()));
                }
              }
              return allocateAndHold(
                  request, found, operationId, keyed, fingerprint, ttlSeconds, principal, 1);
            });
  }

  private CompletionStage<ReservationReply> allocateAndHold(
      NewReservation request,
      Map<String, Pool> found,
      String operationId,
      boolean keyed,
      String fingerprint,
      long ttlSeconds,
      Principal principal,
      int attempt) {
    return poolStock
        .forLines(request.lines(), found, request.channel())
        .thenCompose(
            available ->
                switch (PoolAllocation.allocate(request.lines(), found, available)) {
                  case PoolAllocation.Short s ->
                      shortOrMadeBefore(
                          request, operationId, keyed, fingerprint, ttlSeconds, principal, s);
                  case PoolAllocation.Allocated a ->
                      // A cart made before with this key answers with its first outcome, whatever
                      // lines this allocation found: the saga keeps the ones it held.
                      createCart(
                              request, operationId, a.lines(), ttlSeconds, fingerprint, principal)
                          .thenCompose(
                              reply ->
                                  !raced(reply)
                                      ? CompletableFuture.completedFuture(reply)
                                      : attempt < POOL_ATTEMPTS
                                          ? allocateAndHold(
                                              request,
                                              found,
                                              operationId,
                                              keyed,
                                              fingerprint,
                                              ttlSeconds,
                                              principal,
                                              attempt + 1)
                                          : asPoolLines(request, found, (Refused) reply));
                });
  }

  /**
   * The pools cannot fill the lines now: refused, unless this key made the cart before (a retry
   * after the units were sold), which then answers with its first outcome.
   */
  private CompletionStage<ReservationReply> shortOrMadeBefore(
      NewReservation request,
      String operationId,
      boolean keyed,
      String fingerprint,
      long ttlSeconds,
      Principal principal,
      PoolAllocation.Short s) {
    Refused refused =
        new Refused(
            Rejection.INSUFFICIENT_STOCK, s.lines().size() + " lines cannot be met", s.lines());
    if (!keyed) return CompletableFuture.completedFuture(refused);
    return reservations
        .get(operationId)
        .thenCompose(
            seen ->
                seen instanceof View made
                    ? createCart(
                        request, operationId, made.lines(), ttlSeconds, fingerprint, principal)
                    : CompletableFuture.completedFuture(refused));
  }

  /**
   * A cart refused for units others took from its pools, told as its pool lines with what each pool
   * has now (its location lines short of stock as they are).
   */
  private CompletionStage<ReservationReply> asPoolLines(
      NewReservation request, Map<String, Pool> found, Refused refused) {
    return poolStock
        .forLines(request.lines(), found, request.channel())
        .thenApply(
            available -> {
              List<ShortLine> lines = new ArrayList<>();
              for (ShortLine l : refused.shortLines()) if (l.pool() == null) lines.add(l);
              for (ReservationLine line : request.lines()) {
                if (!line.unallocated()) continue;
                boolean wasShort =
                    refused.shortLines().stream()
                        .anyMatch(l -> line.pool().equals(l.pool()) && line.sku().equals(l.sku()));
                if (!wasShort) continue;
                long total = 0;
                for (String location : found.get(line.pool()).locations()) {
                  total += available.getOrDefault(new StockItemId(location, line.sku()), 0L);
                }
                lines.add(ShortLine.ofPool(line.pool(), line.sku(), line.quantity(), total));
              }
              return new Refused(refused.reason(), lines.size() + " lines cannot be met", lines);
            });
  }

  /** Whether a cart was refused for a line allocated from a pool: the units went to another. */
  private static boolean raced(ReservationReply reply) {
    return reply instanceof Refused r
        && r.reason() == Rejection.INSUFFICIENT_STOCK
        && r.shortLines().stream().anyMatch(l -> l.pool() != null);
  }

  private CompletionStage<ReservationReply> createCart(
      NewReservation request,
      String operationId,
      List<ReservationLine> lines,
      long ttlSeconds,
      String fingerprint,
      Principal principal) {
    return reservations.create(
        operationId,
        request.channel(),
        lines,
        ttlSeconds,
        fingerprint,
        principal.actor(),
        request.customerId());
  }

  /** What a pool's locations have of {@code sku}, from the items; empty for an unknown pool. */
  public CompletionStage<Optional<PoolStock.Summary>> poolStock(String poolId, String sku) {
    return pools
        .get(poolId)
        .thenCompose(
            pool ->
                pool.isEmpty()
                    ? CompletableFuture.completedFuture(Optional.<PoolStock.Summary>empty())
                    : poolStock.of(pool.get(), sku, null).thenApply(Optional::of));
  }

  public Pools pools() {
    return pools;
  }

  /**
   * The reservation, when {@code principal} made it or may see anyone's ({@code
   * reservations:admin}); otherwise not found, as if there were none.
   */
  public CompletionStage<ReservationReply> get(String reservationId, Principal principal) {
    return existing(
            reservationId, (item, holdId) -> items.hold(item, holdId), key -> reservations.get(key))
        .thenApply(reply -> ownedBy(principal, reply) ? reply : notFound(reservationId));
  }

  public CompletionStage<ReservationReply> commit(String reservationId, Principal principal) {
    return onOwn(
        reservationId,
        principal,
        (item, holdId) -> items.submit(item, new StockRequest.Commit(holdId, principal.actor())),
        key -> reservations.commit(key));
  }

  public CompletionStage<ReservationReply> release(String reservationId, Principal principal) {
    return onOwn(
        reservationId,
        principal,
        (item, holdId) -> items.submit(item, new StockRequest.Release(holdId, principal.actor())),
        key -> reservations.release(key));
  }

  public CompletionStage<ReservationReply> extend(
      String reservationId, long ttlSeconds, Principal principal) {
    return onOwn(
        reservationId,
        principal,
        (item, holdId) ->
            items.submit(item, new StockRequest.Extend(holdId, ttlSeconds, principal.actor())),
        key -> reservations.extend(key, ttlSeconds));
  }

  /**
   * Changes a reservation {@code principal} may change: its own, or anyone's with {@code
   * reservations:admin}. Whose it is never changes once made, so looking first and acting second
   * cannot let another's slip through; only callers without the admin scope pay for the look.
   */
  private CompletionStage<ReservationReply> onOwn(
      String reservationId,
      Principal principal,
      BiFunction<StockItemId, String, CompletionStage<StockReply>> singleLine,
      Function<String, CompletionStage<ReservationReply>> multiLine) {
    if (principal.has(Scope.RESERVATIONS_ADMIN)) {
      return existing(reservationId, singleLine, multiLine);
    }
    return get(reservationId, principal)
        .thenCompose(
            seen ->
                seen instanceof View
                    ? existing(reservationId, singleLine, multiLine)
                    : CompletableFuture.completedFuture(seen));
  }

  /** Whether {@code principal} may see this answer about a reservation. */
  private static boolean ownedBy(Principal principal, ReservationReply reply) {
    if (!(reply instanceof View view) || principal.has(Scope.RESERVATIONS_ADMIN)) return true;
    // Reservations made before keys existed were the master key's (or anybody's, checking off).
    String owner = view.actor() == null ? Principal.MASTER.actor() : view.actor();
    return owner.equals(principal.actor());
  }

  private static Refused notFound(String reservationId) {
    return Refused.of(Rejection.RESERVATION_NOT_FOUND, "no reservation " + reservationId);
  }

  /**
   * The request in one canonical form, digested: the JSON body that asks for it over REST, keys
   * sorted and compact, with {@code ttlSeconds} only when the request names one. The REST API
   * fingerprinted exactly that body before this form existed, so fingerprints already in the
   * journal still match their retries.
   */
  static String fingerprint(NewReservation request) {
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    body.put("channel", request.channel());
    var lines = body.putArray("lines");
    for (ReservationLine l : request.lines()) {
      ObjectNode line = lines.addObject();
      if (l.unallocated()) line.put("pool", l.pool());
      else line.put("location", l.location());
      line.put("quantity", l.quantity()).put("sku", l.sku());
      if (l.split() != null) line.put("split", l.split());
      if (l.mayWait()) line.put("allowBackorder", true);
    }
    request.ttlSeconds().ifPresent(ttl -> body.put("ttlSeconds", ttl));
    if (request.customerId() != null) body.put("customerId", request.customerId());
    return Idempotency.fingerprint(body);
  }

  /**
   * Routes a reservation id to its hold (one line) or its reservation entity (a cart); an id that
   * can be neither is not found.
   */
  private CompletionStage<ReservationReply> existing(
      String reservationId,
      BiFunction<StockItemId, String, CompletionStage<StockReply>> singleLine,
      Function<String, CompletionStage<ReservationReply>> multiLine) {
    Optional<ReservationIds.Route> route = ReservationIds.parse(reservationId);
    if (route.isEmpty()) return CompletableFuture.completedFuture(notFound(reservationId));
    return switch (route.get()) {
      case ReservationIds.SingleLine one ->
          singleLine
              .apply(one.item(), one.holdId())
              .thenApply(reply -> singleLine(one.item(), reply, 0));
      case ReservationIds.MultiLine many -> multiLine.apply(many.key());
    };
  }

  /**
   * A stock item's answer about one hold, as a reservation's; {@code requested} names a short line.
   */
  private static ReservationReply singleLine(StockItemId item, StockReply reply, long requested) {
    return switch (reply) {
      case HoldReply h ->
          new View(
              h.hold().reservationId(),
              h.hold().status(),
              h.hold().channel(),
              h.hold().expiresAt(),
              List.of(
                  new ReservationLine(
                      item.location(),
                      item.sku(),
                      h.hold().quantity(),
                      null,
                      null,
                      h.hold().status() == HoldStatus.BACKORDERED ? true : null)),
              h.hold().actor());
      case Rejected r
          when r.reason() == Rejection.INSUFFICIENT_STOCK
              || r.reason() == Rejection.CUSTOMER_LIMIT ->
          new Refused(
              r.reason(),
              r.detail(),
              List.of(new ShortLine(item.location(), item.sku(), requested, r.available())));
      case Rejected r -> Refused.of(r.reason(), r.detail());
      case Unavailable u -> new NotNow(u.reason(), u.detail());
      default -> throw new IllegalStateException("unexpected reply to a hold " + reply);
    };
  }
}
