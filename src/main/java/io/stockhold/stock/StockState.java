package io.stockhold.stock;

import io.stockhold.stock.StockEvent.BackorderFilled;
import io.stockhold.stock.StockEvent.HoldBackordered;
import io.stockhold.stock.StockEvent.HoldCommitted;
import io.stockhold.stock.StockEvent.HoldExpired;
import io.stockhold.stock.StockEvent.HoldExtended;
import io.stockhold.stock.StockEvent.HoldPlaced;
import io.stockhold.stock.StockEvent.HoldReleased;
import io.stockhold.stock.StockEvent.IncomingRecorded;
import io.stockhold.stock.StockEvent.LowStockCrossed;
import io.stockhold.stock.StockEvent.OfflineSaleRecorded;
import io.stockhold.stock.StockEvent.PolicyChanged;
import io.stockhold.stock.StockEvent.ShortageDetected;
import io.stockhold.stock.StockEvent.StockAdjusted;
import io.stockhold.stock.StockEvent.TransferReceived;
import io.stockhold.stock.StockEvent.TransferShipped;
import io.stockhold.stock.StockReply.HoldReply;
import io.stockhold.stock.StockReply.HoldStatus;
import io.stockhold.stock.StockReply.HoldView;
import io.stockhold.stock.StockReply.Level;
import io.stockhold.stock.StockReply.LevelReply;
import io.stockhold.stock.StockReply.Rejected;
import io.stockhold.stock.StockReply.Rejection;
import io.stockhold.stock.StockReply.SaleOutcome;
import io.stockhold.stock.StockReply.SaleReply;
import io.stockhold.stock.StockReply.Unavailable;
import io.stockhold.stock.StockRequest.Adjust;
import io.stockhold.stock.StockRequest.ChangePolicy;
import io.stockhold.stock.StockRequest.Commit;
import io.stockhold.stock.StockRequest.Extend;
import io.stockhold.stock.StockRequest.ReceiveTransfer;
import io.stockhold.stock.StockRequest.RecordIncoming;
import io.stockhold.stock.StockRequest.RecordOfflineSale;
import io.stockhold.stock.StockRequest.Release;
import io.stockhold.stock.StockRequest.Reserve;
import io.stockhold.stock.StockRequest.ShipTransfer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.pcollections.TreePSet;

/**
 * The books of one stock item and the rules that change them. Immutable and free of Pekko: {@link
 * #decideBatch} turns requests into events and replies, {@link #apply} folds an event in. Time is
 * always passed in, never read.
 *
 * <p>{@code reserved} is the sum of the active holds. A hold past its deadline is expired (with a
 * journaled {@code HoldExpired}) at the start of a decision — a bounded number per decision, the
 * rest at the next ones — and until then it is never counted and never committed: decisions and
 * reads leave it out ({@link #levelAt}).
 */
