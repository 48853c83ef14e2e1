package io.stockhold.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.stockhold.stock.StockAudit.Violation;
import io.stockhold.stock.StockEvent.HoldCommitted;
import io.stockhold.stock.StockEvent.HoldExpired;
import io.stockhold.stock.StockEvent.HoldExtended;
import io.stockhold.stock.StockEvent.HoldPlaced;
import io.stockhold.stock.StockEvent.HoldReleased;
import io.stockhold.stock.StockEvent.LowStockCrossed;
import io.stockhold.stock.StockEvent.OfflineSaleRecorded;
import io.stockhold.stock.StockEvent.PolicyChanged;
import io.stockhold.stock.StockEvent.ShortageDetected;
import io.stockhold.stock.StockEvent.StockAdjusted;
import io.stockhold.stock.StockReply.HoldReply;
import io.stockhold.stock.StockReply.HoldStatus;
import io.stockhold.stock.StockReply.HoldView;
import io.stockhold.stock.StockReply.Level;
import io.stockhold.stock.StockReply.LevelReply;
import io.stockhold.stock.StockReply.Rejected;
import io.stockhold.stock.StockReply.Rejection;
import io.stockhold.stock.StockReply.SaleOutcome;
import io.stockhold.stock.StockReply.SaleReply;
import io.stockhold.stock.StockRequest.Adjust;
import io.stockhold.stock.StockRequest.ChangePolicy;
import io.stockhold.stock.StockRequest.Commit;
import io.stockhold.stock.StockRequest.Extend;
import io.stockhold.stock.StockRequest.RecordIncoming;
import io.stockhold.stock.StockRequest.RecordOfflineSale;
import io.stockhold.stock.StockRequest.Release;
import io.stockhold.stock.StockRequest.Reserve;
import io.stockhold.stock.StockState.BatchDecision;
import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Random batches of random requests at a random, non-decreasing clock, checked after every batch
 * against three things that do not share {@link StockState}'s arithmetic: a replay of the events
 * (the invariants in docs/architecture.md), a model of the rules written from the design (the exact
 * events and replies), and {@link StockAudit}. A snapshot round trip and a recovery from the events
 * must behave like the original.
 *
 * <p>Each run draws a fresh master seed. On failure the message names the seed of the failing
 * sequence; rerun just that one with {@code -Dstockhold.propertySeed=<seed>} (or the whole run with
 * {@code -Dstockhold.propertyMasterSeed=<seed>}).
 */
class StockStatePropertyTest {

  private static final int SEQUENCES = Integer.getInteger("stockhold.propertySequences", 2_000);
  private static final int STEPS = 60;

  private static final String LOC = "store-7";
  private static final String SKU = "SKU-1";
  private static final StockItemId ITEM = new StockItemId(LOC, SKU);
  private static final Instant T0 = Instant.parse("2026-11-26T12:00:00Z");

  @Test
  void invariantsHoldForRandomBatchesOfRandomRequests() {
    String only = System.getProperty("stockhold.propertySeed");
    if (only != null) {
      runSequence(Long.parseLong(only));
      return;
    }
    long master = Long.getLong("stockhold.propertyMasterSeed", new Random().nextLong());
    System.out.println(
        "StockStatePropertyTest: master seed " + master + ", " + SEQUENCES + " sequences");
    long cpuBefore = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
    Random seeds = new Random(master);
    Coverage coverage = new Coverage();
    for (int i = 0; i < SEQUENCES; i++) {
      coverage.add(runSequence(seeds.nextLong()));
    }
    coverage.assertExercised(master);
    System.out.println(
        "StockStatePropertyTest: "
            + new TreeMap<>(coverage.counts)
            + ", snapshots "
            + coverage.snapshots
            + ", cpu "
            + (ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpuBefore)
                / 1_000_000
            + " ms");
  }

  // ====================================================================== one sequence

