package io.stockhold.api.grpc;

import io.stockhold.access.Access;
import io.stockhold.access.Principal;
import io.stockhold.access.Scope;
import io.stockhold.api.grpc.v1.PointOfSalePowerApi;
import io.stockhold.api.grpc.v1.Pos;
import io.stockhold.readmodel.StockLevels;
import io.stockhold.reservation.Kit;
import io.stockhold.reservation.KitStock;
import io.stockhold.reservation.Pool;
import io.stockhold.reservation.ReservationLine;
import io.stockhold.reservation.ReservationReply;
import io.stockhold.reservation.ReservationService;
import io.stockhold.reservation.ReservationService.NewReservation;
import io.stockhold.stock.LevelTopics;
import io.stockhold.stock.LevelUpdate;
import io.stockhold.stock.StockItemId;
import io.stockhold.stock.StockItems;
import io.stockhold.stock.StockReply;
import io.stockhold.stock.StockReply.HoldStatus;
import io.stockhold.stock.StockReply.LevelReply;
import io.stockhold.stock.StockReply.Rejected;
import io.stockhold.stock.StockReply.SaleReply;
import io.stockhold.stock.StockReply.Unavailable;
import io.stockhold.stock.StockRequest;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.grpc.javadsl.Metadata;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The POS bridge: in-store terminals reserve at scan, commit at payment, watch the shelf and sync
 * the sales they made offline, over the same stock items, reservations and idempotency keys as the
 * REST API. Thin: it checks the input, asks the engine, and maps the answer.
 */
public final class PointOfSaleService implements PointOfSalePowerApi {

  /** Every POS reservation is on this channel. */
  public static final String CHANNEL = "pos";

  private static final Logger LOG = LoggerFactory.getLogger(PointOfSaleService.class);

  private final ActorSystem<?> system;
  private final StockItems items;
  private final ReservationService reservations;
  private final StockLevels levels;
  private final LevelTopics topics;
  private final PosSettings settings;
  private final Clock clock;
  private final Access access;

  public PointOfSaleService(
      ActorSystem<?> system,
      StockItems items,
      ReservationService reservations,
      StockLevels levels,
      PosSettings settings,
      Clock clock,
      Access access) {
    this.system = system;
    this.items = items;
    this.reservations = reservations;
    this.levels = levels;
    this.topics = LevelTopics.get(system);
    this.settings = settings;
    this.clock = clock;
    this.access = access;
  }

  // ------------------------------------------------------------------ reservations

  @Override
  public CompletionStage<Pos.Reservation> reserve(Pos.ReserveRequest in, Metadata metadata) {
    PosInput check = new PosInput();
    check.requestId(in.getRequestId());
    check.terminalId("terminal_id", in.getTerminalId(), false);
    List<Pos.Line> lines = check.lines(in.getLinesList());
    check.ttlSeconds(in.getTtlSeconds());
    check.customerId(in.getCustomerId());
    // A POS request always names its hold time: 0 is the POS default, filled in here. So its
    // fingerprint is the one the bridge has always journaled (its hold time included), and a REST
    // client's default (a different one) never applies to a till.
    long ttlSeconds =
        in.getTtlSeconds() == 0 ? settings.defaultTtl().toSeconds() : in.getTtlSeconds();
    var request =
        new NewReservation(
            CHANNEL,
            lines.stream().map(PointOfSaleService::asked).toList(),
            OptionalLong.of(ttlSeconds),
            in.getCustomerId().isEmpty() ? null : in.getCustomerId());
    boolean pooled = request.lines().stream().anyMatch(ReservationLine::unallocated);
    CompletionStage<Map<String, Pool>> pools =
        pooled ? reservations.poolsOf(request) : CompletableFuture.completedFuture(Map.of());
    return pools.thenCompose(
        found -> {
          // Every location a line names, and every location of every pool a line names.
          List<String> locations = new ArrayList<>();
          for (ReservationLine line : request.lines()) {
            if (!line.unallocated()) locations.add(line.location());
            else if (found.containsKey(line.pool()))
              locations.addAll(found.get(line.pool()).locations());
          }
          Principal principal;
          try {
            principal = caller(metadata, Scope.RESERVATIONS_WRITE, locations);
          } catch (GrpcServiceException refused) {
            return failed(refused);
          }
          int opened = reservations.withKitsOpened(request.lines()).size();
          if (opened > ReservationService.MAX_LINES) {
            check.problem(
                "lines",
                "holds "
                    + opened
                    + " lines once its kits are opened; at most "
                    + ReservationService.MAX_LINES);
          }
          for (int i = 0; i < request.lines().size(); i++) {
            ReservationLine line = request.lines().get(i);
            if (line.mayWait() && reservations.kitOf(line).isPresent()) {
              check.problem(
                  "lines[" + i + "].allow_backorder",
                  line.sku() + " is a kit: its items are held together, and cannot wait for stock");
            }
          }
          if (!check.ok()) return failed(GrpcStatus.invalid(check.problems()));
          Optional<String> key =
              in.getRequestId().isEmpty() ? Optional.empty() : Optional.of(in.getRequestId());
          return reservations
              .reserve(request, key, settings.defaultTtl(), principal)
              .thenApply(PointOfSaleService::reservation);
        });
  }

