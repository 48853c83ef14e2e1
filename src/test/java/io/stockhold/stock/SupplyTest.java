package io.stockhold.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stockhold.stock.StockEvent.BackorderFilled;
import io.stockhold.stock.StockEvent.HoldBackordered;
import io.stockhold.stock.StockEvent.HoldReleased;
import io.stockhold.stock.StockEvent.StockAdjusted;
import io.stockhold.stock.StockReply.HoldReply;
import io.stockhold.stock.StockReply.HoldStatus;
import io.stockhold.stock.StockReply.LevelReply;
import io.stockhold.stock.StockReply.Rejected;
import io.stockhold.stock.StockReply.Rejection;
import io.stockhold.stock.StockRequest.Adjust;
import io.stockhold.stock.StockRequest.ChangePolicy;
import io.stockhold.stock.StockRequest.Commit;
import io.stockhold.stock.StockRequest.Extend;
import io.stockhold.stock.StockRequest.RecordIncoming;
import io.stockhold.stock.StockRequest.Release;
import io.stockhold.stock.StockRequest.Reserve;
import io.stockhold.stock.StockState.BatchDecision;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Incoming units, backorders and preorders on one item: who waits, in what order, and what arrives.
 * Every test also replays the item's whole journal through {@link StockAudit}.
 */
class SupplyTest {

  private static final StockItemId ITEM = new StockItemId("store-7", "BOOK-2");
  private static final Instant T0 = Instant.parse("2026-12-08T09:00:00Z");
  private static final Instant NEXT_WEEK = Instant.parse("2026-12-15T09:00:00Z");
  private static final long TTL = 600;

  /** The item and its journal so far. */
  private StockState state = StockState.empty(ITEM);

  private final List<StockEvent> journal = new ArrayList<>();

  private List<StockReply> decide(Instant at, StockRequest... requests) {
    BatchDecision d = state.decideBatch(List.of(requests), at);
    journal.addAll(d.events());
    state = d.after();
    return d.replies();
  }

  private StockReply one(Instant at, StockRequest request) {
    return decide(at, request).get(0);
  }

  private List<StockEvent> lastEvents = List.of();

  private StockReply tracked(Instant at, StockRequest request) {
    int before = journal.size();
    StockReply reply = one(at, request);
    lastEvents = List.copyOf(journal.subList(before, journal.size()));
    return reply;
  }

  private static Reserve preorder(String holdId, long quantity) {
    return new Reserve(holdId, "res-" + holdId, "web", quantity, TTL, null, "shop", null, true);
  }

  private static Reserve plain(String holdId, long quantity) {
    return new Reserve(holdId, "res-" + holdId, "web", quantity, TTL, null, "shop", null, false);
  }

  private static ChangePolicy backorders(long limit, boolean preorder) {
    return new ChangePolicy(0, 0, 0, "ops", new SellingRules(Map.of(), 0, 0, limit, preorder));
  }

  private static RecordIncoming incoming(String id, long quantity) {
    return new RecordIncoming(id, quantity, NEXT_WEEK, "PO-" + id, "buyer");
  }

  private static Adjust receipt(String incomingId, long units) {
    return new Adjust(null, null, units, null, "receipt", null, "dock", incomingId);
  }

  private static Adjust receipt(long units) {
    return new Adjust(null, null, units, null, "receipt", null, "dock", null);
  }

  private HoldStatus status(String holdId) {
    return state.holdAt(holdId, T0).orElseThrow().status();
  }

  private void assertAudited() {
    StockAudit audit = new StockAudit("StockItem|" + ITEM);
    for (int i = 0; i < journal.size(); i++) audit.check(i + 1, journal.get(i));
    audit.finish();
    assertEquals(List.of(), audit.violations());
    assertEquals(state.supply().backordered(), audit.backordered());
    assertEquals(state.supply().incomingTotal(), audit.incoming());
  }