  private static Coverage runSequence(long seed) {
    Random rnd = new Random(seed);
    Generator gen = new Generator(rnd);
    Model model = new Model();
    Replay replay = new Replay();
    StockAudit audit = new StockAudit("StockItem|" + ITEM.entityId());
    Coverage coverage = new Coverage();
    StockState state = StockState.empty(ITEM);
    StockState recovered = StockState.empty(ITEM);
    StockState restoredDecider = null;
    StockState restoredFolder = null;
    StockState capped = StockState.empty(ITEM);
    StockAudit cappedAudit = new StockAudit("StockItem|" + ITEM.entityId());
    long cappedSequenceNr = 0;
    long sequenceNr = 0;
    Instant now = T0;
    Deque<Step> history = new ArrayDeque<>();

    for (int step = 0; step < STEPS; step++) {
      now = gen.advance(now);
      List<StockRequest> batch = gen.batch(model);
      BatchDecision d = state.decideBatch(batch, now);
      history.addLast(new Step(step, now, batch, d));
      if (history.size() > 4) history.removeFirst();
      try {
        assertEquals(batch.size(), d.replies().size(), "one reply per request");

        // 1. invariants, from a replay of the events alone
        replay.batch(d.events(), now);
        checkStateAgainstReplay(d.after(), replay, now, rnd);

        // 2. the exact events and replies the design asks for
        Model.Expected expected = model.decideBatch(batch, now);
        assertEquals(expected.events(), d.events(), "events");
        assertRepliesMatch(expected.replies(), d.replies());

        // 3. the independent auditor agrees
        List<Violation> violations = new ArrayList<>();
        Map<Long, StockEvent> bySequenceNr = new HashMap<>();
        for (StockEvent e : d.events()) {
          bySequenceNr.put(++sequenceNr, e);
          int before = audit.violations().size();
          audit.check(sequenceNr, e);
          violations.addAll(audit.violations().subList(before, audit.violations().size()));
        }
        for (Violation v : violations) fail("audit: " + v);

        // 4. recovery from the journal rebuilds the same state (in full at the end of the sequence)
        for (StockEvent e : d.events()) recovered = recovered.apply(e);
        assertEquals(d.after().level(), recovered.level(), "level recovered from the events");
        if (step == STEPS - 1)
          assertEquals(d.after(), recovered, "state recovered from the events");

        // 5. a state restored from a snapshot behaves like the original
        if (restoredDecider != null) {
          BatchDecision r = restoredDecider.decideBatch(batch, now);
          assertEquals(d.events(), r.events(), "events decided by the restored state");
          assertEquals(d.replies(), r.replies(), "replies of the restored state");
          restoredDecider = r.after();
          for (StockEvent e : d.events()) restoredFolder = restoredFolder.apply(e);
          boolean last = step == STEPS - 1;
          assertSameBooks(d.after(), restoredDecider, now, last);
          assertSameBooks(d.after(), restoredFolder, now, last);
        }
        // 6. an item that journals at most 0, 1 or 2 expiries per write answers exactly the same:
        // the lapsed holds it has not expired yet are never counted, never committed, never
        // extended, and its events pass the audit.
        BatchDecision c = capped.decideBatch(batch, now, rnd.nextInt(3));
        assertEquals(d.replies(), c.replies(), "replies with expiries written a few at a time");
        assertEquals(
            d.after().levelAt(now), c.after().levelAt(now), "level with expiries a few at a time");
        for (StockEvent e : c.events()) {
          int before = cappedAudit.violations().size();
          cappedAudit.check(++cappedSequenceNr, e);
          for (Violation v :
              cappedAudit.violations().subList(before, cappedAudit.violations().size()))
            fail("audit, expiries a few at a time: " + v);
        }
        capped = c.after();

        if (rnd.nextInt(8) == 0) {
          restoredDecider = StockSnapshot.of(d.after()).toState();
          restoredFolder = restoredDecider;
          assertSameBooks(d.after(), restoredDecider, now, true);
          coverage.snapshots++;
        }
      } catch (AssertionError e) {
        throw new AssertionError(
            "property failed; rerun with -Dstockhold.propertySeed="
                + seed
                + " (step "
                + step
                + " at "
                + now
                + "): "
                + e.getMessage()
                + "\nlast batches:\n"
                + history.stream().map(Step::toString).collect(Collectors.joining("\n")),
            e);
      }
      coverage.count(batch, d, replay);
      state = d.after();
    }
    return coverage;
  }

  /** One batch, formatted only when a failure needs it. */
  private record Step(int step, Instant now, List<StockRequest> batch, BatchDecision d) {
    @Override
    public String toString() {
      return "  step "
          + step
          + " at "
          + now
          + "\n    requests "
          + batch
          + "\n    events "
          + d.events()
          + "\n    replies "
          + d.replies();
    }
  }

  // ====================================================================== checks

