package io.stockhold.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stockhold.stock.StockReply.HoldReply;
import io.stockhold.stock.StockReply.LevelReply;
import io.stockhold.stock.StockReply.Rejected;
import io.stockhold.stock.StockReply.Rejection;
import io.stockhold.stock.StockReply.Unavailable;
import io.stockhold.stock.StockRequest.Adjust;
import io.stockhold.stock.StockRequest.ChangePolicy;
import io.stockhold.stock.StockRequest.Commit;
import io.stockhold.stock.StockRequest.Release;
import io.stockhold.stock.StockRequest.Reserve;
import io.stockhold.stock.StockState.BatchDecision;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Units kept for channels and the per-customer limit, as the item decides them. */
class SellingRulesTest {

  private static final StockItemId ITEM = new StockItemId("store-7", "SKU-1");
  private static final Instant T0 = Instant.parse("2026-12-07T12:00:00Z");

  private static Reserve reserve(String holdId, String channel, long quantity, String customer) {
    return new Reserve(holdId, "res-" + holdId, channel, quantity, 600, null, null, customer);
  }

  private static Reserve reserve(String holdId, String channel, long quantity, long ttlSeconds) {
    return new Reserve(holdId, "res-" + holdId, channel, quantity, ttlSeconds, null, null, null);
  }

  private static StockState item(long onHand, SellingRules rules) {
    BatchDecision d =
        StockState.empty(ITEM)
            .decideBatch(
                List.of(
                    new Adjust(null, null, onHand, null, "receipt", null),
                    new ChangePolicy(0, 0, 0, null, rules)),
                T0);
    return d.after();
  }

  private static StockReply one(StockState s, StockRequest r, Instant at) {
    return s.decideBatch(List.of(r), at).replies().get(0);
  }

  private static StockState after(StockState s, Instant at, StockRequest... requests) {
    BatchDecision d = s.decideBatch(List.of(requests), at);
    for (StockReply reply : d.replies()) {
      if (!(reply instanceof HoldReply) && !(reply instanceof LevelReply)) {
        throw new AssertionError("not accepted: " + reply);
      }
    }
    return d.after();
  }

  private static final SellingRules FIVE_FOR_POS =
      new SellingRules(Map.of("pos", 5L), 0, SellingRules.DEFAULT_CUSTOMER_WINDOW_SECONDS);

  @Test
  void theWebCannotTakeTheUnitsKeptForThePosButThePosCan() {
    StockState s = item(10, FIVE_FOR_POS);
    assertEquals(Map.of("pos", 10L, "*", 5L), s.levelAt(T0).availableByChannel());

    Rejected tooMany = assertInstanceOf(Rejected.class, one(s, reserve("w1", "web", 6, null), T0));
    assertEquals(Rejection.INSUFFICIENT_STOCK, tooMany.reason());
    assertEquals(5, tooMany.available());

    s = after(s, T0, reserve("w1", "web", 5, null));
    assertEquals(
        Rejection.INSUFFICIENT_STOCK,
        assertInstanceOf(Rejected.class, one(s, reserve("w2", "mobile", 1, null), T0)).reason());
    assertEquals(Map.of("pos", 5L, "*", 0L), s.levelAt(T0).availableByChannel());

    s = after(s, T0, reserve("p1", "pos", 5, null));
    assertEquals(0, s.levelAt(T0).available());
  }

  @Test
  void aChannelsOwnHoldsUseItsFenceAndOthersSeeOnlyWhatIsUnused() {
    StockState s = after(item(10, FIVE_FOR_POS), T0, reserve("p1", "pos", 2, null));
    // pos holds 2 of its 5: 3 stay kept; 8 are available, 5 of them to the web.
    assertEquals(8, s.levelAt(T0).available());
    assertEquals(Map.of("pos", 8L, "*", 5L), s.levelAt(T0).availableByChannel());
  }