  @Test
  void preordersWaitInArrivalOrderAndAreFilledFirstComeFirstServed() {
    one(T0, backorders(0, true));
    one(T0, incoming("po-1", 10));
    List<StockReply> replies = new ArrayList<>();
    for (int i = 1; i <= 12; i++) replies.add(one(T0.plusSeconds(i), preorder("c" + i, 1)));
    for (int i = 1; i <= 10; i++) {
      HoldReply r = assertInstanceOf(HoldReply.class, replies.get(i - 1));
      assertEquals(HoldStatus.BACKORDERED, r.hold().status(), "request " + i);
      assertNull(r.hold().expiresAt(), "a backorder has no deadline");
    }
    for (int i = 11; i <= 12; i++) {
      Rejected r = assertInstanceOf(Rejected.class, replies.get(i - 1));
      assertEquals(Rejection.INSUFFICIENT_STOCK, r.reason());
    }
    assertEquals(10, state.levelAt(T0).backordered());
    assertEquals(0, state.levelAt(T0).available());

    Instant arrival = T0.plus(java.time.Duration.ofDays(7));
    tracked(arrival, receipt("po-1", 6));
    List<String> filled =
        lastEvents.stream()
            .filter(e -> e instanceof BackorderFilled)
            .map(e -> ((BackorderFilled) e).holdId())
            .toList();
    assertEquals(List.of("c1", "c2", "c3", "c4", "c5", "c6"), filled, "in arrival order");
    for (StockEvent e : lastEvents) {
      if (e instanceof BackorderFilled f)
        assertEquals(arrival.plusSeconds(TTL), f.expiresAt(), "a fresh deadline");
    }
    assertEquals(HoldStatus.HELD, status("c1"));
    assertEquals(HoldStatus.BACKORDERED, status("c7"));
    assertEquals(4, state.levelAt(arrival).backordered());
    assertEquals(4, state.levelAt(arrival).incoming(), "the rest of the order is still coming");
    assertEquals(6, state.levelAt(arrival).reserved());

    // More is ordered; a new request while 4 wait queues behind them.
    one(arrival, incoming("po-2", 5));
    HoldReply late = assertInstanceOf(HoldReply.class, one(arrival, preorder("late", 1)));
    assertEquals(HoldStatus.BACKORDERED, late.hold().status());
    tracked(arrival.plusSeconds(1), receipt("po-2", 4));
    assertEquals(
        List.of("c7", "c8", "c9", "c10"),
        lastEvents.stream()
            .filter(e -> e instanceof BackorderFilled)
            .map(e -> ((BackorderFilled) e).holdId())
            .toList());
    assertEquals(HoldStatus.BACKORDERED, status("late"));
    assertAudited();
  }

  @Test
  void unitsThatArriveGoToTheWaitingBeforeANewRequestAndNoOneOvertakes() {
    one(T0, backorders(10, false));
    one(T0, preorder("big", 3));
    one(T0, preorder("small", 1));
    one(T0, receipt(2));
    // 2 free, but the first in line needs 3: nobody behind it and nobody new takes them.
    assertEquals(HoldStatus.BACKORDERED, status("big"));
    assertEquals(HoldStatus.BACKORDERED, status("small"));
    assertEquals(0, state.levelAt(T0).available());
    Rejected refused = assertInstanceOf(Rejected.class, one(T0, plain("walk-in", 1)));
    assertEquals(0, refused.available());
    one(T0, receipt(1));
    assertEquals(HoldStatus.HELD, status("big"));
    assertEquals(HoldStatus.BACKORDERED, status("small"));
    one(T0, receipt(1));
    assertEquals(HoldStatus.HELD, status("small"));
    assertAudited();
  }

  @Test
  void aBackorderLimitWithoutPreordersCountsOnlyTheLimit() {
    one(T0, backorders(3, false));
    one(T0, incoming("po-1", 100));
    assertInstanceOf(HoldReply.class, one(T0, preorder("a", 2)));
    assertInstanceOf(HoldReply.class, one(T0, preorder("b", 1)));
    Rejected r = assertInstanceOf(Rejected.class, one(T0, preorder("c", 1)));
    assertEquals(Rejection.INSUFFICIENT_STOCK, r.reason());
    // Without allowBackorder, a line is refused as ever.
    assertEquals(
        Rejection.INSUFFICIENT_STOCK,
        assertInstanceOf(Rejected.class, one(T0, plain("d", 1))).reason());
    assertAudited();
  }

  @Test
  void anItemThatTakesNoBackordersRefusesALineThatWouldWait() {
    one(T0, receipt(1));
    assertEquals(
        Rejection.INSUFFICIENT_STOCK,
        assertInstanceOf(Rejected.class, one(T0, preorder("a", 2))).reason());
    assertEquals(List.of(), state.supply().backorders());
  }