  private static ReservationLine asked(Pos.Line l) {
    if (l.getPool().isEmpty() && l.getAllowBackorder())
      return ReservationLine.backorderable(l.getLocation(), l.getSku(), l.getQuantity());
    if (l.getPool().isEmpty())
      return new ReservationLine(l.getLocation(), l.getSku(), l.getQuantity());
    return ReservationLine.fromPool(
        l.getPool(), l.getSku(), l.getQuantity(), l.hasSplit() ? l.getSplit() : null);
  }

  @Override
  public CompletionStage<Pos.Reservation> commit(Pos.ReservationRef in, Metadata metadata) {
    return existing(in, metadata, reservations::commit);
  }

  @Override
  public CompletionStage<Pos.Reservation> release(Pos.ReservationRef in, Metadata metadata) {
    return existing(in, metadata, reservations::release);
  }

  private CompletionStage<Pos.Reservation> existing(
      Pos.ReservationRef in,
      Metadata metadata,
      BiFunction<String, Principal, CompletionStage<ReservationReply>> operation) {
    Principal principal;
    try {
      principal = caller(metadata, Scope.RESERVATIONS_WRITE, List.of());
    } catch (GrpcServiceException refused) {
      return failed(refused);
    }
    PosInput check = new PosInput();
    String id = check.reservationId(in.getReservationId());
    if (!check.ok()) return failed(GrpcStatus.invalid(check.problems()));
    return operation.apply(id, principal).thenApply(PointOfSaleService::reservation);
  }

  private static Pos.Reservation reservation(ReservationReply reply) {
    return switch (reply) {
      case ReservationReply.View v ->
          Pos.Reservation.newBuilder()
              .setReservationId(v.reservationId())
              .setStatus(status(v.status()))
              .addAllLines(
                  ReservationLine.asAsked(v.lines()).stream()
                      .map(PointOfSaleService::line)
                      .toList())
              // 0: none yet (a backordered reservation)
              .setExpiresAtEpochMs(v.expiresAt() == null ? 0 : v.expiresAt().toEpochMilli())
              .build();
      case ReservationReply.Refused refused -> throw GrpcStatus.of(refused);
      case ReservationReply.NotNow notNow -> throw GrpcStatus.of(notNow);
    };
  }

  private static Pos.Line line(ReservationLine.Asked l) {
    Pos.Line.Builder line = Pos.Line.newBuilder().setSku(l.sku()).setQuantity(l.quantity());
    if (l.allowBackorder() != null) line.setAllowBackorder(l.allowBackorder());
    if (l.kit() != null) line.setKit(l.kit());
    if (l.pool() == null) return line.setLocation(l.location()).build();
    line.setPool(l.pool());
    for (ReservationLine.Allocation a : l.allocations()) {
      line.addAllocations(
          Pos.Allocation.newBuilder().setLocation(a.location()).setQuantity(a.quantity()));
    }
    return line.build();
  }

  private static Pos.ReservationStatus status(HoldStatus status) {
    return switch (status) {
      case HELD -> Pos.ReservationStatus.RESERVATION_STATUS_HELD;
      case COMMITTED -> Pos.ReservationStatus.RESERVATION_STATUS_COMMITTED;
      case RELEASED -> Pos.ReservationStatus.RESERVATION_STATUS_RELEASED;
      case EXPIRED -> Pos.ReservationStatus.RESERVATION_STATUS_EXPIRED;
      case BACKORDERED -> Pos.ReservationStatus.RESERVATION_STATUS_BACKORDERED;
    };
  }

