package io.stockhold.chaos;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stockhold.chaos.ChaosChecks.Journal;
import io.stockhold.chaos.History.Line;
import io.stockhold.chaos.History.Operation;
import io.stockhold.chaos.History.Outcome;
import io.stockhold.idempotency.Idempotency;
import io.stockhold.stock.StockEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checker can fail: a clean history and journal pass, and each planted violation — an
 * acknowledged hold missing from the journal, a hold committed twice, a refused hold journaled, an
 * ERP message missing, more committed than stocked — is reported.
 */
class ChaosChecksTest {

  private static final String KEY_ID = "0123456789abcdef";
  private static final String PID = "StockItem|chaos-a/sku-00";
  private static final Instant T = Instant.parse("2026-12-07T12:00:00Z");

  /**
   * A run in miniature: stocked with 5, one hold committed, one refused, one unanswered, one unit
   * sold offline.
   */
  private final List<Operation> history = new ArrayList<>();

  private final List<StockEvent> events = new ArrayList<>();

  ChaosChecksTest() {
    String receipt = Idempotency.operationId(Idempotency.ADJUSTMENTS, KEY_ID, "k-1");
    events.add(
        new StockEvent.StockAdjusted(
            "chaos-a", "sku-00", 5, "receipt", null, receipt, "f", 5, 0, 5, T));
    history.add(op(1, "adjust", "k-1", null, Outcome.OK, 5L));
    Operation held = op(2, "hold", "k-2", null, Outcome.OK, null);
    String heldId = ChaosChecks.reservationId(held);
    history.add(withId(held, heldId));
    events.add(placed(heldId, 2, 5, 2));
    history.add(op(3, "commit", null, heldId, Outcome.OK, null));
    String holdId = heldId.substring(heldId.lastIndexOf('~') + 1);
    events.add(new StockEvent.HoldCommitted("chaos-a", "sku-00", holdId, heldId, 2, 3, 0, 3, T));
    history.add(op(4, "hold", "k-4", null, Outcome.REFUSED, null));
    Operation unanswered = op(5, "hold", "k-5", null, Outcome.UNKNOWN, null);
    history.add(unanswered);
    events.add(placed(ChaosChecks.reservationId(unanswered), 2, 3, 2));
    history.add(op(6, "sale", "s-6", null, Outcome.OK, 1L));
    events.add(
        new StockEvent.OfflineSaleRecorded("chaos-a", "sku-00", "s-6", "till", 1, T, 2, 2, 0, T));
  }

  @Test
  void aCleanRunPasses(@TempDir Path dir) throws Exception {
    // Through the file, as a run writes and reads it.
    Path file = dir.resolve("history.jsonl");
    try (History h = History.create(file)) {
      history.forEach(h::record);
    }
    List<Operation> read = History.read(file);
    assertTrue(Files.readString(file).lines().count() == history.size());
    Journal journal = journal(events);
    assertTrue(ChaosChecks.invariants(journal).pass(), ChaosChecks.invariants(journal).line());
    var writes = ChaosChecks.acknowledgedWrites(read, journal);
    assertTrue(writes.pass(), writes.line());
    assertTrue(writes.figures().contains("hold unanswered, applied once 1"), writes.line());
    assertTrue(writes.figures().contains("sale acknowledged, journaled once 1"), writes.line());
    assertTrue(ChaosChecks.committedWithinStocked(journal).pass());
    assertTrue(ChaosChecks.erpComplete(journal, allIds(events.size()), 0).pass());
  }

  @Test
  void anAcknowledgedHoldMissingFromTheJournalFails() {
    List<StockEvent> planted = new ArrayList<>(events);
    planted.remove(2);
    planted.remove(1);
    var check = ChaosChecks.acknowledgedWrites(history, journal(planted));
    assertFalse(check.pass(), check.line());
    assertTrue(check.line().contains("acknowledged"), check.line());
  }