  @Test
  void aBackorderCanBeReleasedButNotCommittedOrExtendedAndLeavesTheQueue() {
    one(T0, backorders(5, false));
    one(T0, preorder("first", 2));
    one(T0, preorder("second", 1));
    assertEquals(
        Rejection.RESERVATION_BACKORDERED,
        assertInstanceOf(Rejected.class, one(T0, new Commit("first", "shop"))).reason());
    assertEquals(
        Rejection.RESERVATION_BACKORDERED,
        assertInstanceOf(Rejected.class, one(T0, new Extend("first", 60, "shop"))).reason());
    one(T0, receipt(1));
    assertEquals(HoldStatus.BACKORDERED, status("second"), "behind the first");
    HoldReply released =
        assertInstanceOf(HoldReply.class, tracked(T0, new Release("first", "shop")));
    assertEquals(HoldStatus.RELEASED, released.hold().status());
    assertInstanceOf(HoldReleased.class, lastEvents.get(0));
    assertInstanceOf(BackorderFilled.class, lastEvents.get(1), "the next in line gets the unit");
    assertEquals(HoldStatus.HELD, status("second"));
    assertEquals(HoldStatus.RELEASED, status("first"));
    // released again: the same answer; committed now: it is released
    assertInstanceOf(HoldReply.class, one(T0, new Release("first", "shop")));
    assertEquals(
        Rejection.RESERVATION_RELEASED,
        assertInstanceOf(Rejected.class, one(T0, new Commit("first", "shop"))).reason());
    assertAudited();
  }

  @Test
  void aFilledBackorderIsAHoldLikeAnyOtherItExpiresAndItsUnitsGoToTheNext() {
    one(T0, backorders(5, false));
    one(T0, preorder("a", 1));
    one(T0, preorder("b", 1));
    one(T0, receipt(1));
    assertEquals(HoldStatus.HELD, status("a"));
    Instant after = T0.plusSeconds(TTL + 1);
    // the item's expiry timer: a batch of no requests
    int before = journal.size();
    decide(after);
    List<StockEvent> events = journal.subList(before, journal.size());
    assertInstanceOf(StockEvent.HoldExpired.class, events.get(0));
    BackorderFilled next = assertInstanceOf(BackorderFilled.class, events.get(1));
    assertEquals("b", next.holdId());
    assertEquals(StockState.SYSTEM, next.actor());
    assertEquals(HoldStatus.HELD, state.holdAt("b", after).orElseThrow().status());
    assertAudited();
  }

  @Test
  void aRetriedBackorderIsAnsweredAsBackorderedAndPlacesNothing() {
    one(T0, backorders(5, false));
    Reserve first = new Reserve("a", "res-a", "web", 2, TTL, "fp-1", "shop", null, true);
    one(T0, first);
    int events = journal.size();
    HoldReply again = assertInstanceOf(HoldReply.class, one(T0.plusSeconds(1), first));
    assertEquals(HoldStatus.BACKORDERED, again.hold().status());
    assertEquals(events, journal.size());
    Reserve other = new Reserve("a", "res-a", "web", 3, TTL, "fp-2", "shop", null, true);
    assertEquals(
        Rejection.IDEMPOTENCY_KEY_REUSED,
        assertInstanceOf(Rejected.class, one(T0, other)).reason());
  }

  @Test
  void aReceiptAgainstAnIncomingEntryRecordsTheDifference() {
    one(T0, incoming("po-1", 10));
    one(T0, incoming("po-2", 5));
    assertEquals(15, state.levelAt(T0).incoming());
    tracked(T0, receipt("po-1", 6));
    StockAdjusted less = assertInstanceOf(StockAdjusted.class, lastEvents.get(0));
    assertEquals(10L, less.incomingExpected());
    assertEquals(4L, less.incomingLeft());
    assertEquals(9L, less.incoming(), "the item's total still incoming");
    assertEquals(9, state.levelAt(T0).incoming());
    tracked(T0, receipt("po-2", 7));
    StockAdjusted more = assertInstanceOf(StockAdjusted.class, lastEvents.get(0));
    assertEquals(5L, more.incomingExpected());
    assertEquals(0L, more.incomingLeft());
    assertEquals(4, state.levelAt(T0).incoming(), "po-2 closed");
    assertEquals(13, state.levelAt(T0).onHand(), "the excess went on hand too");
    assertEquals(
        List.of("po-1"),
        state.levelAt(T0).incomingEntries().stream().map(Supply.Incoming::incomingId).toList());
    assertEquals(
        Rejection.INCOMING_NOT_FOUND,
        assertInstanceOf(Rejected.class, one(T0, receipt("po-2", 1))).reason(),
        "closed");
    assertEquals(
        Rejection.INCOMING_NOT_FOUND,
        assertInstanceOf(Rejected.class, one(T0, receipt("po-9", 1))).reason(),
        "never recorded");
    assertAudited();
  }