  /** A reply that is not the success the call expected. */
  private static GrpcServiceException failure(StockReply reply) {
    return switch (reply) {
      case Rejected r -> GrpcStatus.of(r);
      case Unavailable u -> GrpcStatus.of(u);
      default -> throw new IllegalStateException("unexpected reply " + reply);
    };
  }

  // ------------------------------------------------------------------ stock

  @Override
  public CompletionStage<Pos.StockLevel> getStock(Pos.StockRef in, Metadata metadata) {
    try {
      caller(metadata, Scope.STOCK_READ, List.of(in.getLocation()));
    } catch (GrpcServiceException refused) {
      return failed(refused);
    }
    PosInput check = new PosInput();
    String location = check.location("location", in.getLocation());
    String sku = check.sku("sku", in.getSku());
    if (!check.ok()) return failed(GrpcStatus.invalid(check.problems()));
    Optional<Kit> kit =
        reservations.kits() == null ? Optional.empty() : reservations.kits().get(sku);
    if (kit.isPresent()) {
      // A kit has no shelf of its own: how many whole kits its components make here.
      return KitStock.at(items, location, kit.get())
          .thenApply(
              answer ->
                  switch (answer) {
                    case KitStock.Counted c ->
                        level(new LevelUpdate(location, sku, 0, 0, c.level().available(), 0));
                    case KitStock.NotNow n -> throw failure(n.reply());
                  });
    }
    return items
        .level(new StockItemId(location, sku))
        .thenApply(
            reply -> {
              if (reply instanceof LevelReply l) {
                return level(
                    new LevelUpdate(
                        location,
                        sku,
                        l.level().onHand(),
                        l.level().reserved(),
                        l.level().available(),
                        0,
                        l.level().incoming(),
                        l.level().backordered()));
              }
              throw failure(reply);
            });
  }

  private static Pos.StockLevel level(LevelUpdate u) {
    return Pos.StockLevel.newBuilder()
        .setLocation(u.location())
        .setSku(u.sku())
        .setOnHand(u.onHand())
        .setReserved(u.reserved())
        .setAvailable(u.available())
        .setIncoming(u.incoming())
        .setBackordered(u.backordered())
        .build();
  }

  /**
   * The current level of each watched item, then every change. Changes come from the location's
   * topic; the starting levels from the items themselves (listed skus) or the read model (the whole
   * location), read once more after {@code watch-catch-up} in case a change was published before
   * this node's subscription was known across the cluster. Per item the level with the highest
   * sequence number wins and an older one is never sent after a newer; while the client reads
   * slowly, updates of one item collapse into its latest, so a stream holds at most one pending
   * level per item.
   */
  @Override
  public Source<Pos.StockLevel, NotUsed> watchStock(Pos.WatchStockRequest in, Metadata metadata) {
    try {
      caller(metadata, Scope.STOCK_READ, List.of(in.getLocation()));
    } catch (GrpcServiceException refused) {
      return Source.failed(refused);
    }
    PosInput check = new PosInput();
    String location = check.location("location", in.getLocation());
    List<String> listed = check.skus(in.getSkusList(), settings.maxWatchedSkus());
    if (!check.ok()) return Source.failed(GrpcStatus.invalid(check.problems()));
    Set<String> skus = new LinkedHashSet<>(listed);

    // The conflation below always takes what arrives, so this buffer only bridges the actor to the
    // stream and does not fill; were it to, the oldest update would be dropped, not memory grown.
    Source<LevelUpdate, NotUsed> changes =
        ActorSource.<LevelUpdate>actorRef(
                u -> false, u -> Optional.empty(), 64, OverflowStrategy.dropHead())
            .mapMaterializedValue(
                ref -> {
                  subscribe(location, ref);
                  return NotUsed.getInstance();
                })
            .filter(u -> skus.isEmpty() || skus.contains(u.sku()));
    Source<LevelUpdate, NotUsed> start =
        Source.lazyCompletionStage(() -> current(location, skus)).mapConcat(l -> l);
    Source<LevelUpdate, NotUsed> catchUp =
        Source.single(NotUsed.getInstance())
            .initialDelay(settings.watchCatchUp())
            .mapAsync(1, x -> current(location, skus))
            .mapConcat(l -> l);

    return changes
        .merge(start)
        .merge(catchUp)
        .conflateWithSeed(PointOfSaleService::latestBySku, PointOfSaleService::keepLatest)
        .mapConcat(Map::values)
        .statefulMap(
            () -> new HashMap<String, Long>(),
            (sent, u) -> {
              Long last = sent.get(u.sku());
              if (last != null && last >= u.sequenceNr())
                return Pair.create(sent, Optional.<LevelUpdate>empty());
              sent.put(u.sku(), u.sequenceNr());
              return Pair.create(sent, Optional.of(u));
            },
            sent -> Optional.empty())
        .filter(Optional::isPresent)
        .map(u -> level(u.get()));
  }

