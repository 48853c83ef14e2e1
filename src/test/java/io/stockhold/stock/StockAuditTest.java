package io.stockhold.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import io.stockhold.stock.StockRequest.Adjust;
import io.stockhold.stock.StockRequest.Commit;
import io.stockhold.stock.StockRequest.Reserve;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code stockhold verify} must notice a broken journal, and must not cry wolf over a sound one.
 */
class StockAuditTest {

  private static final String PID = "StockItem|store-7/SKU-1";
  private static final String LOC = "store-7";
  private static final String SKU = "SKU-1";
  private static final Instant T0 = Instant.parse("2026-11-26T12:00:00Z");

  private static Instant t(long seconds) {
    return T0.plusSeconds(seconds);
  }

  private static StockAdjusted adjusted(
      long delta, long onHand, long reserved, long available, Instant at) {
    return new StockAdjusted(
        LOC,
        SKU,
        delta,
        delta > 0 ? "receipt" : "count",
        null,
        null,
        null,
        onHand,
        reserved,
        available,
        at);
  }

  private static HoldPlaced placed(
      String holdId,
      long qty,
      Instant expiresAt,
      long onHand,
      long reserved,
      long available,
      Instant at) {
    return new HoldPlaced(
        LOC,
        SKU,
        holdId,
        "res-" + holdId,
        "web",
        qty,
        expiresAt,
        null,
        onHand,
        reserved,
        available,
        at);
  }

  private static HoldCommitted committed(
      String holdId, long qty, long onHand, long reserved, long available, Instant at) {
    return new HoldCommitted(
        LOC, SKU, holdId, "res-" + holdId, qty, onHand, reserved, available, at);
  }

  private static HoldReleased released(
      String holdId, long qty, long onHand, long reserved, long available, Instant at) {
    return new HoldReleased(
        LOC, SKU, holdId, "res-" + holdId, qty, onHand, reserved, available, at);
  }

  private static HoldExpired expired(
      String holdId, long qty, long onHand, long reserved, long available, Instant at) {
    return new HoldExpired(LOC, SKU, holdId, "res-" + holdId, qty, onHand, reserved, available, at);
  }

  private static StockAudit audit(List<StockEvent> events) {
    StockAudit audit = new StockAudit(PID);
    for (int i = 0; i < events.size(); i++) audit.check(i + 1, events.get(i));
    return audit;
  }

  /** Exactly one violation, at {@code sequenceNr}, whose text mentions {@code mentions}. */
  private static void assertOneViolation(StockAudit audit, long sequenceNr, String mentions) {
    List<Violation> violations = audit.violations();
    assertEquals(1, violations.size(), () -> "violations: " + violations);
    Violation v = violations.get(0);
    assertEquals(PID, v.persistenceId());
    assertEquals(sequenceNr, v.sequenceNr(), () -> "violation " + v);
    assertTrue(
        v.what().contains(mentions), () -> "violation " + v + " should mention '" + mentions + "'");
  }

  /** A sound history touching every event type. */
  private static List<StockEvent> cleanHistory() {
    return new ArrayList<>(
        List.of(
            adjusted(10, 10, 0, 10, t(0)), // 1
            new PolicyChanged(LOC, SKU, 2, 3, 20, 10, 0, 8, t(1)), // 2
            placed("h1", 4, t(62), 10, 4, 4, t(2)), // 3
            placed("h2", 1, t(603), 10, 5, 3, t(3)), // 4
            new LowStockCrossed(LOC, SKU, 3, 20, 10, 5, 3, t(3)), // 5
            new HoldExtended(LOC, SKU, "h1", "res-h1", t(200), 10, 5, 3, t(60)), // 6
            committed("h1", 4, 6, 1, 3, t(199)), // 7
            released("h2", 1, 6, 0, 4, t(250)), // 8
            placed("h3", 4, t(300), 6, 4, 0, t(260)), // 9
            adjusted(-3, 3, 4, 0, t(270)), // 10
            new ShortageDetected(LOC, SKU, 1, 3, 4, 0, t(270)), // 11
            expired("h3", 4, 3, 0, 1, t(300)))); // 12
  }

  @Test
  void aSoundHistoryHasNoViolationAndIsSummarized() {
    StockAudit audit = audit(cleanHistory());

    assertEquals(List.of(), audit.violations());
    assertEquals(12, audit.events());
    assertEquals(3, audit.holdsPlaced());
    assertEquals(4, audit.unitsCommitted());
    assertEquals(1, audit.holdsReleased());
    assertEquals(1, audit.holdsExpired());
    assertEquals(3, audit.onHand());
    assertEquals(0, audit.reserved());
    assertEquals(0, audit.activeHolds());
  }