  @Test
  void recordingTheSameIncomingAgainChangesNothingAndAnotherUnderItsIdIsRefused() {
    one(T0, incoming("po-1", 10));
    int events = journal.size();
    assertInstanceOf(LevelReply.class, one(T0, incoming("po-1", 10)));
    assertEquals(events, journal.size());
    assertEquals(
        Rejection.IDEMPOTENCY_KEY_REUSED,
        assertInstanceOf(Rejected.class, one(T0, incoming("po-1", 11))).reason());
    assertEquals(10, state.levelAt(T0).incoming());
    assertTrue(state.stocked(), "an item with only incoming units is known");
  }

  @Test
  void aCustomersWaitingUnitsCountAgainstItsLimit() {
    one(T0, new ChangePolicy(0, 0, 0, "ops", new SellingRules(Map.of(), 2, 3600, 10, false)));
    Reserve first = new Reserve("a", "res-a", "web", 2, TTL, null, "shop", "cust-1", true);
    Reserve second = new Reserve("b", "res-b", "web", 1, TTL, null, "shop", "cust-1", true);
    assertInstanceOf(HoldReply.class, one(T0, first));
    assertEquals(
        Rejection.CUSTOMER_LIMIT, assertInstanceOf(Rejected.class, one(T0, second)).reason());
    one(T0, new Release("a", "shop"));
    assertInstanceOf(HoldReply.class, one(T0, second));
    assertAudited();
  }

  @Test
  void aSnapshotKeepsTheIncomingAndTheQueueInOrder() {
    one(T0, backorders(0, true));
    one(T0, incoming("po-1", 10));
    for (String id : List.of("x", "y", "z")) one(T0, preorder(id, 1));
    one(T0, new Release("y", "shop"));
    StockState back = StockSnapshot.of(state).toState();
    assertEquals(state.supply().incomingTotal(), back.supply().incomingTotal());
    assertEquals(state.supply().backordered(), back.supply().backordered());
    assertEquals(
        List.of("x", "z"),
        back.supply().backorders().stream().map(Supply.Backorder::holdId).toList());
    assertEquals(state.rules(), back.rules());
    BatchDecision d = back.decideBatch(List.of(receipt("po-1", 1)), T0);
    assertEquals(
        "x", assertInstanceOf(BackorderFilled.class, d.events().get(1)).holdId(), "x first");
  }

  @Test
  void theAuditFindsAFillOutOfOrderAndABackorderBeyondTheLimit() {
    List<StockEvent> planted =
        List.of(
            new StockEvent.PolicyChanged(
                "store-7", "BOOK-2", 0, 0, 0, 0, 0, 0, T0, "ops", null, null, null, 1L, false),
            waiting("a", 1, 1, 0),
            waiting("b", 1, 2, 0),
            new StockAdjusted(
                "store-7", "BOOK-2", 1, "receipt", null, null, null, 1, 0, 0, T0, "dock"),
            new BackorderFilled(
                "store-7", "BOOK-2", "b", "res-b", 1, T0.plusSeconds(TTL), 1, 1, 1, 0, T0, "dock"));
    StockAudit audit = new StockAudit("StockItem|store-7/BOOK-2");
    for (int i = 0; i < planted.size(); i++) audit.check(i + 1, planted.get(i));
    audit.finish();
    List<String> found = audit.violations().stream().map(StockAudit.Violation::what).toList();
    assertTrue(found.stream().anyMatch(w -> w.contains("above the 1")), found.toString());
    assertTrue(found.stream().anyMatch(w -> w.contains("filled before a")), found.toString());
  }

  @Test
  void theAuditFindsABackorderLeftWaitingWithItsUnitsFree() {
    List<StockEvent> planted =
        List.of(
            new StockEvent.PolicyChanged(
                "store-7", "BOOK-2", 0, 0, 0, 0, 0, 0, T0, "ops", null, null, null, 5L, false),
            waiting("a", 1, 1, 0),
            new StockAdjusted(
                "store-7", "BOOK-2", 1, "receipt", null, null, null, 1, 0, 0, T0, "dock"));
    StockAudit audit = new StockAudit("StockItem|store-7/BOOK-2");
    for (int i = 0; i < planted.size(); i++) audit.check(i + 1, planted.get(i));
    audit.finish();
    assertFalse(audit.violations().isEmpty());
    assertTrue(audit.violations().get(0).what().contains("left waiting"));
  }