public record StockState(
    String location,
    String sku,
    boolean stocked,
    long onHand,
    long reserved,
    long safetyStock,
    long reorderPoint,
    long reorderQuantity,
    boolean lowStockSignalled,
    boolean shortageSignalled,
    IdMap<Hold> holds,
    TreePSet<Deadline> deadlines,
    Recent<FinishedHold> finishedHolds,
    Recent<AppliedAdjustment> adjustments,
    Recent<RecordedSale> sales,
    SellingRules rules,
    IdMap<Long> heldByChannel,
    Customers customers,
    Supply supply) {

  /** The actor of what no caller asked for: a hold's expiry. */
  public static final String SYSTEM = "system";

  /** Finished holds are remembered at least this long, so a late retry is answered. */
  public static final Duration FINISHED_HOLD_RETENTION = Duration.ofHours(24);

  /** ... unless an item finishes more holds than this within the retention period. */
  public static final int FINISHED_HOLD_LIMIT = 100_000;

  /** Adjustment idempotency keys (and, later, receipt and sale ids) are kept at least this long. */
  public static final Duration ADJUSTMENT_RETENTION = Duration.ofDays(30);

  public static final int ADJUSTMENT_LIMIT = 100_000;

  /** Offline sale ids are kept at least this long: a terminal may come back online late. */
  public static final Duration SALE_RETENTION = Duration.ofDays(30);

  public static final int SALE_LIMIT = 100_000;

  /**
   * {@code actor}: who placed the hold and owns it (null: placed before keys existed); {@code
   * customerId}: whom its units are for (null: not said).
   */
  public record Hold(
      String holdId,
      String reservationId,
      String channel,
      long quantity,
      Instant expiresAt,
      Instant grantedExpiresAt,
      String fingerprint,
      String actor,
      String customerId) {
    public Hold(
        String holdId,
        String reservationId,
        String channel,
        long quantity,
        Instant expiresAt,
        Instant grantedExpiresAt,
        String fingerprint,
        String actor) {
      this(
          holdId,
          reservationId,
          channel,
          quantity,
          expiresAt,
          grantedExpiresAt,
          fingerprint,
          actor,
          null);
    }

    public Hold(
        String holdId,
        String reservationId,
        String channel,
        long quantity,
        Instant expiresAt,
        Instant grantedExpiresAt,
        String fingerprint) {
      this(
          holdId,
          reservationId,
          channel,
          quantity,
          expiresAt,
          grantedExpiresAt,
          fingerprint,
          null,
          null);
    }

    /** The same hold with a new deadline; what it was granted with stays. */
    Hold until(Instant newExpiresAt) {
      return new Hold(
          holdId,
          reservationId,
          channel,
          quantity,
          newExpiresAt,
          grantedExpiresAt,
          fingerprint,
          actor,
          customerId);
    }
  }

  public record FinishedHold(Hold hold, HoldStatus status) {}

  /** What an adjustment with an idempotency key answered, to replay it. */
  public record AppliedAdjustment(String fingerprint, Level level) {}

  /** What an offline sale was, to tell a replay from a reused sale id. */
  public record RecordedSale(String terminalId, long quantity, Instant soldAt, Level level) {}

  /** Holds ordered by deadline, so the next expiry is found without a scan. */
  public record Deadline(Instant expiresAt, String holdId) implements Comparable<Deadline> {
    @Override
    public int compareTo(Deadline o) {
      int c = expiresAt.compareTo(o.expiresAt);
      return c != 0 ? c : holdId.compareTo(o.holdId);
    }
  }

  /** The events a batch produced and one reply per request, in request order. */
  public record BatchDecision(
      List<StockEvent> events, List<StockReply> replies, StockState after) {}

  public static StockState empty(StockItemId id) {
    return new StockState(
        id.location(),
        id.sku(),
        false,
        0,
        0,
        0,
        0,
        0,
        false,
        false,
        IdMap.empty(),
        TreePSet.empty(),
        Recent.empty(),
        Recent.empty(),
        Recent.empty(),
        SellingRules.NONE,
        IdMap.empty(),
        Customers.empty(),
        Supply.NONE);
  }

  public static long available(long onHand, long reserved, long safetyStock) {
    return Math.max(0, onHand - reserved - safetyStock);
  }

  /** Units a new hold may take: those on hand less the held, the kept and the backordered. */
  public long available() {
    return availableWith(onHand, reserved);
  }

  /** {@link #available()} were {@code onHand} and {@code reserved} these. */
  private long availableWith(long onHand, long reserved) {
    return available(onHand, reserved + supply.backordered(), safetyStock);
  }

  public Level level() {
    return new Level(
        onHand,
        reserved,
        available(),
        safetyStock,
        reorderPoint,
        reorderQuantity,
        Map.of(),
        supply.incomingTotal(),
        supply.backordered(),
        supply.incomingEntries());
  }

  /** The level as of {@code now}: holds past their deadline no longer count, journaled or not. */
  public Level levelAt(Instant now) {
    Lapsed lapsed = lapsedAt(now);
    long held = reserved - lapsed.units;
    Map<String, Long> byChannel = new LinkedHashMap<>();
    if (rules.fencesChannels()) {
      for (String channel : rules.channelReserve().keySet()) {
        byChannel.put(channel, Math.max(0, availableTo(channel, lapsed) - supply.backordered()));
      }
      byChannel.put(
          OTHER_CHANNELS, Math.max(0, availableTo(OTHER_CHANNELS, lapsed) - supply.backordered()));
    }
    return new Level(
        onHand,
        held,
        availableWith(onHand, held),
        safetyStock,
        reorderPoint,
        reorderQuantity,
        byChannel,
        supply.incomingTotal(),
        supply.backordered(),
        supply.incomingEntries());
  }

  /** In {@code availableByChannel}: every channel the item keeps no units for. */
  public static final String OTHER_CHANNELS = "*";

  /**
   * Units on the shelf {@code channel} may take: the free units less every other channel's unused
   * fence (what it keeps beyond its own live holds), before the backorders' claim. A fence is not
   * used up by commits: once a channel's holds are sold or gone, its fence keeps as many units
   * again.
   */
  private long availableTo(String channel, Lapsed lapsed) {
    long free = available(onHand, reserved - lapsed.units, safetyStock);
    for (Map.Entry<String, Long> fence : rules.channelReserve().entrySet()) {
      if (fence.getKey().equals(channel)) continue;
      long live =
          heldByChannel.getOrDefault(fence.getKey(), 0L)
              - lapsed.byChannel.getOrDefault(fence.getKey(), 0L);
      free -= Math.max(0, fence.getValue() - live);
    }
    return Math.max(0, free);
  }

  /**
   * Units of the active holds past their deadline at some moment, not expired yet: never counted.
   * By channel and by customer only where the item's rules need them.
   */
  private final class Lapsed {
    long units;
    // Empty and never added to for an item without rules: most items, on every request.
    final Map<String, Long> byChannel = rules.any() ? new HashMap<>() : Map.of();
    final Map<String, Long> byCustomer = rules.any() ? new HashMap<>() : Map.of();

    void add(Hold h, long sign) {
      units += sign * h.quantity();
      if (!rules.any()) return;
      byChannel.merge(h.channel(), sign * h.quantity(), Long::sum);
      if (h.customerId() != null) byCustomer.merge(h.customerId(), sign * h.quantity(), Long::sum);
    }
  }

  private Lapsed lapsedAt(Instant now) {
    Lapsed lapsed = new Lapsed();
    for (Deadline d : deadlines) {
      if (d.expiresAt().isAfter(now)) break;
      lapsed.add(holds.get(d.holdId()), 1);
    }
    return lapsed;
  }

  /** The earliest deadline among the active holds. */
  public Optional<Instant> nextDeadline() {
    return deadlines.isEmpty() ? Optional.empty() : Optional.of(deadlines.first().expiresAt());
  }

  public boolean hasActiveHolds() {
    return !holds.isEmpty();
  }

  /**
   * What a snapshot of this state carries besides its quantities: the active holds and the
   * remembered outcomes (finished holds, adjustments, offline sales). A snapshot costs about this
   * many entries to write and to read.
   */
  public int snapshotEntries() {
    return holds.size()
        + finishedHolds.size()
        + adjustments.size()
        + sales.size()
        + supply.waiting().size()
        + supply.recordedIncoming().size()
        + supply.shipped().size();
  }

  /** The hold as of {@code now}: active, finished, or past its deadline but not yet journaled. */
  public Optional<HoldView> holdAt(String holdId, Instant now) {
    Supply.Backorder waiting = supply.waiting().get(holdId);
    if (waiting != null) return Optional.of(view(waiting.asHold(), HoldStatus.BACKORDERED, null));
    Hold active = holds.get(holdId);
    if (active != null) {
      HoldStatus status = active.expiresAt().isAfter(now) ? HoldStatus.HELD : HoldStatus.EXPIRED;
      return Optional.of(view(active, status, active.expiresAt()));
    }
    return finishedHolds.get(holdId).map(f -> view(f.hold(), f.status(), f.hold().expiresAt()));
  }

  // ---------------------------------------------------------------- deciding

  /**
   * Decides {@code requests} in order at {@code now}, as if one after another: first every hold
   * past its deadline expires, then each request sees the state its predecessors left.
   */
  public BatchDecision decideBatch(List<? extends StockRequest> requests, Instant now) {
    return decideBatch(requests, now, Integer.MAX_VALUE);
  }

  /**
   * As {@link #decideBatch(List, Instant)}, but journals at most {@code maxExpiries} expiries, so
   * one write stays small however many holds lapsed at once (a flash sale's holds, or an item
   * recovering after its holds' deadlines). The lapsed holds left over stay in the books until a
   * later batch expires them, yet they are never counted: a reserve decides as if they were gone,
   * and a commit, release or extend of one expires it first and answers as for an expired hold.
   */
  public BatchDecision decideBatch(
      List<? extends StockRequest> requests, Instant now, int maxExpiries) {
    List<StockEvent> events = new ArrayList<>();
    StockState state = this;
    Lapsed lapsed = lapsedAt(now);
    int expired = 0;
    for (Deadline d : deadlines) {
      if (expired == maxExpiries || d.expiresAt().isAfter(now)) break;
      Hold hold = holds.get(d.holdId());
      lapsed.add(hold, -1);
      state = state.record(state.expire(hold, now), events, now, lapsed);
      expired++;
    }
    List<StockReply> replies = new ArrayList<>(requests.size());
    for (StockRequest request : requests) {
      Hold touched = lapsed.units > 0 ? state.lapsedHoldOf(request, now) : null;
      if (touched != null) {
        lapsed.add(touched, -1);
        state = state.record(state.expire(touched, now), events, now, lapsed);
      }
      Decision decision = state.decide(request, now, lapsed);
      for (StockEvent e : decision.events()) state = state.record(e, events, now, lapsed);
      replies.add(decision.reply().apply(state));
    }
    return new BatchDecision(events, replies, state);
  }

  /** The active hold {@code request} commits, releases or extends, if it is past its deadline. */
  private Hold lapsedHoldOf(StockRequest request, Instant now) {
    String holdId =
        switch (request) {
          case Commit c -> c.holdId();
          case Release r -> r.holdId();
          case Extend e -> e.holdId();
          default -> null;
        };
    Hold hold = holdId == null ? null : holds.get(holdId);
    return hold != null && !hold.expiresAt().isAfter(now) ? hold : null;
  }

  /** An event to journal, and the reply to give once the state includes it. */
  private record Decision(List<StockEvent> events, Function<StockState, StockReply> reply) {
    static Decision reply(StockReply reply) {
      return new Decision(List.of(), s -> reply);
    }

    static Decision of(StockEvent event, Function<StockState, StockReply> reply) {
      return new Decision(List.of(event), reply);
    }
  }

  /** Applies {@code event}, adds it to {@code events}, then any edge-triggered signal it caused. */
  private StockState record(StockEvent event, List<StockEvent> events, Instant now, Lapsed lapsed) {
    events.add(event);
    StockState next = apply(event);
    if (next.supply.hasBackorders()) next = next.fillBackorders(events, now, lapsed, event.actor());
    long counted = next.reserved - lapsed.units;
    if (next.reorderPoint > 0
        && !next.lowStockSignalled
        && next.availableWith(next.onHand, counted) <= next.reorderPoint) {
      StockEvent low =
          new LowStockCrossed(
              location,
              sku,
              next.reorderPoint,
              next.reorderQuantity,
              next.onHand,
              next.reserved,
              next.available(),
              now,
              event.actor());
      events.add(low);
      next = next.apply(low);
    }
    if (!next.shortageSignalled && next.onHand < counted) {
      StockEvent shortage =
          new ShortageDetected(
              location,
              sku,
              counted - next.onHand,
              next.onHand,
              next.reserved,
              next.available(),
              now,
              event.actor());
      events.add(shortage);
      next = next.apply(shortage);
    }
    return next;
  }

  /**
   * Fills waiting backorders, oldest first, for as long as the next one's units are free: the queue
   * has the first claim on units that arrive, and a backorder that does not fit yet keeps the ones
   * behind it waiting (no one overtakes). {@code actor}: whose change freed the units.
   */
  private StockState fillBackorders(
      List<StockEvent> events, Instant now, Lapsed lapsed, String actor) {
    StockState s = this;
    for (Supply.Backorder next = s.supply.next(); next != null; next = s.supply.next()) {
      long free =
          s.rules.fencesChannels()
              ? s.availableTo(next.channel(), lapsed)
              : available(s.onHand, s.reserved - lapsed.units, s.safetyStock);
      if (next.quantity() > free) break;
      long reservedAfter = s.reserved + next.quantity();
      long backorderedAfter = s.supply.backordered() - next.quantity();
      BackorderFilled filled =
          new BackorderFilled(
              location,
              sku,
              next.holdId(),
              next.reservationId(),
              next.quantity(),
              now.plusSeconds(next.ttlSeconds()),
              backorderedAfter,
              s.onHand,
              reservedAfter,
              available(s.onHand, reservedAfter + backorderedAfter, s.safetyStock),
              now,
              actor == null ? SYSTEM : actor);
      events.add(filled);
      s = s.apply(filled);
    }
    return s;
  }

  /** {@code lapsed}: units of active holds past their deadline, not to be counted. */
  private Decision decide(StockRequest request, Instant now, Lapsed lapsed) {
    return switch (request) {
      case Reserve r -> reserve(r, now, lapsed);
      case Commit c -> commit(c, now);
      case Release r -> release(r, now);
      case Extend e -> extend(e, now);
      case Adjust a -> adjust(a, now);
      case ChangePolicy p -> changePolicy(p, now);
      case RecordOfflineSale s -> recordOfflineSale(s, now, lapsed);
      case RecordIncoming i -> recordIncoming(i, now);
      case ShipTransfer t -> shipTransfer(t, now, lapsed);
      case ReceiveTransfer t -> receiveTransfer(t, now);
    };
  }

  private Decision reserve(Reserve r, Instant now, Lapsed lapsed) {
    Optional<Hold> earlier =
        Optional.ofNullable(holds.get(r.holdId()))
            .or(() -> finishedHolds.get(r.holdId()).map(FinishedHold::hold))
            .or(() -> Optional.ofNullable(supply.waiting().get(r.holdId())).map(b -> b.asHold()));
    if (earlier.isPresent()) {
      Hold first = earlier.get();
      if (!Objects.equals(first.fingerprint(), r.fingerprint())) return keyReused();
      // A retry: the first answer again, whatever happened to the hold since.
      HoldStatus answered =
          first.grantedExpiresAt() == null ? HoldStatus.BACKORDERED : HoldStatus.HELD;
      return Decision.reply(new HoldReply(view(first, answered, first.grantedExpiresAt())));
    }
    if (rules.limitsCustomers()) {
      Decision refused = overCustomerLimit(r, now, lapsed);
      if (refused != null) return refused;
    }
    long free =
        rules.fencesChannels()
            ? availableTo(r.channel(), lapsed)
            : available(onHand, reserved - lapsed.units, safetyStock);
    // Units that arrive go to the backorders first: a new hold takes only what is free beyond them.
    long available = Math.max(0, free - supply.backordered());
    if (r.quantity() > available) {
      if (r.allowBackorder() && supply.backordered() + r.quantity() <= backorderRoom()) {
        return backorder(r, now);
      }
      return Decision.reply(
          new Rejected(
              Rejection.INSUFFICIENT_STOCK,
              "requested " + r.quantity() + ", available " + available,
              available));
    }
    Instant expiresAt = now.plusSeconds(r.ttlSeconds());
    long reservedAfter = reserved + r.quantity();
    HoldPlaced placed =
        new HoldPlaced(
            location,
            sku,
            r.holdId(),
            r.reservationId(),
            r.channel(),
            r.quantity(),
            expiresAt,
            r.fingerprint(),
            onHand,
            reservedAfter,
            availableWith(onHand, reservedAfter),
            now,
            r.actor(),
            r.customerId());
    return Decision.of(placed, s -> new HoldReply(s.holdAt(r.holdId(), now).orElseThrow()));
  }

  /**
   * The most units that may wait for stock at once: the item's backorder limit, and with preorders
   * on, the units still incoming besides.
   */
  private long backorderRoom() {
    return rules.backorderLimit() + (rules.preorder() ? supply.incomingTotal() : 0);
  }

  /**
   * Accepts {@code r} to wait for units. It may be filled in the same decision: a backorder that
   * the units free could take while the queue ahead of it cannot (a bigger one waits first) stays.
   */
  private Decision backorder(Reserve r, Instant now) {
    long backorderedAfter = supply.backordered() + r.quantity();
    HoldBackordered waiting =
        new HoldBackordered(
            location,
            sku,
            r.holdId(),
            r.reservationId(),
            r.channel(),
            r.quantity(),
            r.ttlSeconds(),
            r.fingerprint(),
            backorderedAfter,
            onHand,
            reserved,
            available(onHand, reserved + backorderedAfter, safetyStock),
            now,
            r.actor(),
            r.customerId());
    return Decision.of(waiting, s -> new HoldReply(s.holdAt(r.holdId(), now).orElseThrow()));
  }

  /**
   * The refusal of a hold that the item's per-customer limit forbids, or null when it may go on: a
   * customer's live holds and the commits of the window count; released and expired holds (and
   * lapsed ones) give their units back.
   */
  private Decision overCustomerLimit(Reserve r, Instant now, Lapsed lapsed) {
    String customer = r.customerId();
    if (customer == null) {
      return Decision.reply(
          Rejected.of(
              Rejection.CUSTOMER_REQUIRED,
              "stock item "
                  + location
                  + "/"
                  + sku
                  + " sells at most "
                  + rules.maxPerCustomer()
                  + " units per customer; name the customer (customerId)"));
    }
    if (!customers.knows(customer) && !customers.roomFor(now, rules.customerWindow())) {
      return Decision.reply(
          new Unavailable(
              Unavailable.Reason.OVERLOADED,
              "stock item "
                  + location
                  + "/"
                  + sku
                  + " remembers "
                  + Customers.LIMIT
                  + " customers, all of whom still count; retry later"));
    }
    long used =
        customers.held(customer)
            - lapsed.byCustomer.getOrDefault(customer, 0L)
            + customers.committedSince(customer, now.minus(rules.customerWindow()));
    long left = Math.max(0, rules.maxPerCustomer() - used);
    if (r.quantity() <= left) return null;
    return Decision.reply(
        new Rejected(
            Rejection.CUSTOMER_LIMIT,
            "customer "
                + customer
                + " may have at most "
                + rules.maxPerCustomer()
                + " of "
                + location
                + "/"
                + sku
                + " within "
                + rules.customerWindowSeconds()
                + " s; "
                + used
                + " held or bought, requested "
                + r.quantity(),
            left));
  }

  private Decision commit(Commit c, Instant now) {
    if (supply.waiting().containsKey(c.holdId())) return stillBackordered("committed");
    Hold hold = holds.get(c.holdId());
    if (hold != null) {
      long onHandAfter = onHand - hold.quantity();
      long reservedAfter = reserved - hold.quantity();
      HoldCommitted committed =
          new HoldCommitted(
              location,
              sku,
              hold.holdId(),
              hold.reservationId(),
              hold.quantity(),
              onHandAfter,
              reservedAfter,
              availableWith(onHandAfter, reservedAfter),
              now,
              c.actor());
      return Decision.of(
          committed, s -> new HoldReply(view(hold, HoldStatus.COMMITTED, hold.expiresAt())));
    }
    return finished(c.holdId(), HoldStatus.COMMITTED, List.of(HoldStatus.COMMITTED));
  }

  private static Decision stillBackordered(String asked) {
    return Decision.reply(
        Rejected.of(
            Rejection.RESERVATION_BACKORDERED,
            "the reservation waits for stock; it can be "
                + asked
                + " once it is held (or released now)"));
  }

  private Decision release(Release r, Instant now) {
    Supply.Backorder waiting = supply.waiting().get(r.holdId());
    if (waiting != null) {
      HoldReleased released =
          new HoldReleased(
              location,
              sku,
              waiting.holdId(),
              waiting.reservationId(),
              waiting.quantity(),
              onHand,
              reserved,
              available(onHand, reserved + supply.backordered() - waiting.quantity(), safetyStock),
              now,
              r.actor(),
              supply.backordered() - waiting.quantity());
      return Decision.of(
          released, s -> new HoldReply(view(waiting.asHold(), HoldStatus.RELEASED, null)));
    }
    Hold hold = holds.get(r.holdId());
    if (hold != null) {
      long reservedAfter = reserved - hold.quantity();
      HoldReleased released =
          new HoldReleased(
              location,
              sku,
              hold.holdId(),
              hold.reservationId(),
              hold.quantity(),
              onHand,
              reservedAfter,
              availableWith(onHand, reservedAfter),
              now,
              r.actor());
      return Decision.of(
          released, s -> new HoldReply(view(hold, HoldStatus.RELEASED, hold.expiresAt())));
    }
    // Releasing an expired hold is fine: there is nothing to give back.
    return finished(
        r.holdId(), HoldStatus.RELEASED, List.of(HoldStatus.RELEASED, HoldStatus.EXPIRED));
  }

  private Decision extend(Extend e, Instant now) {
    if (supply.waiting().containsKey(e.holdId())) return stillBackordered("extended");
    Hold hold = holds.get(e.holdId());
    if (hold != null) {
      Instant expiresAt = now.plusSeconds(e.ttlSeconds());
      HoldExtended extended =
          new HoldExtended(
              location,
              sku,
              hold.holdId(),
              hold.reservationId(),
              expiresAt,
              onHand,
              reserved,
              available(),
              now,
              e.actor());
      return Decision.of(extended, s -> new HoldReply(s.holdAt(e.holdId(), now).orElseThrow()));
    }
    return finished(e.holdId(), HoldStatus.HELD, List.of());
  }

  /**
   * The answer for a hold that is no longer active: a repeat of an accepted outcome (one of {@code
   * answered}) replies with the hold, anything else is a rejection naming its state.
   */
  private Decision finished(String holdId, HoldStatus asked, List<HoldStatus> answered) {
    Optional<FinishedHold> found = finishedHolds.get(holdId);
    if (found.isEmpty()) {
      return Decision.reply(Rejected.of(Rejection.RESERVATION_NOT_FOUND, "no such reservation"));
    }
    FinishedHold f = found.get();
    if (answered.contains(f.status())) {
      return Decision.reply(new HoldReply(view(f.hold(), f.status(), f.hold().expiresAt())));
    }
    Rejection reason =
        switch (f.status()) {
          case COMMITTED -> Rejection.RESERVATION_COMMITTED;
          case RELEASED -> Rejection.RESERVATION_RELEASED;
          case EXPIRED, HELD, BACKORDERED -> Rejection.RESERVATION_EXPIRED;
        };
    return Decision.reply(Rejected.of(reason, "the reservation is " + f.status().wireName()));
  }

  private Decision adjust(Adjust a, Instant now) {
    if (a.adjustmentId() != null) {
      Optional<AppliedAdjustment> earlier = adjustments.get(a.adjustmentId());
      if (earlier.isPresent()) {
        if (!Objects.equals(earlier.get().fingerprint(), a.fingerprint())) return keyReused();
        return Decision.reply(new LevelReply(earlier.get().level()));
      }
    }
    long delta = a.delta() != null ? a.delta() : a.setOnHand() - onHand;
    if (a.delta() != null && delta < 0 && onHand + delta < 0) {
      return Decision.reply(
          Rejected.of(
              Rejection.NEGATIVE_ON_HAND,
              "onHand is "
                  + onHand
                  + "; a delta of "
                  + delta
                  + " would take it below 0 (do a count instead)"));
    }
    Long expected = null;
    Long left = null;
    if (a.incomingId() != null) {
      Supply.Incoming entry =
          Supply.isTransferEntry(a.incomingId()) ? null : supply.incoming().get(a.incomingId());
      if (entry == null) {
        String why =
            Supply.isTransferEntry(a.incomingId())
                ? " is a transfer's: receive it with POST /v1/transfers/{transferId}/receive"
                : supply.recordedIncoming().get(a.incomingId()).isPresent()
                    ? " was received in full"
                    : " is not on its way here";
        return Decision.reply(
            Rejected.of(
                Rejection.INCOMING_NOT_FOUND,
                "incoming " + a.incomingId() + " of stock item " + location + "/" + sku + why));
      }
      expected = entry.quantity();
      left = Math.max(0, entry.quantity() - delta);
    }
    long onHandAfter = onHand + delta;
    StockAdjusted adjusted =
        new StockAdjusted(
            location,
            sku,
            delta,
            a.reason(),
            a.reference(),
            a.adjustmentId(),
            a.fingerprint(),
            onHandAfter,
            reserved,
            availableWith(onHandAfter, reserved),
            now,
            a.actor(),
            a.incomingId(),
            expected,
            left,
            expected == null ? null : supply.incomingTotal() - (expected - left));
    return Decision.of(adjusted, s -> new LevelReply(s.levelAt(now)));
  }

  /**
   * Ships units to another location: only units free to sell may go (not held, not kept as safety
   * stock, not claimed by backorders). Shipping the same transfer again changes nothing.
   */
  private Decision shipTransfer(ShipTransfer t, Instant now, Lapsed lapsed) {
    Optional<Long> earlier = supply.shipped().get(t.transferId());
    if (earlier.isPresent()) {
      if (earlier.get() != t.quantity()) {
        return Decision.reply(
            Rejected.of(
                Rejection.IDEMPOTENCY_KEY_REUSED,
                "transfer " + t.transferId() + " shipped " + earlier.get() + " units"));
      }
      return Decision.reply(new LevelReply(levelAt(now)));
    }
    if (!stocked) {
      return Decision.reply(
          Rejected.of(
              Rejection.STOCK_ITEM_NOT_FOUND,
              "stock item " + location + "/" + sku + " was never stocked"));
    }
    long available =
        Math.max(0, available(onHand, reserved - lapsed.units, safetyStock) - supply.backordered());
    if (t.quantity() > available) {
      return Decision.reply(
          new Rejected(
              Rejection.INSUFFICIENT_STOCK,
              "transfer of " + t.quantity() + ", available " + available,
              available));
    }
    long onHandAfter = onHand - t.quantity();
    TransferShipped shipped =
        new TransferShipped(
            location,
            sku,
            t.transferId(),
            t.to(),
            t.quantity(),
            onHandAfter,
            reserved,
            availableWith(onHandAfter, reserved),
            now,
            t.actor());
    return Decision.of(shipped, s -> new LevelReply(s.levelAt(now)));
  }

  /**
   * Puts a transfer's units on hand and closes its incoming entry, whatever arrived: what did not
   * is the shortfall. Receiving it again changes nothing.
   */
  private Decision receiveTransfer(ReceiveTransfer t, Instant now) {
    String entryId = Supply.transferEntry(t.transferId());
    Supply.Incoming entry = supply.incoming().get(entryId);
    if (entry == null) {
      return supply.recordedIncoming().get(entryId).isPresent()
          ? Decision.reply(new LevelReply(levelAt(now)))
          : Decision.reply(
              Rejected.of(
                  Rejection.INCOMING_NOT_FOUND,
                  "transfer " + t.transferId() + " is not on its way to " + location));
    }
    long received = Math.min(t.quantity(), entry.quantity());
    long onHandAfter = onHand + received;
    TransferReceived arrived =
        new TransferReceived(
            location,
            sku,
            t.transferId(),
            t.from(),
            entry.quantity(),
            received,
            entry.quantity() - received,
            supply.incomingTotal() - entry.quantity(),
            onHandAfter,
            reserved,
            availableWith(onHandAfter, reserved),
            now,
            t.actor());
    return Decision.of(arrived, s -> new LevelReply(s.levelAt(now)));
  }

  /** Records units on their way; the same entry again is answered as it was, changing nothing. */
  private Decision recordIncoming(RecordIncoming i, Instant now) {
    // An open entry is known however long ago it was recorded; a closed one for the retention.
    Optional<Supply.Incoming> earlier =
        Optional.ofNullable(supply.incoming().get(i.incomingId()))
            .map(open -> supply.recordedIncoming().get(i.incomingId()).orElse(open))
            .or(() -> supply.recordedIncoming().get(i.incomingId()));
    if (earlier.isPresent()) {
      Supply.Incoming first = earlier.get();
      if (first.quantity() != i.quantity()
          || !first.expectedAt().equals(i.expectedAt())
          || !Objects.equals(first.reference(), i.reference())) {
        return Decision.reply(
            Rejected.of(
                Rejection.IDEMPOTENCY_KEY_REUSED,
                "incoming " + i.incomingId() + " was recorded with other units or another date"));
      }
      return Decision.reply(new LevelReply(levelAt(now)));
    }
    IncomingRecorded recorded =
        new IncomingRecorded(
            location,
            sku,
            i.incomingId(),
            i.quantity(),
            i.expectedAt(),
            i.reference(),
            supply.incomingTotal() + i.quantity(),
            onHand,
            reserved,
            available(),
            now,
            i.actor());
    return Decision.of(recorded, s -> new LevelReply(s.levelAt(now)));
  }

  private Decision changePolicy(ChangePolicy p, Instant now) {
    if (stocked
        && p.safetyStock() == safetyStock
        && p.reorderPoint() == reorderPoint
        && p.reorderQuantity() == reorderQuantity
        && p.rules().equals(rules)) {
      return Decision.reply(new LevelReply(levelAt(now)));
    }
    PolicyChanged changed =
        new PolicyChanged(
            location,
            sku,
            p.safetyStock(),
            p.reorderPoint(),
            p.reorderQuantity(),
            onHand,
            reserved,
            available(onHand, reserved + supply.backordered(), p.safetyStock()),
            now,
            p.actor(),
            // an item without channel or customer rules journals what it did before they existed
            p.rules().fencesChannels() ? p.rules().channelReserve() : null,
            p.rules().limitsCustomers() ? p.rules().maxPerCustomer() : null,
            p.rules().limitsCustomers() ? p.rules().customerWindowSeconds() : null,
            p.rules().takesBackorders() ? p.rules().backorderLimit() : null,
            p.rules().takesBackorders() ? p.rules().preorder() : null);
    return Decision.of(changed, s -> new LevelReply(s.levelAt(now)));
  }

  /**
   * An offline sale is a fact: the units left the store. It is applied whatever the books say;
   * {@code onHand} may go negative, and taking units that holds count on is a shortage (signalled
   * by {@link #record}). Selling into the safety stock is what the safety stock is for.
   */
  private Decision recordOfflineSale(RecordOfflineSale s, Instant now, Lapsed lapsed) {
    Optional<RecordedSale> earlier = sales.get(s.saleId());
    if (earlier.isPresent()) {
      RecordedSale first = earlier.get();
      if (!first.terminalId().equals(s.terminalId())
          || first.quantity() != s.quantity()
          || !first.soldAt().equals(s.soldAt())) {
        return Decision.reply(
            Rejected.of(
                Rejection.IDEMPOTENCY_KEY_REUSED,
                "sale id " + s.saleId() + " was recorded for a different sale"));
      }
      return Decision.reply(new SaleReply(SaleOutcome.DUPLICATE, first.level()));
    }
    long onHandAfter = onHand - s.quantity();
    SaleOutcome outcome =
        onHandAfter < reserved - lapsed.units ? SaleOutcome.OVERSOLD : SaleOutcome.APPLIED;
    OfflineSaleRecorded recorded =
        new OfflineSaleRecorded(
            location,
            sku,
            s.saleId(),
            s.terminalId(),
            s.quantity(),
            s.soldAt(),
            onHandAfter,
            reserved,
            availableWith(onHandAfter, reserved),
            now,
            s.actor());
    return Decision.of(recorded, after -> new SaleReply(outcome, after.levelAt(now)));
  }

  private HoldExpired expire(Hold hold, Instant now) {
    long reservedAfter = reserved - hold.quantity();
    return new HoldExpired(
        location,
        sku,
        hold.holdId(),
        hold.reservationId(),
        hold.quantity(),
        onHand,
        reservedAfter,
        availableWith(onHand, reservedAfter),
        now,
        SYSTEM);
  }

  private static Decision keyReused() {
    return Decision.reply(
        Rejected.of(
            Rejection.IDEMPOTENCY_KEY_REUSED,
            "this idempotency key was used for a different request"));
  }

  private HoldView view(Hold h, HoldStatus status, Instant expiresAt) {
    return new HoldView(
        h.holdId(), h.reservationId(), h.channel(), h.quantity(), status, expiresAt, h.actor());
  }

  // ---------------------------------------------------------------- applying

  /** Folds one journaled event into the state. Pure: everything it needs is in the event. */
  public StockState apply(StockEvent event) {
    StockState s =
        switch (event) {
          case StockAdjusted e -> {
            StockState next = with(e.onHand(), reserved, holds, deadlines, finishedHolds, true);
            if (e.incomingId() != null) {
              next = next.withSupply(supply.received(e.incomingId(), e.delta()));
            }
            if (e.adjustmentId() == null) yield next;
            Recent<AppliedAdjustment> applied =
                adjustments.remember(
                    e.adjustmentId(),
                    new AppliedAdjustment(e.fingerprint(), next.levelAt(e.occurredAt())),
                    e.occurredAt(),
                    ADJUSTMENT_LIMIT,
                    ADJUSTMENT_RETENTION);
            yield next.withAdjustments(applied);
          }
          case PolicyChanged e ->
              new StockState(
                  location,
                  sku,
                  true,
                  onHand,
                  reserved,
                  e.safetyStock(),
                  e.reorderPoint(),
                  e.reorderQuantity(),
                  lowStockSignalled,
                  shortageSignalled,
                  holds,
                  deadlines,
                  finishedHolds,
                  adjustments,
                  sales,
                  e.rules(),
                  heldByChannel,
                  customers,
                  supply);
          case HoldPlaced e -> {
            Hold hold =
                new Hold(
                    e.holdId(),
                    e.reservationId(),
                    e.channel(),
                    e.quantity(),
                    e.expiresAt(),
                    e.expiresAt(),
                    e.fingerprint(),
                    e.actor(),
                    e.customerId());
            yield with(
                    onHand,
                    reserved + e.quantity(),
                    holds.plus(e.holdId(), hold),
                    deadlines.plus(new Deadline(e.expiresAt(), e.holdId())),
                    finishedHolds,
                    stocked)
                .withHeld(hold, 1, e.occurredAt());
          }
          case HoldCommitted e ->
              finish(e.holdId(), HoldStatus.COMMITTED, e.quantity(), e.occurredAt());
          case HoldReleased e ->
              supply.waiting().containsKey(e.holdId())
                  ? leaveQueue(e.holdId(), e.occurredAt())
                  : finish(e.holdId(), HoldStatus.RELEASED, 0, e.occurredAt());
          case TransferShipped e ->
              with(e.onHand(), reserved, holds, deadlines, finishedHolds, true)
                  .withSupply(supply.shippedTransfer(e.transferId(), e.quantity(), e.occurredAt()));
          case TransferReceived e ->
              with(e.onHand(), reserved, holds, deadlines, finishedHolds, true)
                  .withSupply(supply.received(Supply.transferEntry(e.transferId()), e.shipped()));
          case IncomingRecorded e ->
              withSupply(
                      supply.recorded(
                          new Supply.Incoming(
                              e.incomingId(), e.quantity(), e.expectedAt(), e.reference()),
                          e.occurredAt()))
                  .asStocked();
          case HoldBackordered e -> {
            Supply.Backorder b =
                new Supply.Backorder(
                    e.holdId(),
                    e.reservationId(),
                    e.channel(),
                    e.quantity(),
                    e.ttlSeconds(),
                    e.fingerprint(),
                    e.actor(),
                    e.customerId(),
                    0);
            StockState next = withSupply(supply.queued(b)).asStocked();
            // The units a customer waits for count against its limit as held ones do.
            yield e.customerId() == null
                ? next
                : next.withCustomers(
                    customers.hold(
                        e.customerId(), e.quantity(), e.occurredAt(), rules.customerWindow()));
          }
          case BackorderFilled e -> {
            Supply.Backorder b = supply.waiting().get(e.holdId());
            Hold hold =
                new Hold(
                    b.holdId(),
                    b.reservationId(),
                    b.channel(),
                    b.quantity(),
                    e.expiresAt(),
                    e.expiresAt(),
                    b.fingerprint(),
                    b.actor(),
                    b.customerId());
            StockState next =
                with(
                        onHand,
                        reserved + b.quantity(),
                        holds.plus(b.holdId(), hold),
                        deadlines.plus(new Deadline(e.expiresAt(), b.holdId())),
                        finishedHolds,
                        stocked)
                    .withSupply(supply.dequeued(b.holdId()));
            // its customer already counts the units; its channel does from now on
            yield next.withHolders(next.channelHolding(b.channel(), b.quantity()), next.customers);
          }
          case HoldExpired e -> finish(e.holdId(), HoldStatus.EXPIRED, 0, e.occurredAt());
          case HoldExtended e -> {
            Hold old = holds.get(e.holdId());
            Hold extended = old.until(e.expiresAt());
            yield with(
                onHand,
                reserved,
                holds.plus(e.holdId(), extended),
                deadlines
                    .minus(new Deadline(old.expiresAt(), old.holdId()))
                    .plus(new Deadline(e.expiresAt(), e.holdId())),
                finishedHolds,
                stocked);
          }
          case LowStockCrossed e -> withSignals(true, shortageSignalled);
          case ShortageDetected e -> withSignals(lowStockSignalled, true);
          case OfflineSaleRecorded e -> {
            StockState next = with(e.onHand(), reserved, holds, deadlines, finishedHolds, true);
            yield next.withSales(
                sales.remember(
                    e.saleId(),
                    new RecordedSale(
                        e.terminalId(), e.quantity(), e.soldAt(), next.levelAt(e.occurredAt())),
                    e.occurredAt(),
                    SALE_LIMIT,
                    SALE_RETENTION));
          }
        };
    // Both signals re-arm once their condition clears.
    boolean low = s.lowStockSignalled && s.available() <= s.reorderPoint;
    boolean short_ = s.shortageSignalled && s.onHand < s.reserved;
    return low == s.lowStockSignalled && short_ == s.shortageSignalled
        ? s
        : s.withSignals(low, short_);
  }

  /** Ends an active hold; a commit also takes the units off the shelf. */
  private StockState finish(String holdId, HoldStatus status, long shipped, Instant at) {
    Hold hold = holds.get(holdId);
    if (hold == null) throw new IllegalStateException("hold " + holdId + " is not active");
    Recent<FinishedHold> finished =
        finishedHolds.remember(
            holdId,
            new FinishedHold(hold, status),
            at,
            FINISHED_HOLD_LIMIT,
            FINISHED_HOLD_RETENTION);
    StockState next =
        with(
            onHand - shipped,
            reserved - hold.quantity(),
            holds.minus(holdId),
            deadlines.minus(new Deadline(hold.expiresAt(), holdId)),
            finished,
            stocked);
    if (status == HoldStatus.COMMITTED && hold.customerId() != null) {
      next =
          next.withCustomers(
              next.customers.commit(
                  hold.customerId(), hold.quantity(), at, rules.customerWindow()));
    }
    return next.withHeld(hold, -1, at);
  }

  /** A backorder released while it waits: it leaves the queue, remembered as released. */
  private StockState leaveQueue(String holdId, Instant at) {
    Supply.Backorder b = supply.waiting().get(holdId);
    StockState next =
        withSupply(supply.dequeued(holdId))
            .with(
                onHand,
                reserved,
                holds,
                deadlines,
                finishedHolds.remember(
                    holdId,
                    new FinishedHold(b.asHold(), HoldStatus.RELEASED),
                    at,
                    FINISHED_HOLD_LIMIT,
                    FINISHED_HOLD_RETENTION),
                stocked);
    return b.customerId() == null
        ? next
        : next.withCustomers(
            customers.hold(b.customerId(), -b.quantity(), at, rules.customerWindow()));
  }

  /** Live units by channel with {@code units} more (fewer, when negative) for {@code channel}. */
  private IdMap<Long> channelHolding(String channel, long units) {
    long held = heldByChannel.getOrDefault(channel, 0L) + units;
    return held == 0 ? heldByChannel.minus(channel) : heldByChannel.plus(channel, held);
  }

  /**
   * Counts {@code hold} in (sign 1) or out of (-1) its channel's and its customer's live units. A
   * customer's commit is recorded by {@link #finish}.
   */
  private StockState withHeld(Hold hold, int sign, Instant at) {
    long units = sign * hold.quantity();
    IdMap<Long> byChannel = channelHolding(hold.channel(), units);
    Customers byCustomer =
        hold.customerId() == null
            ? customers
            : customers.hold(hold.customerId(), units, at, rules.customerWindow());
    return withHolders(byChannel, byCustomer);
  }

  private StockState withCustomers(Customers customers) {
    return withHolders(heldByChannel, customers);
  }

  /** The same books with other counts of who holds what. */
  private StockState withHolders(IdMap<Long> heldByChannel, Customers customers) {
    return new StockState(
        location,
        sku,
        stocked,
        onHand,
        reserved,
        safetyStock,
        reorderPoint,
        reorderQuantity,
        lowStockSignalled,
        shortageSignalled,
        holds,
        deadlines,
        finishedHolds,
        adjustments,
        sales,
        rules,
        heldByChannel,
        customers,
        supply);
  }

  private StockState with(
      long onHand,
      long reserved,
      IdMap<Hold> holds,
      TreePSet<Deadline> deadlines,
      Recent<FinishedHold> finishedHolds,
      boolean stocked) {
    return new StockState(
        location,
        sku,
        stocked,
        onHand,
        reserved,
        safetyStock,
        reorderPoint,
        reorderQuantity,
        lowStockSignalled,
        shortageSignalled,
        holds,
        deadlines,
        finishedHolds,
        adjustments,
        sales,
        rules,
        heldByChannel,
        customers,
        supply);
  }

  private StockState withAdjustments(Recent<AppliedAdjustment> adjustments) {
    return new StockState(
        location,
        sku,
        stocked,
        onHand,
        reserved,
        safetyStock,
        reorderPoint,
        reorderQuantity,
        lowStockSignalled,
        shortageSignalled,
        holds,
        deadlines,
        finishedHolds,
        adjustments,
        sales,
        rules,
        heldByChannel,
        customers,
        supply);
  }

  private StockState withSales(Recent<RecordedSale> sales) {
    return new StockState(
        location,
        sku,
        stocked,
        onHand,
        reserved,
        safetyStock,
        reorderPoint,
        reorderQuantity,
        lowStockSignalled,
        shortageSignalled,
        holds,
        deadlines,
        finishedHolds,
        adjustments,
        sales,
        rules,
        heldByChannel,
        customers,
        supply);
  }

  private StockState asStocked() {
    return stocked ? this : with(onHand, reserved, holds, deadlines, finishedHolds, true);
  }

  private StockState withSupply(Supply supply) {
    return new StockState(
        location,
        sku,
        stocked,
        onHand,
        reserved,
        safetyStock,
        reorderPoint,
        reorderQuantity,
        lowStockSignalled,
        shortageSignalled,
        holds,
        deadlines,
        finishedHolds,
        adjustments,
        sales,
        rules,
        heldByChannel,
        customers,
        supply);
  }

  private StockState withSignals(boolean lowStock, boolean shortage) {
    return new StockState(
        location,
        sku,
        stocked,
        onHand,
        reserved,
        safetyStock,
        reorderPoint,
        reorderQuantity,
        lowStock,
        shortage,
        holds,
        deadlines,
        finishedHolds,
        adjustments,
        sales,
        rules,
        heldByChannel,
        customers,
        supply);
  }
}