  @Test
  void aHistoryWrittenByStockStateHasNoViolation() {
    StockItemId item = new StockItemId(LOC, SKU);
    StockState state = StockState.empty(item);
    List<StockEvent> events = new ArrayList<>();
    List<List<StockRequest>> batches =
        List.of(
            List.of(new Adjust(null, null, 6L, null, "receipt", null)),
            List.of(
                new Reserve("a", "res-a", "web", 2, 30, null),
                new Reserve("b", "res-b", "pos", 3, 600, null),
                new Reserve("c", "res-c", "web", 1, 600, null)),
            List.of(new Commit("b"), new Reserve("c", "res-c", "web", 1, 600, null)),
            List.of(new Commit("a")));
    long clock = 0;
    for (List<StockRequest> batch : batches) {
      var d = state.decideBatch(batch, t(clock));
      events.addAll(d.events());
      state = d.after();
      clock += 20;
    }

    StockAudit audit = audit(events);

    assertEquals(List.of(), audit.violations());
    assertEquals(3, audit.holdsPlaced());
    assertEquals(1, audit.holdsExpired(), "a lapsed at t=50 and its commit at t=60 was refused");
    assertEquals(3, audit.unitsCommitted());
    assertEquals(1, audit.activeHolds());
    assertEquals(state.holds().size(), audit.activeHolds());
    assertEquals(state.onHand(), audit.onHand());
    assertEquals(state.reserved(), audit.reserved());
  }

  @Test
  void detectsAHoldPlacedBeyondAvailable() {
    List<StockEvent> events =
        new ArrayList<>(
            List.of(
                adjusted(10, 10, 0, 10, t(0)),
                new PolicyChanged(LOC, SKU, 2, 0, 0, 10, 0, 8, t(1)),
                placed("h1", 5, t(600), 10, 5, 3, t(2)),
                placed("h2", 4, t(600), 10, 9, 0, t(3)))); // only 3 were available

    StockAudit audit = audit(events);

    assertOneViolation(audit, 4, "h2 granted 4 units with 3 available");
  }

  @Test
  void detectsAHoldEndedTwice() {
    List<StockEvent> events =
        List.of(
            adjusted(10, 10, 0, 10, t(0)),
            placed("h1", 4, t(600), 10, 4, 6, t(1)),
            released("h1", 4, 10, 0, 10, t(2)),
            committed("h1", 4, 6, 0, 6, t(3)));

    assertOneViolation(audit(events), 4, "h1 a second time");
  }

  @Test
  void detectsAHoldExpiredAfterItWasCommitted() {
    List<StockEvent> events =
        List.of(
            adjusted(10, 10, 0, 10, t(0)),
            placed("h1", 4, t(60), 10, 4, 6, t(1)),
            committed("h1", 4, 6, 0, 6, t(2)),
            expired("h1", 4, 6, 0, 6, t(60)));

    assertOneViolation(audit(events), 4, "a second time");
  }

  @Test
  void detectsAnEndOfAHoldNeverPlaced() {
    List<StockEvent> events =
        List.of(adjusted(10, 10, 0, 10, t(0)), released("ghost", 2, 10, 0, 10, t(1)));

    assertOneViolation(audit(events), 2, "never placed");
  }

  @Test
  void detectsACommitAtTheDeadline() {
    List<StockEvent> events =
        List.of(
            adjusted(10, 10, 0, 10, t(0)),
            placed("h1", 4, t(60), 10, 4, 6, t(0)),
            committed("h1", 4, 6, 0, 6, t(60)));

    assertOneViolation(audit(events), 3, "after its deadline");
  }

  @Test
  void detectsACommitAfterTheExtendedDeadline() {
    List<StockEvent> events =
        List.of(
            adjusted(10, 10, 0, 10, t(0)),
            placed("h1", 4, t(60), 10, 4, 6, t(0)),
            new HoldExtended(LOC, SKU, "h1", "res-h1", t(90), 10, 4, 6, t(30)),
            committed("h1", 4, 6, 0, 6, t(91)));

    assertOneViolation(audit(events), 4, "after its deadline");
  }

  @Test
  void detectsAnExpiryBeforeTheDeadline() {
    List<StockEvent> events =
        List.of(
            adjusted(10, 10, 0, 10, t(0)),
            placed("h1", 4, t(60), 10, 4, 6, t(0)),
            expired("h1", 4, 10, 0, 10, t(59)));

    assertOneViolation(audit(events), 3, "expired before its deadline");
  }

  @Test
  void detectsReservedDriftCarriedByAnEvent() {
    List<StockEvent> events =
        List.of(
            adjusted(10, 10, 0, 10, t(0)),
            placed("h1", 4, t(600), 10, 4, 6, t(1)),
            placed("h2", 2, t(600), 10, 5, 5, t(2))); // reserved should be 6, available 4

    assertOneViolation(audit(events), 3, "replay says 10/6/4");
  }