  private static void checkStateAgainstReplay(
      StockState s, Replay replay, Instant now, Random rnd) {
    long sumOfHolds = replay.active.values().stream().mapToLong(Replay.RHold::quantity).sum();
    assertEquals(replay.onHand, s.onHand(), "onHand");
    assertEquals(sumOfHolds, s.reserved(), "reserved = sum of active holds");
    assertEquals(replay.safetyStock, s.safetyStock(), "safetyStock");
    assertEquals(
        Math.max(0, replay.onHand - sumOfHolds - replay.safetyStock), s.available(), "available");
    assertTrue(s.available() >= 0, "available is never negative");
    Map<String, Long> heldByState = new HashMap<>();
    s.holds().forEach((id, h) -> heldByState.put(id, h.quantity()));
    Map<String, Long> heldByReplay = new HashMap<>();
    replay.active.forEach((id, h) -> heldByReplay.put(id, h.quantity()));
    assertEquals(heldByReplay, heldByState, "active holds");

    // every hold due by now was expired at the start of the batch
    for (Replay.RHold h : replay.active.values()) {
      assertTrue(
          h.expiresAt().isAfter(now),
          () -> "hold " + h + " is due at " + now + " but still active");
    }
    Optional<Instant> earliest =
        replay.active.values().stream().map(Replay.RHold::expiresAt).min(Comparator.naturalOrder());
    assertEquals(earliest, s.nextDeadline(), "nextDeadline");
    assertEquals(s.level(), s.levelAt(now), "nothing lapsed is left at now");

    // reads between batches leave out lapsed holds
    Instant later = now.plusMillis(rnd.nextInt(200_000));
    long stillHeld =
        replay.active.values().stream()
            .filter(h -> h.expiresAt().isAfter(later))
            .mapToLong(Replay.RHold::quantity)
            .sum();
    Level at = s.levelAt(later);
    assertEquals(stillHeld, at.reserved(), () -> "levelAt(" + later + ").reserved");
    assertEquals(
        Math.max(0, replay.onHand - stillHeld - replay.safetyStock),
        at.available(),
        () -> "levelAt(" + later + ").available");
    for (String id : replay.sample(rnd)) {
      Replay.RHold h = replay.active.get(id);
      Optional<HoldView> view = s.holdAt(id, later);
      if (h != null) {
        HoldStatus expected = h.expiresAt().isAfter(later) ? HoldStatus.HELD : HoldStatus.EXPIRED;
        assertEquals(
            expected,
            view.map(HoldView::status).orElse(null),
            () -> "holdAt(" + id + ", " + later + ")");
        assertEquals(h.expiresAt(), view.get().expiresAt());
      } else {
        assertEquals(
            replay.ended.get(id),
            view.map(HoldView::status).orElse(null),
            () -> "holdAt(" + id + ")");
      }
    }
  }

  private static void assertRepliesMatch(List<StockReply> expected, List<StockReply> actual) {
    for (int i = 0; i < expected.size(); i++) {
      StockReply want = expected.get(i);
      StockReply got = actual.get(i);
      int index = i;
      if (want instanceof Rejected w) {
        Rejected g =
            assertInstanceOf(Rejected.class, got, () -> "reply " + index + ": expected " + want);
        assertEquals(w.reason(), g.reason(), () -> "reply " + index + ": " + got);
        assertEquals(
            w.available(), g.available(), () -> "available carried by reply " + index + ": " + got);
      } else {
        assertEquals(want, got, "reply " + index);
      }
    }
  }

  /**
   * {@code memories}: also the finished holds and adjustment keys (their cost grows with the run).
   */
  private static void assertSameBooks(
      StockState original, StockState restored, Instant now, boolean memories) {
    assertEquals(original.level(), restored.level(), "level after the snapshot round trip");
    assertEquals(original.holds(), restored.holds(), "holds after the snapshot round trip");
    assertEquals(original.nextDeadline(), restored.nextDeadline());
    assertEquals(original.levelAt(now.plusSeconds(90)), restored.levelAt(now.plusSeconds(90)));
    assertEquals(original.lowStockSignalled(), restored.lowStockSignalled());
    assertEquals(original.shortageSignalled(), restored.shortageSignalled());
    assertEquals(original.stocked(), restored.stocked());
    if (!memories) return;
    assertEquals(original.finishedHolds().entries(), restored.finishedHolds().entries());
    assertEquals(original.adjustments().entries(), restored.adjustments().entries());
    assertEquals(original.sales().entries(), restored.sales().entries());
  }

  // ====================================================================== the replay

  /**
   * The books rebuilt from events only, checking every invariant on the way. onHand never goes
   * below 0 through an adjustment; it may through a commit made during a shortage, since rule 5
   * keeps such holds committable, and through an offline POS sale (and only then).
   */
  static final class Replay {
    record RHold(long quantity, Instant expiresAt) {}

    long onHand;
    long safetyStock;
    long reorderPoint;
    boolean lowArmed = true;
    boolean shortageArmed = true;
    final Map<String, RHold> active = new HashMap<>();
    final Map<String, HoldStatus> ended = new HashMap<>();
    final List<String> known = new ArrayList<>();
    final Set<String> salesSeen = new HashSet<>();

    long reservedSum() {
      return active.values().stream().mapToLong(RHold::quantity).sum();
    }

    long available() {
      return Math.max(0, onHand - reservedSum() - safetyStock);
    }

    List<String> sample(Random rnd) {
      if (known.size() <= 6) return known;
      List<String> out = new ArrayList<>();
      for (int i = 0; i < 6; i++) out.add(known.get(rnd.nextInt(known.size())));
      return out;
    }