  @Test
  void aCommitDoesNotUseTheFenceUp() {
    StockState s = after(item(10, FIVE_FOR_POS), T0, reserve("p1", "pos", 5, null));
    s = after(s, T0, new Commit("p1"));
    // 5 left on hand, and the fence keeps all 5 for the pos again.
    assertEquals(Map.of("pos", 5L, "*", 0L), s.levelAt(T0).availableByChannel());
    assertEquals(
        Rejection.INSUFFICIENT_STOCK,
        assertInstanceOf(Rejected.class, one(s, reserve("w1", "web", 1, null), T0)).reason());
  }

  @Test
  void aLapsedHoldOfTheFencedChannelNoLongerCountsAgainstItsFence() {
    StockState s = after(item(10, FIVE_FOR_POS), T0, reserve("p1", "pos", 4, 10));
    Instant later = T0.plusSeconds(11);
    // Not expired yet (no write expires it), but lapsed: pos holds nothing live.
    BatchDecision d = s.decideBatch(List.of(reserve("w1", "web", 5, null)), later, 0);
    assertInstanceOf(HoldReply.class, d.replies().get(0));
    assertEquals(Map.of("pos", 5L, "*", 0L), d.after().levelAt(later).availableByChannel());
  }

  private static final SellingRules TWO_A_CUSTOMER = new SellingRules(Map.of(), 2, 3600);

  @Test
  void anItemWithALimitWantsToKnowTheCustomer() {
    StockReply reply = one(item(10, TWO_A_CUSTOMER), reserve("h1", "web", 1, null), T0);
    assertEquals(Rejection.CUSTOMER_REQUIRED, assertInstanceOf(Rejected.class, reply).reason());
  }

  @Test
  void aCustomerGetsNoMoreThanTheLimitAcrossHoldsAndChannels() {
    StockState s = after(item(10, TWO_A_CUSTOMER), T0, reserve("h1", "web", 1, "c-1"));
    Rejected over = assertInstanceOf(Rejected.class, one(s, reserve("h2", "pos", 2, "c-1"), T0));
    assertEquals(Rejection.CUSTOMER_LIMIT, over.reason());
    assertEquals(1, over.available());
    s = after(s, T0, reserve("h2", "pos", 1, "c-1"), reserve("h3", "web", 2, "c-2"));
    assertEquals(
        Rejection.CUSTOMER_LIMIT,
        assertInstanceOf(Rejected.class, one(s, reserve("h4", "web", 1, "c-1"), T0)).reason());
  }

  @Test
  void releasedHoldsGiveTheAllowanceBackAndCommitsCountForTheWindow() {
    StockState s = after(item(10, TWO_A_CUSTOMER), T0, reserve("h1", "web", 2, "c-1"));
    s = after(s, T0, new Release("h1"));
    s = after(s, T0, reserve("h2", "web", 2, "c-1"), new Commit("h2"));
    Instant withinWindow = T0.plusSeconds(3599);
    assertEquals(
        Rejection.CUSTOMER_LIMIT,
        assertInstanceOf(Rejected.class, one(s, reserve("h3", "web", 1, "c-1"), withinWindow))
            .reason());
    assertInstanceOf(HoldReply.class, one(s, reserve("h3", "web", 1, "c-1"), T0.plusSeconds(3601)));
  }

  @Test
  void aLapsedHoldGivesTheAllowanceBackBeforeItsExpiryIsWritten() {
    StockState s =
        after(
            item(10, TWO_A_CUSTOMER),
            T0,
            new Reserve("h1", "res-h1", "web", 2, 10, null, null, "c-1"));
    BatchDecision d = s.decideBatch(List.of(reserve("h2", "web", 2, "c-1")), T0.plusSeconds(11), 0);
    assertInstanceOf(HoldReply.class, d.replies().get(0));
  }

  @Test
  void aSnapshotKeepsTheRulesAndWhatEachCustomerHas() {
    SellingRules both = new SellingRules(Map.of("pos", 3L), 2, 3600);
    StockState s =
        after(item(10, both), T0, reserve("h1", "web", 1, "c-1"), reserve("h2", "pos", 2, "c-2"));
    s = after(s, T0, new Commit("h2"));
    StockState back = StockSnapshot.of(s).toState();
    assertEquals(both, back.rules());
    assertEquals(s.levelAt(T0), back.levelAt(T0));
    assertEquals(s.heldByChannel(), back.heldByChannel());
    assertEquals(
        Rejection.CUSTOMER_LIMIT,
        assertInstanceOf(Rejected.class, one(back, reserve("h3", "web", 1, "c-2"), T0)).reason());
    assertInstanceOf(HoldReply.class, one(back, reserve("h3", "web", 1, "c-1"), T0));
  }