  @Test
  void detectsAnAvailableThatIgnoresSafetyStock() {
    List<StockEvent> events =
        List.of(
            adjusted(10, 10, 0, 10, t(0)),
            new PolicyChanged(LOC, SKU, 3, 0, 0, 10, 0, 7, t(1)),
            placed("h1", 4, t(600), 10, 4, 6, t(2))); // available is 10 - 4 - 3 = 3

    assertOneViolation(audit(events), 3, "replay says 10/4/3");
  }

  @Test
  void detectsASequenceGap() {
    StockAudit audit = new StockAudit(PID);
    audit.check(1, adjusted(10, 10, 0, 10, t(0)));
    audit.check(2, placed("h1", 4, t(600), 10, 4, 6, t(1)));
    audit.check(4, released("h1", 4, 10, 0, 10, t(2)));

    assertOneViolation(audit, 4, "follows 2");
  }

  @Test
  void detectsAJournalThatDoesNotStartAtOne() {
    StockAudit audit = new StockAudit(PID);
    audit.check(2, adjusted(10, 10, 0, 10, t(0)));

    assertOneViolation(audit, 2, "follows 0");
  }

  @Test
  void detectsAHoldPlacedTwice() {
    List<StockEvent> events =
        List.of(
            adjusted(10, 10, 0, 10, t(0)),
            placed("h1", 1, t(600), 10, 1, 9, t(1)),
            released("h1", 1, 10, 0, 10, t(2)),
            placed("h1", 1, t(600), 10, 1, 9, t(3)));

    assertOneViolation(audit(events), 4, "placed twice");
  }

  @Test
  void detectsAHoldOfNoUnits() {
    List<StockEvent> events =
        List.of(adjusted(10, 10, 0, 10, t(0)), placed("h1", 0, t(600), 10, 0, 10, t(1)));

    assertOneViolation(audit(events), 2, "of 0 units");
  }

  @Test
  void detectsADeltaTakingOnHandBelowZero() {
    List<StockEvent> events = List.of(adjusted(3, 3, 0, 3, t(0)), adjusted(-4, -1, 0, 0, t(1)));

    assertOneViolation(audit(events), 2, "took onHand to -1");
  }

  @Test
  void aReceiptThatRaisesANegativeOnHandIsNotAViolation() {
    // exactly what StockState journals: 10 on hand, 8 held, counted at 5, hold committed, 2
    // received
    List<StockEvent> events =
        List.of(
            adjusted(10, 10, 0, 10, t(0)),
            placed("h1", 8, t(600), 10, 8, 2, t(1)),
            adjusted(-5, 5, 8, 0, t(2)),
            new ShortageDetected(LOC, SKU, 3, 5, 8, 0, t(2)),
            committed("h1", 8, -3, 0, 0, t(3)),
            adjusted(2, -1, 0, 0, t(4)));

    assertEquals(List.of(), audit(events).violations());
  }

  private static OfflineSaleRecorded sold(
      String saleId, long qty, long onHand, long reserved, long available, Instant at) {
    return new OfflineSaleRecorded(
        LOC, SKU, saleId, "till-3", qty, t(-3600), onHand, reserved, available, at);
  }

  @Test
  void anOfflineSaleMayTakeOnHandBelowZero() {
    List<StockEvent> events =
        List.of(
            adjusted(11, 11, 0, 11, t(0)),
            sold("o1", 1, 10, 0, 10, t(1)),
            sold("o2", 12, -2, 0, 0, t(1)),
            new ShortageDetected(LOC, SKU, 2, -2, 0, 0, t(1)),
            adjusted(5, 3, 0, 3, t(2)));

    StockAudit audit = audit(events);

    assertEquals(List.of(), audit.violations());
    assertEquals(13, audit.unitsSoldOffline());
    assertEquals(3, audit.onHand());
  }

  @Test
  void detectsAnOfflineSaleRecordedTwice() {
    List<StockEvent> events =
        List.of(
            adjusted(11, 11, 0, 11, t(0)),
            sold("o1", 1, 10, 0, 10, t(1)),
            sold("o1", 1, 9, 0, 9, t(2)));

    assertOneViolation(audit(events), 3, "o1 recorded twice");
  }

  @Test
  void detectsAnOfflineSaleThatCarriesAWrongOnHand() {
    List<StockEvent> events =
        List.of(adjusted(11, 11, 0, 11, t(0)), sold("o1", 2, 10, 0, 10, t(1)));

    assertOneViolation(audit(events), 2, "replay says 9/0/9");
  }
}