    void batch(List<StockEvent> events, Instant now) {
      boolean requestsStarted = false;
      for (StockEvent e : events) {
        assertEquals(LOC, e.location());
        assertEquals(SKU, e.sku());
        assertEquals(now, e.occurredAt(), () -> "occurredAt of " + e);
        boolean signal = e instanceof LowStockCrossed || e instanceof ShortageDetected;
        if (e instanceof HoldExpired) {
          assertTrue(
              !requestsStarted,
              () -> "expiry " + e + " after a request's event: not at the start of the batch");
        } else if (!signal) {
          requestsStarted = true;
        }
        accept(e, now);
      }
    }

    private void accept(StockEvent event, Instant now) {
      switch (event) {
        case StockAdjusted e -> {
          long before = onHand;
          onHand += e.delta();
          if (e.delta() < 0) {
            assertTrue(
                onHand >= 0,
                () -> "delta " + e.delta() + " took onHand from " + before + " to " + onHand);
          }
        }
        case PolicyChanged e -> {
          assertTrue(e.safetyStock() >= 0 && e.reorderPoint() >= 0 && e.reorderQuantity() >= 0);
          safetyStock = e.safetyStock();
          reorderPoint = e.reorderPoint();
        }
        case HoldPlaced e -> {
          long available = available();
          assertTrue(e.quantity() > 0, () -> "empty hold " + e);
          assertTrue(
              e.quantity() <= available,
              () -> "oversold: " + e + " with " + available + " available");
          assertTrue(
              !active.containsKey(e.holdId()) && !ended.containsKey(e.holdId()),
              () -> "hold placed twice: " + e);
          assertTrue(e.expiresAt().isAfter(now), () -> "hold placed already due: " + e);
          active.put(e.holdId(), new RHold(e.quantity(), e.expiresAt()));
          known.add(e.holdId());
        }
        case HoldCommitted e -> {
          long shortBefore = reservedSum() - onHand;
          RHold h = end(e.holdId(), e.quantity(), HoldStatus.COMMITTED);
          assertTrue(
              now.isBefore(h.expiresAt()),
              () -> "committed at or after its deadline: " + e + " " + h);
          onHand -= e.quantity();
          if (onHand < 0) {
            assertTrue(
                shortBefore > 0, () -> "commit " + e + " took onHand below 0 without a shortage");
          }
        }
        case HoldReleased e -> end(e.holdId(), e.quantity(), HoldStatus.RELEASED);
        case HoldExpired e -> {
          RHold h = end(e.holdId(), e.quantity(), HoldStatus.EXPIRED);
          assertTrue(
              !now.isBefore(h.expiresAt()), () -> "expired before its deadline: " + e + " " + h);
        }
        case HoldExtended e -> {
          RHold h = active.get(e.holdId());
          assertTrue(h != null, () -> "extends a hold that is not active: " + e);
          assertTrue(e.expiresAt().isAfter(now), () -> "extended into the past: " + e);
          active.put(e.holdId(), new RHold(h.quantity(), e.expiresAt()));
        }
        case LowStockCrossed e -> {
          assertTrue(
              lowArmed,
              () -> "low stock signalled again before available rose above the point: " + e);
          assertTrue(reorderPoint > 0 && available() <= reorderPoint, () -> "not low: " + e);
          lowArmed = false;
        }
        case OfflineSaleRecorded e -> {
          assertTrue(e.quantity() > 0, () -> "empty sale " + e);
          assertTrue(salesSeen.add(e.saleId()), () -> "sale recorded twice: " + e);
          onHand -= e.quantity();
        }
        case ShortageDetected e -> {
          assertTrue(shortageArmed, () -> "shortage signalled again before it cleared: " + e);
          assertEquals(reservedSum() - onHand, e.shortBy(), () -> "shortBy of " + e);
          assertTrue(e.shortBy() > 0, () -> "no shortage: " + e);
          shortageArmed = false;
        }
        case StockEvent.IncomingRecorded e -> fail("no incoming was asked for: " + e);
        case StockEvent.HoldBackordered e -> fail("no backorder was asked for: " + e);
        case StockEvent.BackorderFilled e -> fail("no backorder was asked for: " + e);
        case StockEvent.TransferShipped e -> fail("no transfer was asked for: " + e);
        case StockEvent.TransferReceived e -> fail("no transfer was asked for: " + e);
      }
      long reserved = reservedSum();
      if (available() > reorderPoint) lowArmed = true;
      if (onHand >= reserved) shortageArmed = true;
      assertEquals(
          List.of(onHand, reserved, available()),
          List.of(event.onHand(), event.reserved(), event.available()),
          () -> "onHand/reserved/available carried by " + event);
    }

    private RHold end(String holdId, long quantity, HoldStatus status) {
      RHold h = active.remove(holdId);
      assertTrue(
          h != null,
          () -> "hold " + holdId + (ended.containsKey(holdId) ? " ended twice" : " never placed"));
      assertEquals(h.quantity(), quantity, () -> "hold " + holdId + " ended with another quantity");
      ended.put(holdId, status);
      return h;
    }
  }

  // ====================================================================== the model