  @Test
  void aHoldCommittedTwiceFails() {
    List<StockEvent> planted = new ArrayList<>(events);
    planted.add(3, planted.get(2));
    var check = ChaosChecks.acknowledgedWrites(history, journal(planted));
    assertFalse(check.pass(), check.line());
    assertFalse(ChaosChecks.invariants(journal(planted)).pass());
  }

  @Test
  void aRefusedHoldThatIsJournaledFails() {
    List<StockEvent> planted = new ArrayList<>(events);
    planted.add(placed(ChaosChecks.reservationId(history.get(3)), 1, 3, 2));
    var check = ChaosChecks.acknowledgedWrites(history, journal(planted));
    assertFalse(check.pass(), check.line());
    assertTrue(check.line().contains("refused hold"), check.line());
  }

  @Test
  void anOfflineSaleRecordedTwiceOrNotAtAllFails() {
    List<StockEvent> twice = new ArrayList<>(events);
    twice.add(twice.getLast());
    var check = ChaosChecks.acknowledgedWrites(history, journal(twice));
    assertFalse(check.pass(), check.line());
    assertTrue(check.line().contains("acknowledged sale, journaled 2"), check.line());

    List<StockEvent> lost = new ArrayList<>(events);
    lost.removeLast();
    check = ChaosChecks.acknowledgedWrites(history, journal(lost));
    assertFalse(check.pass(), check.line());
    assertTrue(check.line().contains("acknowledged sale, journaled 0"), check.line());
  }

  @Test
  void aGapInTheErpStreamFails() {
    Set<String> ids = allIds(events.size());
    ids.remove(PID + ":2");
    var check = ChaosChecks.erpComplete(journal(events), ids, 0);
    assertFalse(check.pass(), check.line());
    assertTrue(check.line().contains(PID + ":2"), check.line());
  }

  @Test
  void moreCommittedThanStockedFails() {
    List<StockEvent> planted = new ArrayList<>(events);
    planted.set(
        0,
        new StockEvent.StockAdjusted(
            "chaos-a", "sku-00", 1, "receipt", null, null, null, 1, 0, 1, T));
    assertFalse(ChaosChecks.committedWithinStocked(journal(planted)).pass());
  }

  private static Journal journal(List<StockEvent> events) {
    Journal journal = new Journal();
    journal.item(PID);
    for (int i = 0; i < events.size(); i++) journal.event(PID, i + 1, events.get(i));
    return journal;
  }

  private static Set<String> allIds(int n) {
    Set<String> ids = new HashSet<>();
    for (int i = 1; i <= n; i++) ids.add(PID + ":" + i);
    return ids;
  }

  private static StockEvent placed(
      String reservationId, long quantity, long onHand, long reserved) {
    return new StockEvent.HoldPlaced(
        "chaos-a",
        "sku-00",
        reservationId.substring(reservationId.lastIndexOf('~') + 1),
        reservationId,
        "web",
        quantity,
        T.plusSeconds(60),
        "f",
        onHand,
        reserved,
        onHand - reserved,
        T);
  }

  private static Operation op(
      long n, String kind, String key, String reservationId, Outcome outcome, Long quantity) {
    List<Line> lines =
        kind.equals("hold") || kind.equals("adjust")
            ? List.of(new Line("chaos-a", "sku-00", kind.equals("hold") ? 2 : quantity))
            : null;
    return new Operation(
        n,
        kind,
        1,
        key,
        key == null ? null : KEY_ID,
        reservationId,
        lines,
        quantity,
        T,
        T.plusMillis(5),
        outcome,
        outcome == Outcome.OK ? 200 : outcome == Outcome.REFUSED ? 409 : 0,
        1,
        null);
  }

  private static Operation withId(Operation op, String reservationId) {
    return new Operation(
        op.op(),
        op.kind(),
        op.node(),
        op.key(),
        op.principal(),
        reservationId,
        op.lines(),
        op.quantity(),
        op.callAt(),
        op.answerAt(),
        op.outcome(),
        op.status(),
        op.attempts(),
        op.detail());
  }
}