  @Test
  void replayingTheEventsGivesTheSameCustomersAsDeciding() {
    StockState start = item(10, TWO_A_CUSTOMER);
    BatchDecision d =
        start.decideBatch(
            List.of(
                reserve("h1", "web", 1, "c-1"),
                reserve("h2", "web", 2, "c-2"),
                new Commit("h2"),
                new Release("h1")),
            T0);
    StockState replayed = start;
    for (StockEvent e : d.events()) replayed = replayed.apply(e);
    assertEquals(d.after().customers(), replayed.customers());
    assertEquals(0, replayed.customers().held("c-2"));
    assertEquals(2, replayed.customers().committedSince("c-2", T0.minusSeconds(1)));
    // c-1 has nothing left that counts: forgotten.
    assertEquals(false, replayed.customers().knows("c-1"));
  }

  @Test
  void anItemThatRemembersAsManyCustomersAsItMayTurnsANewOneAwayRatherThanForgetOne() {
    Customers full = Customers.empty();
    for (int i = 0; i < Customers.LIMIT; i++) {
      full = full.hold("c-" + i, 1, T0, java.time.Duration.ofHours(1));
    }
    StockState s = item(1_000_000, TWO_A_CUSTOMER);
    s =
        new StockState(
            s.location(),
            s.sku(),
            s.stocked(),
            s.onHand(),
            s.reserved(),
            s.safetyStock(),
            s.reorderPoint(),
            s.reorderQuantity(),
            s.lowStockSignalled(),
            s.shortageSignalled(),
            s.holds(),
            s.deadlines(),
            s.finishedHolds(),
            s.adjustments(),
            s.sales(),
            s.rules(),
            s.heldByChannel(),
            full,
            s.supply());
    StockReply reply = one(s, reserve("new", "web", 1, "someone-new"), T0);
    assertEquals(
        Unavailable.Reason.OVERLOADED, assertInstanceOf(Unavailable.class, reply).reason());
  }

  @Test
  void theAuditFindsNoFaultInWhatTheItemDecidedAndFindsTheOnesPlantedInACopy() {
    SellingRules both = new SellingRules(Map.of("pos", 5L), 2, 3600);
    List<StockRequest> requests =
        List.of(
            new Adjust(null, null, 10L, null, "receipt", null),
            new ChangePolicy(0, 0, 0, null, both),
            reserve("w1", "web", 2, "c-1"),
            reserve("w2", "web", 2, "c-2"),
            new Commit("w1"),
            reserve("w3", "web", 1, "c-1"),
            reserve("p1", "pos", 2, "c-3"));
    BatchDecision d = StockState.empty(ITEM).decideBatch(requests, T0);
    StockAudit clean = audit(d.events());
    assertEquals(List.of(), clean.violations());

    // A copy where the web took 2 units with 1 not kept for the pos, for c-1, who bought 2.
    List<StockEvent> planted = new java.util.ArrayList<>(d.events());
    StockState s = d.after();
    assertEquals(8, s.onHand());
    assertEquals(4, s.reserved());
    planted.add(
        new StockEvent.HoldPlaced(
            "store-7",
            "SKU-1",
            "w9",
            "res-w9",
            "web",
            2,
            T0.plusSeconds(600),
            null,
            8,
            6,
            2,
            T0,
            null,
            "c-1"));
    List<String> found =
        audit(planted).violations().stream().map(StockAudit.Violation::what).toList();
    assertEquals(2, found.size(), found.toString());
    assertTrue(found.get(0).contains("1 not kept for other channels"), found.toString());
    assertTrue(found.get(1).contains("above the limit of 2"), found.toString());
  }

  private static StockAudit audit(List<StockEvent> events) {
    StockAudit audit = new StockAudit("StockItem|store-7/SKU-1");
    long seq = 0;
    for (StockEvent e : events) audit.check(++seq, e);
    return audit;
  }
}