  /** The rules as the README states them, in the simplest code that can say them. */
  static final class Model {
    record Expected(List<StockEvent> events, List<StockReply> replies) {}

    record MHold(
        String holdId,
        String reservationId,
        String channel,
        long quantity,
        Instant expiresAt,
        Instant grantedExpiresAt,
        String fingerprint) {
      HoldView view(HoldStatus status, Instant at) {
        return new HoldView(holdId, reservationId, channel, quantity, status, at);
      }
    }

    record Ended(MHold hold, HoldStatus status) {}

    record Applied(String fingerprint, Level level) {}

    record SaleSeen(RecordOfflineSale sale, Level level) {}

    boolean stocked;
    long onHand;
    long reserved;
    long safetyStock;
    long reorderPoint;
    long reorderQuantity;
    boolean lowSignalled;
    boolean shortSignalled;
    final Map<String, MHold> active = new HashMap<>();
    final Map<String, Ended> ended = new HashMap<>();
    final Map<String, Applied> adjustments = new HashMap<>();
    final Map<String, SaleSeen> sales = new HashMap<>();
    private List<StockEvent> out;
    private Instant now;

    long available() {
      return Math.max(0, onHand - reserved - safetyStock);
    }

    Level level() {
      return new Level(onHand, reserved, available(), safetyStock, reorderPoint, reorderQuantity);
    }

    Expected decideBatch(List<StockRequest> requests, Instant at) {
      out = new ArrayList<>();
      now = at;
      List<MHold> due =
          active.values().stream()
              .filter(h -> !h.expiresAt().isAfter(at))
              .sorted(Comparator.comparing(MHold::expiresAt).thenComparing(MHold::holdId))
              .toList();
      for (MHold h : due) {
        active.remove(h.holdId());
        ended.put(h.holdId(), new Ended(h, HoldStatus.EXPIRED));
        reserved -= h.quantity();
        emit(
            new HoldExpired(
                LOC,
                SKU,
                h.holdId(),
                h.reservationId(),
                h.quantity(),
                onHand,
                reserved,
                available(),
                now,
                "system"));
      }
      List<StockReply> replies = new ArrayList<>();
      for (StockRequest r : requests) replies.add(decide(r));
      return new Expected(out, replies);
    }

    /** Journals {@code e} (quantities already updated), then the signals it set off. */
    private void emit(StockEvent e) {
      out.add(e);
      if (lowSignalled && available() > reorderPoint) lowSignalled = false;
      if (shortSignalled && onHand >= reserved) shortSignalled = false;
      if (reorderPoint > 0 && !lowSignalled && available() <= reorderPoint) {
        lowSignalled = true;
        out.add(
            new LowStockCrossed(
                LOC, SKU, reorderPoint, reorderQuantity, onHand, reserved, available(), now));
      }
      if (!shortSignalled && onHand < reserved) {
        shortSignalled = true;
        out.add(
            new ShortageDetected(LOC, SKU, reserved - onHand, onHand, reserved, available(), now));
      }
    }

    private static Rejected rejected(Rejection reason) {
      return Rejected.of(reason, "");
    }

    private StockReply decide(StockRequest request) {
      return switch (request) {
        case Reserve r -> reserve(r);
        case Commit c -> commit(c);
        case Release r -> release(r);
        case Extend e -> extend(e);
        case Adjust a -> adjust(a);
        case ChangePolicy p -> policy(p);
        case RecordOfflineSale o -> sale(o);
        // the generator asks for no supply: incoming, backorders and preorders are SupplyTest's
        case RecordIncoming i -> throw new IllegalStateException("not generated: " + i);
        case StockRequest.ShipTransfer t -> throw new IllegalStateException("not generated: " + t);
        case StockRequest.ReceiveTransfer t ->
            throw new IllegalStateException("not generated: " + t);
      };
    }

    /** A fact: applied whatever the books say; oversold when it takes units holds count on. */
    private StockReply sale(RecordOfflineSale o) {
      SaleSeen seen = sales.get(o.saleId());
      if (seen != null) {
        return seen.sale().equals(o)
            ? new SaleReply(SaleOutcome.DUPLICATE, seen.level())
            : rejected(Rejection.IDEMPOTENCY_KEY_REUSED);
      }
      boolean oversold = o.quantity() > onHand - reserved;
      onHand -= o.quantity();
      stocked = true;
      sales.put(o.saleId(), new SaleSeen(o, level()));
      emit(
          new OfflineSaleRecorded(
              LOC,
              SKU,
              o.saleId(),
              o.terminalId(),
              o.quantity(),
              o.soldAt(),
              onHand,
              reserved,
              available(),
              now));
      return new SaleReply(oversold ? SaleOutcome.OVERSOLD : SaleOutcome.APPLIED, level());
    }