  private void subscribe(String location, ActorRef<LevelUpdate> watcher) {
    // The topic forgets a watcher when its stream ends (it watches the subscriber).
    topics.topic(location).tell(Topic.subscribe(watcher));
  }

  private static TreeMap<String, LevelUpdate> latestBySku(LevelUpdate u) {
    TreeMap<String, LevelUpdate> m = new TreeMap<>();
    m.put(u.sku(), u);
    return m;
  }

  private static TreeMap<String, LevelUpdate> keepLatest(
      TreeMap<String, LevelUpdate> m, LevelUpdate u) {
    m.merge(u.sku(), u, (old, now) -> now.sequenceNr() >= old.sequenceNr() ? now : old);
    return m;
  }

  /** The levels to start from: asked of the listed items, or read for the whole location. */
  private CompletionStage<List<LevelUpdate>> current(String location, Set<String> skus) {
    if (skus.isEmpty()) {
      return levels
          .atLocation(location, settings.maxWatchedItems())
          .exceptionally(
              failure -> {
                throw GrpcStatus.of(
                    new Unavailable(
                        Unavailable.Reason.RESTARTING,
                        "the stock levels of "
                            + location
                            + " cannot be read now: "
                            + failure.getMessage()));
              });
    }
    List<CompletableFuture<LevelUpdate>> asks = new ArrayList<>();
    for (String sku : skus) {
      // An item that does not answer in time is left to the catch-up read and its next change.
      asks.add(
          items
              .levelUpdate(new StockItemId(location, sku))
              .toCompletableFuture()
              .exceptionally(timeout -> null));
    }
    return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new))
        .thenApply(
            done -> asks.stream().map(CompletableFuture::join).filter(u -> u != null).toList());
  }

  // ------------------------------------------------------------------ offline sales

  private enum Outcome {
    APPLIED,
    DUPLICATE,
    OVERSOLD,
    REJECTED
  }

  private record Tally(String terminal, int applied, int duplicates, int oversold, int rejected) {
    Tally add(Pair<String, Outcome> o) {
      String t = terminal.isEmpty() ? o.first() : terminal;
      return switch (o.second()) {
        case APPLIED -> new Tally(t, applied + 1, duplicates, oversold, rejected);
        case DUPLICATE -> new Tally(t, applied, duplicates + 1, oversold, rejected);
        // An oversold sale is applied too (the units left the store): counted under both.
        case OVERSOLD -> new Tally(t, applied + 1, duplicates, oversold + 1, rejected);
        case REJECTED -> new Tally(t, applied, duplicates, oversold, rejected + 1);
      };
    }
  }

  /**
   * Each sale recorded once per sale id, whatever the books say. An invalid sale is counted as
   * rejected and logged, and the stream goes on; an item that cannot answer in time fails the
   * stream with {@code UNAVAILABLE}: the terminal sends the batch again, and its sale ids make that
   * safe.
   */
  @Override
  public CompletionStage<Pos.SyncSummary> syncOfflineSales(
      Source<Pos.OfflineSale, NotUsed> in, Metadata metadata) {
    Principal principal;
    try {
      principal = caller(metadata, Scope.POS, List.of());
    } catch (GrpcServiceException refused) {
      return failed(refused);
    }
    return in.map(sale -> atOwnLocation(principal, sale))
        .mapAsync(settings.syncParallelism(), sale -> record(sale, principal))
        .runFold(new Tally("", 0, 0, 0, 0), Tally::add, system)
        .thenApply(
            t -> {
              LOG.info(
                  "offline sales from terminal {}: applied {}, duplicates {}, oversold {}, rejected"
                      + " {}",
                  t.terminal(),
                  t.applied(),
                  t.duplicates(),
                  t.oversold(),
                  t.rejected());
              return Pos.SyncSummary.newBuilder()
                  .setApplied(t.applied())
                  .setDuplicates(t.duplicates())
                  .setOversold(t.oversold())
                  .setRejected(t.rejected())
                  .build();
            });
  }

  /** A sale at a location the key may not touch fails the stream: the batch is refused. */
  private Pos.OfflineSale atOwnLocation(Principal principal, Pos.OfflineSale sale) {
    Optional<String> denial = access.denial(principal, Scope.POS, List.of(sale.getLocation()));
    if (denial.isPresent())
      throw GrpcStatus.permissionDenied("sale " + sale.getSaleId() + ": " + denial.get());
    return sale;
  }

  /**
   * The caller behind the call's {@code authorization} metadata, when it holds the POS scope and
   * {@code scope} at every one of {@code locations}; otherwise {@code UNAUTHENTICATED}, {@code
   * PERMISSION_DENIED} or {@code RESOURCE_EXHAUSTED}, before anything is asked of an item.
   */
  private Principal caller(Metadata metadata, Scope scope, List<String> locations) {
    Principal principal =
        switch (access.authenticate(metadata.getText("authorization"))) {
          case Access.Allowed allowed -> allowed.principal();
          case Access.Unauthenticated refused -> throw GrpcStatus.unauthenticated(refused.detail());
          case Access.RateLimited limited ->
              throw GrpcStatus.rateLimited(limited.keyId(), limited.retryAfterSeconds());
        };
    Optional<String> denial =
        access
            .denial(principal, Scope.POS, List.of())
            .or(() -> access.denial(principal, scope, locations));
    if (denial.isPresent()) throw GrpcStatus.permissionDenied(denial.get());
    return principal;
  }

  private CompletionStage<Pair<String, Outcome>> record(Pos.OfflineSale sale, Principal principal) {
    PosInput check = new PosInput();
    check.sale(sale, clock.instant());
    if (!check.ok()) {
      LOG.warn(
          "offline sale {} from terminal {} rejected: {}",
          sale.getSaleId(),
          sale.getTerminalId(),
          String.join("; ", check.problems()));
      return CompletableFuture.completedFuture(Pair.create(sale.getTerminalId(), Outcome.REJECTED));
    }
    StockItemId item = new StockItemId(sale.getLocation(), sale.getSku());
    var request =
        new StockRequest.RecordOfflineSale(
            sale.getSaleId(),
            sale.getTerminalId(),
            sale.getQuantity(),
            Instant.ofEpochMilli(sale.getSoldAtEpochMs()),
            principal.actor());
    return items
        .submit(item, request)
        .thenApply(
            reply ->
                Pair.create(
                    sale.getTerminalId(),
                    switch (reply) {
                      case SaleReply s ->
                          switch (s.outcome()) {
                            case APPLIED -> Outcome.APPLIED;
                            case OVERSOLD -> {
                              LOG.info(
                                  "offline sale {} of {} x {} oversold: onHand now {}",
                                  sale.getSaleId(),
                                  item,
                                  sale.getQuantity(),
                                  s.level().onHand());
                              yield Outcome.OVERSOLD;
                            }
                            case DUPLICATE -> Outcome.DUPLICATE;
                          };
                      case Rejected r -> {
                        LOG.warn(
                            "offline sale {} from terminal {} rejected: {}",
                            sale.getSaleId(),
                            sale.getTerminalId(),
                            r.detail());
                        yield Outcome.REJECTED;
                      }
                      case Unavailable u ->
                          throw GrpcStatus.of(
                              new Unavailable(
                                  u.reason(),
                                  "sale "
                                      + sale.getSaleId()
                                      + ": "
                                      + u.detail()
                                      + "; send the batch again, sale ids make that safe"));
                      default -> throw new IllegalStateException("unexpected reply " + reply);
                    }));
  }

  private static <T> CompletionStage<T> failed(Throwable failure) {
    return CompletableFuture.failedFuture(failure);
  }
}