  @Test
  void aTransferShipsOnceOnlyFreeUnitsAndIsReceivedOnceAtTheOtherEnd() {
    one(T0, receipt(10));
    one(T0, plain("held", 4));
    StockReply tooMany = one(T0, new StockRequest.ShipTransfer("t-1", "store-8", 7, "ops"));
    assertEquals(6, assertInstanceOf(Rejected.class, tooMany).available(), "4 are held");
    assertInstanceOf(
        LevelReply.class, one(T0, new StockRequest.ShipTransfer("t-1", "store-8", 6, "ops")));
    int events = journal.size();
    assertInstanceOf(
        LevelReply.class, one(T0, new StockRequest.ShipTransfer("t-1", "store-8", 6, "ops")));
    assertEquals(events, journal.size(), "shipped once");
    assertEquals(
        Rejection.IDEMPOTENCY_KEY_REUSED,
        assertInstanceOf(
                Rejected.class, one(T0, new StockRequest.ShipTransfer("t-1", "store-8", 5, "ops")))
            .reason());
    assertEquals(4, state.onHand());
    assertAudited();

    // the receiving side: announced, then received with a shortfall, once
    StockState before = state;
    List<StockEvent> sent = List.copyOf(journal);
    state = StockState.empty(new StockItemId("store-8", "BOOK-2"));
    journal.clear();
    assertEquals(
        Rejection.INCOMING_NOT_FOUND,
        assertInstanceOf(
                Rejected.class,
                one(T0, new StockRequest.ReceiveTransfer("t-1", "store-7", 6, "ops")))
            .reason(),
        "not announced yet");
    one(T0, new RecordIncoming(Supply.transferEntry("t-1"), 6, T0, "transfer from store-7", "ops"));
    assertEquals(
        Rejection.INCOMING_NOT_FOUND,
        assertInstanceOf(Rejected.class, one(T0, receipt(Supply.transferEntry("t-1"), 6))).reason(),
        "a transfer is received as a transfer");
    tracked(T0, new StockRequest.ReceiveTransfer("t-1", "store-7", 5, "ops"));
    StockEvent.TransferReceived arrived =
        assertInstanceOf(StockEvent.TransferReceived.class, lastEvents.get(0));
    assertEquals(1, arrived.shortfall());
    assertEquals(5, state.onHand());
    assertEquals(0, state.supply().incomingTotal());
    events = journal.size();
    one(T0, new StockRequest.ReceiveTransfer("t-1", "store-7", 5, "ops"));
    assertEquals(events, journal.size(), "received once");
    assertAudited();
    assertTrue(before.supply().shipped().get("t-1").isPresent());
    assertFalse(sent.isEmpty());
  }

  @Test
  void theAuditFindsATransferReceivedTwice() {
    String entry = Supply.transferEntry("t-9");
    List<StockEvent> planted =
        List.of(
            new StockEvent.IncomingRecorded(
                "store-7", "BOOK-2", entry, 3, T0, null, 3, 0, 0, 0, T0, "ops"),
            new StockEvent.TransferReceived(
                "store-7", "BOOK-2", "t-9", "dc", 3, 3, 0, 0, 3, 0, 3, T0, "ops"),
            new StockEvent.TransferReceived(
                "store-7", "BOOK-2", "t-9", "dc", 3, 3, 0, 0, 6, 0, 6, T0, "ops"));
    StockAudit audit = new StockAudit("StockItem|store-7/BOOK-2");
    for (int i = 0; i < planted.size(); i++) audit.check(i + 1, planted.get(i));
    assertEquals(1, audit.violations().size(), audit.violations().toString());
    assertTrue(audit.violations().get(0).what().contains("or twice"));
  }

  private static HoldBackordered waiting(String id, long qty, long backordered, long available) {
    return new HoldBackordered(
        "store-7",
        "BOOK-2",
        id,
        "res-" + id,
        "web",
        qty,
        TTL,
        null,
        backordered,
        0,
        0,
        available,
        T0,
        "shop",
        null);
  }
}