    private StockReply reserve(Reserve r) {
      MHold first =
          active.containsKey(r.holdId())
              ? active.get(r.holdId())
              : ended.containsKey(r.holdId()) ? ended.get(r.holdId()).hold() : null;
      if (first != null) {
        return Objects.equals(first.fingerprint(), r.fingerprint())
            ? new HoldReply(first.view(HoldStatus.HELD, first.grantedExpiresAt()))
            : rejected(Rejection.IDEMPOTENCY_KEY_REUSED);
      }
      if (r.quantity() > available()) {
        return new Rejected(Rejection.INSUFFICIENT_STOCK, "", available());
      }
      Instant expiresAt = now.plusSeconds(r.ttlSeconds());
      MHold h =
          new MHold(
              r.holdId(),
              r.reservationId(),
              r.channel(),
              r.quantity(),
              expiresAt,
              expiresAt,
              r.fingerprint());
      active.put(h.holdId(), h);
      reserved += h.quantity();
      emit(
          new HoldPlaced(
              LOC,
              SKU,
              h.holdId(),
              h.reservationId(),
              h.channel(),
              h.quantity(),
              expiresAt,
              h.fingerprint(),
              onHand,
              reserved,
              available(),
              now));
      return new HoldReply(h.view(HoldStatus.HELD, expiresAt));
    }

    private StockReply commit(Commit c) {
      MHold h = active.remove(c.holdId());
      if (h != null) {
        ended.put(h.holdId(), new Ended(h, HoldStatus.COMMITTED));
        onHand -= h.quantity();
        reserved -= h.quantity();
        emit(
            new HoldCommitted(
                LOC,
                SKU,
                h.holdId(),
                h.reservationId(),
                h.quantity(),
                onHand,
                reserved,
                available(),
                now));
        return new HoldReply(h.view(HoldStatus.COMMITTED, h.expiresAt()));
      }
      Ended e = ended.get(c.holdId());
      if (e == null) return rejected(Rejection.RESERVATION_NOT_FOUND);
      return switch (e.status()) {
        case COMMITTED -> new HoldReply(e.hold().view(HoldStatus.COMMITTED, e.hold().expiresAt()));
        case RELEASED -> rejected(Rejection.RESERVATION_RELEASED);
        case EXPIRED -> rejected(Rejection.RESERVATION_EXPIRED);
        case HELD, BACKORDERED -> throw new IllegalStateException();
      };
    }

    private StockReply release(Release r) {
      MHold h = active.remove(r.holdId());
      if (h != null) {
        ended.put(h.holdId(), new Ended(h, HoldStatus.RELEASED));
        reserved -= h.quantity();
        emit(
            new HoldReleased(
                LOC,
                SKU,
                h.holdId(),
                h.reservationId(),
                h.quantity(),
                onHand,
                reserved,
                available(),
                now));
        return new HoldReply(h.view(HoldStatus.RELEASED, h.expiresAt()));
      }
      Ended e = ended.get(r.holdId());
      if (e == null) return rejected(Rejection.RESERVATION_NOT_FOUND);
      return switch (e.status()) {
        case COMMITTED -> rejected(Rejection.RESERVATION_COMMITTED);
        case RELEASED -> new HoldReply(e.hold().view(HoldStatus.RELEASED, e.hold().expiresAt()));
        case EXPIRED -> new HoldReply(e.hold().view(HoldStatus.EXPIRED, e.hold().expiresAt()));
        case HELD, BACKORDERED -> throw new IllegalStateException();
      };
    }

    private StockReply extend(Extend x) {
      MHold h = active.get(x.holdId());
      if (h != null) {
        Instant expiresAt = now.plusSeconds(x.ttlSeconds());
        MHold moved =
            new MHold(
                h.holdId(),
                h.reservationId(),
                h.channel(),
                h.quantity(),
                expiresAt,
                h.grantedExpiresAt(),
                h.fingerprint());
        active.put(h.holdId(), moved);
        emit(
            new HoldExtended(
                LOC,
                SKU,
                h.holdId(),
                h.reservationId(),
                expiresAt,
                onHand,
                reserved,
                available(),
                now));
        return new HoldReply(moved.view(HoldStatus.HELD, expiresAt));
      }
      Ended e = ended.get(x.holdId());
      if (e == null) return rejected(Rejection.RESERVATION_NOT_FOUND);
      return switch (e.status()) {
        case COMMITTED -> rejected(Rejection.RESERVATION_COMMITTED);
        case RELEASED -> rejected(Rejection.RESERVATION_RELEASED);
        case EXPIRED -> rejected(Rejection.RESERVATION_EXPIRED);
        case HELD, BACKORDERED -> throw new IllegalStateException();
      };
    }

    private StockReply adjust(Adjust a) {
      if (a.adjustmentId() != null && adjustments.containsKey(a.adjustmentId())) {
        Applied first = adjustments.get(a.adjustmentId());
        return Objects.equals(first.fingerprint(), a.fingerprint())
            ? new LevelReply(first.level())
            : rejected(Rejection.IDEMPOTENCY_KEY_REUSED);
      }
      long delta;
      if (a.delta() != null) {
        delta = a.delta();
        // a delta that would take onHand below 0 is refused; a receipt never is
        if (delta < 0 && onHand + delta < 0) return rejected(Rejection.NEGATIVE_ON_HAND);
      } else {
        delta = a.setOnHand() - onHand;
      }
      onHand += delta;
      stocked = true;
      if (a.adjustmentId() != null)
        adjustments.put(a.adjustmentId(), new Applied(a.fingerprint(), level()));
      emit(
          new StockAdjusted(
              LOC,
              SKU,
              delta,
              a.reason(),
              a.reference(),
              a.adjustmentId(),
              a.fingerprint(),
              onHand,
              reserved,
              available(),
              now));
      return new LevelReply(level());
    }

    private StockReply policy(ChangePolicy p) {
      boolean same =
          p.safetyStock() == safetyStock
              && p.reorderPoint() == reorderPoint
              && p.reorderQuantity() == reorderQuantity;
      if (stocked && same) return new LevelReply(level());
      stocked = true;
      safetyStock = p.safetyStock();
      reorderPoint = p.reorderPoint();
      reorderQuantity = p.reorderQuantity();
      emit(
          new PolicyChanged(
              LOC,
              SKU,
              safetyStock,
              reorderPoint,
              reorderQuantity,
              onHand,
              reserved,
              available(),
              now));
      return new LevelReply(level());
    }
  }

  // ====================================================================== the generator

  /**
   * Valid requests (as the transports send them: quantity and ttl ≥ 1, delta ≠ 0, counts ≥ 0),
   * biased toward edges and retries. A reserve of 0 units is a known gap, see {@code
   * StockStateTest.Reserving.aReserveOfNoUnitsIsNotJournaled}.
   */
  static final class Generator {
    private static final List<String> CHANNELS = List.of("web", "mobile", "pos", "marketplace");

    private final Random rnd;
    private final List<String> holdIds = new ArrayList<>();
    private final Map<String, Reserve> firstReserve = new HashMap<>();
    private final List<String> adjustmentIds = new ArrayList<>();
    private final Map<String, Adjust> firstAdjust = new HashMap<>();
    private final List<RecordOfflineSale> sales = new ArrayList<>();
    private int fresh;

    Generator(Random rnd) {
      this.rnd = rnd;
    }

    private boolean chance(int percent) {
      return rnd.nextInt(100) < percent;
    }

    private long between(long lo, long hi) {
      return lo + (long) (rnd.nextDouble() * (hi - lo + 1));
    }

    Instant advance(Instant now) {
      int p = rnd.nextInt(100);
      if (p < 20) return now; // same instant
      if (p < 80) return now.plusMillis(between(1, 20_000)); // a little later
      return now.plusMillis(between(60_000, 400_000)); // past many deadlines
    }

    List<StockRequest> batch(Model model) {
      int size = chance(10) ? 0 : (int) between(1, 6); // an empty batch just expires
      List<StockRequest> batch = new ArrayList<>(size);
      for (int i = 0; i < size; i++) batch.add(request(model));
      return batch;
    }

    private StockRequest request(Model model) {
      int p = rnd.nextInt(100);
      if (p < 34) return reserve();
      if (p < 50) return new Commit(someHoldId());
      if (p < 60) return new Release(someHoldId());
      if (p < 67) return new Extend(someHoldId(), between(1, 300));
      if (p < 80) return adjustByDelta();
      if (p < 89) return adjust(null, chance(15) ? 0 : between(0, 30));
      if (p < 94) return sale();
      return policy(model);
    }

    private Reserve reserve() {
      if (!holdIds.isEmpty() && chance(25)) {
        Reserve first = firstReserve.get(holdIds.get(rnd.nextInt(holdIds.size())));
        if (chance(75)) return first; // an honest retry
        return new Reserve(
            first.holdId(),
            first.reservationId(),
            first.channel(),
            quantity(),
            first.ttlSeconds(),
            "fp-" + rnd.nextInt(1_000_000)); // the key reused
      }
      String holdId = "h" + fresh++;
      String fingerprint = chance(20) ? null : "fp-" + rnd.nextInt(1_000_000);
      long ttl = chance(70) ? between(1, 90) : chance(70) ? between(91, 600) : 3600;
      Reserve r =
          new Reserve(
              holdId,
              "res-" + holdId,
              CHANNELS.get(rnd.nextInt(CHANNELS.size())),
              quantity(),
              ttl,
              fingerprint);
      holdIds.add(holdId);
      firstReserve.put(holdId, r);
      return r;
    }

    /** An offline sale: new, replayed after a reconnect, or (rarely) a sale id reused. */
    private RecordOfflineSale sale() {
      if (!sales.isEmpty() && chance(30)) {
        RecordOfflineSale first = sales.get(rnd.nextInt(sales.size()));
        if (chance(85)) return first;
        return new RecordOfflineSale(
            first.saleId(), first.terminalId(), first.quantity() + 1, first.soldAt());
      }
      RecordOfflineSale s =
          new RecordOfflineSale(
              "o" + fresh++,
              "till-" + rnd.nextInt(3),
              chance(80) ? between(1, 4) : between(5, 40),
              T0.minusSeconds(between(0, 86_400)));
      sales.add(s);
      return s;
    }

    private long quantity() {
      int p = rnd.nextInt(100);
      if (p < 70) return between(1, 4);
      if (p < 92) return between(5, 15);
      return between(1_000, 1_000_000); // far too many
    }

    private String someHoldId() {
      if (holdIds.isEmpty() || chance(10)) return "unknown-" + rnd.nextInt(5);
      return holdIds.get(rnd.nextInt(holdIds.size()));
    }

    private Adjust adjustByDelta() {
      int p = rnd.nextInt(100);
      long delta = p < 50 ? between(1, 20) : p < 88 ? -between(1, 10) : -between(20, 500);
      return adjust(delta, 0);
    }

    /** {@code delta} null means a count to {@code setOnHand}. */
    private Adjust adjust(Long delta, long setOnHand) {
      if (!adjustmentIds.isEmpty() && chance(15)) {
        Adjust first = firstAdjust.get(adjustmentIds.get(rnd.nextInt(adjustmentIds.size())));
        if (chance(75)) return first;
        return new Adjust(
            first.adjustmentId(),
            "fp-" + rnd.nextInt(1_000_000),
            delta,
            delta == null ? setOnHand : null,
            reason(delta),
            null);
      }
      String id = chance(50) ? null : "a" + fresh++;
      Adjust a =
          new Adjust(
              id,
              id == null ? null : "fp-" + rnd.nextInt(1_000_000),
              delta,
              delta == null ? setOnHand : null,
              reason(delta),
              chance(30) ? "ref-" + rnd.nextInt(100) : null);
      if (id != null) {
        adjustmentIds.add(id);
        firstAdjust.put(id, a);
      }
      return a;
    }

    private static String reason(Long delta) {
      return delta == null ? "count" : delta > 0 ? "receipt" : "damage";
    }

    private ChangePolicy policy(Model model) {
      if (chance(25))
        return new ChangePolicy(model.safetyStock, model.reorderPoint, model.reorderQuantity);
      return new ChangePolicy(between(0, 4), chance(30) ? 0 : between(1, 6), between(0, 50));
    }
  }

  // ====================================================================== coverage

  /** Proof that the generator reaches the cases the invariants are about. */
  static final class Coverage {
    final Map<String, Long> counts = new HashMap<>();
    long snapshots;

    void count(List<StockRequest> batch, BatchDecision d, Replay replay) {
      for (StockEvent e : d.events()) counts.merge(e.getClass().getSimpleName(), 1L, Long::sum);
      for (StockReply r : d.replies()) {
        String key =
            switch (r) {
              case Rejected rej -> rej.reason().name();
              case SaleReply sale -> sale.outcome().name();
              default -> r.getClass().getSimpleName();
            };
        counts.merge(key, 1L, Long::sum);
      }
      if (replay.onHand < 0) counts.merge("negativeOnHand", 1L, Long::sum);
      if (batch.isEmpty()) counts.merge("emptyBatch", 1L, Long::sum);
    }

    void add(Coverage other) {
      other.counts.forEach((k, v) -> counts.merge(k, v, Long::sum));
      snapshots += other.snapshots;
    }

    void assertExercised(long master) {
      Set<String> needed =
          new HashSet<>(
              List.of(
                  "HoldPlaced",
                  "HoldCommitted",
                  "HoldReleased",
                  "HoldExpired",
                  "HoldExtended",
                  "StockAdjusted",
                  "PolicyChanged",
                  "LowStockCrossed",
                  "ShortageDetected",
                  "HoldReply",
                  "LevelReply",
                  "OfflineSaleRecorded",
                  "APPLIED",
                  "OVERSOLD",
                  "DUPLICATE",
                  "INSUFFICIENT_STOCK",
                  "NEGATIVE_ON_HAND",
                  "RESERVATION_NOT_FOUND",
                  "RESERVATION_COMMITTED",
                  "RESERVATION_RELEASED",
                  "RESERVATION_EXPIRED",
                  "IDEMPOTENCY_KEY_REUSED",
                  "emptyBatch"));
      Set<String> missing =
          needed.stream()
              .filter(k -> counts.getOrDefault(k, 0L) < 20)
              .collect(Collectors.toCollection(TreeSet::new));
      assertEquals(
          Set.of(),
          missing,
          "cases the generator hardly reached (master seed " + master + "): " + counts);
      assertTrue(snapshots > 100, "snapshot round trips: " + snapshots);
    }
  }
}
