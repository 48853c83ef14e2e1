package io.stockhold.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import io.stockhold.stock.StockRequest.RecordOfflineSale;
import io.stockhold.stock.StockRequest.Release;
import io.stockhold.stock.StockRequest.Reserve;
import io.stockhold.stock.StockState.BatchDecision;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The stock item's rules (README "The HTTP API"), one rule per test: given a state, when a batch is
 * decided, then events, replies, state.
 */
class StockStateTest {

  private static final String LOC = "store-7";
  private static final String SKU = "SKU-1";
  private static final StockItemId ITEM = new StockItemId(LOC, SKU);
  private static final Instant T0 = Instant.parse("2026-11-26T12:00:00Z");
  private static final long TTL = 600;

  // ------------------------------------------------------------------ requests

  private static Reserve reserve(String holdId, long quantity) {
    return new Reserve(holdId, "res-" + holdId, "web", quantity, TTL, null);
  }

  private static Reserve reserve(
      String holdId, long quantity, long ttlSeconds, String fingerprint) {
    return new Reserve(holdId, "res-" + holdId, "web", quantity, ttlSeconds, fingerprint);
  }

  private static Commit commit(String holdId) {
    return new Commit(holdId);
  }

  private static Release release(String holdId) {
    return new Release(holdId);
  }

  private static Extend extend(String holdId, long ttlSeconds) {
    return new Extend(holdId, ttlSeconds);
  }

  private static Adjust delta(long delta) {
    return new Adjust(null, null, delta, null, delta > 0 ? "receipt" : "damage", null);
  }

  private static Adjust delta(String adjustmentId, String fingerprint, long delta) {
    return new Adjust(
        adjustmentId, fingerprint, delta, null, delta > 0 ? "receipt" : "damage", "ref-1");
  }

  private static Adjust count(long onHand) {
    return new Adjust(null, null, null, onHand, "count", null);
  }

  private static ChangePolicy policy(long safetyStock, long reorderPoint, long reorderQuantity) {
    return new ChangePolicy(safetyStock, reorderPoint, reorderQuantity);
  }

  // ------------------------------------------------------------------ expected values

  private static HoldPlaced placed(
      String holdId,
      long qty,
      Instant expiresAt,
      String fp,
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
        fp,
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
    return new HoldExpired(
        LOC, SKU, holdId, "res-" + holdId, qty, onHand, reserved, available, at, StockState.SYSTEM);
  }

  private static HoldView view(String holdId, long qty, HoldStatus status, Instant expiresAt) {
    return new HoldView(holdId, "res-" + holdId, "web", qty, status, expiresAt);
  }

  private static HoldReply holdReply(
      String holdId, long qty, HoldStatus status, Instant expiresAt) {
    return new HoldReply(view(holdId, qty, status, expiresAt));
  }

  private static Level level(long onHand, long reserved, long available) {
    return new Level(onHand, reserved, available, 0, 0, 0);
  }

  private static void assertRejected(Rejection reason, long available, StockReply reply) {
    Rejected rejected =
        assertInstanceOf(Rejected.class, reply, () -> "expected " + reason + ", got " + reply);
    assertEquals(reason, rejected.reason(), () -> "rejection of " + reply);
    assertEquals(available, rejected.available(), () -> "available carried by " + reply);
  }

  private static void assertRejected(Rejection reason, StockReply reply) {
    assertRejected(reason, 0, reply);
  }

  // ------------------------------------------------------------------ fixtures

  private static BatchDecision when(StockState state, Instant at, StockRequest... requests) {
    BatchDecision d = state.decideBatch(List.of(requests), at);
    assertEquals(requests.length, d.replies().size(), "one reply per request");
    return d;
  }

  /** A step of the "given" part: must be accepted. */
  private static StockState given(StockState state, Instant at, StockRequest... requests) {
    BatchDecision d = state.decideBatch(List.of(requests), at);
    for (StockReply r : d.replies()) {
      assertFalse(r instanceof Rejected, () -> "given step was rejected: " + r);
    }
    return d.after();
  }

  private static StockState stocked(long onHand) {
    return given(StockState.empty(ITEM), T0, count(onHand));
  }

  /** The batch changed nothing: no event, and the very same state. */
  private static void assertNothingChanged(StockState before, BatchDecision d) {
    assertEquals(List.of(), d.events());
    assertSame(before, d.after());
  }

  // ================================================================== reserve

  @Nested
  class Reserving {

    @Test
    void grantedWhenQuantityIsWithinAvailable() {
      StockState state = stocked(10);

      BatchDecision d = when(state, T0, reserve("h1", 3));

      Instant deadline = T0.plusSeconds(TTL);
      assertEquals(List.of(placed("h1", 3, deadline, null, 10, 3, 7, T0)), d.events());
      assertEquals(List.of(holdReply("h1", 3, HoldStatus.HELD, deadline)), d.replies());
      assertEquals(level(10, 3, 7), d.after().level());
      assertEquals(
          Optional.of(view("h1", 3, HoldStatus.HELD, deadline)), d.after().holdAt("h1", T0));
      assertEquals(Optional.of(deadline), d.after().nextDeadline());
    }

    @Test
    void grantedForExactlyTheAvailableQuantity() {
      StockState state = given(stocked(10), T0, policy(2, 0, 0), reserve("h0", 3));

      BatchDecision d = when(state, T0, reserve("h1", 5));

      assertEquals(List.of(placed("h1", 5, T0.plusSeconds(TTL), null, 10, 8, 0, T0)), d.events());
      assertEquals(List.of(holdReply("h1", 5, HoldStatus.HELD, T0.plusSeconds(TTL))), d.replies());
      assertEquals(new Level(10, 8, 0, 2, 0, 0), d.after().level());
    }

    @Test
    void insufficientBeyondAvailableCountingHoldsAndSafetyStock() {
      // 10 on hand - 3 held - 2 safety = 5 available
      StockState state = given(stocked(10), T0, policy(2, 0, 0), reserve("h0", 3));

      BatchDecision d = when(state, T0, reserve("h1", 6));

      assertRejected(Rejection.INSUFFICIENT_STOCK, 5, d.replies().get(0));
      assertNothingChanged(state, d);
      assertEquals(new Level(10, 3, 5, 2, 0, 0), d.after().level());
      assertEquals(Optional.empty(), d.after().holdAt("h1", T0));
    }

    @Test
    void safetyStockIsNeverOffered() {
      StockState state = given(stocked(5), T0, policy(5, 0, 0));

      BatchDecision d = when(state, T0, reserve("h1", 1));

      assertRejected(Rejection.INSUFFICIENT_STOCK, 0, d.replies().get(0));
      assertNothingChanged(state, d);
      assertEquals(new Level(5, 0, 0, 5, 0, 0), d.after().level());
    }

    @Test
    void aNeverStockedItemIsInsufficientWithZeroAvailable() {
      StockState state = StockState.empty(ITEM);

      BatchDecision d = when(state, T0, reserve("h1", 1));

      assertRejected(Rejection.INSUFFICIENT_STOCK, 0, d.replies().get(0));
      assertNothingChanged(state, d);
      assertFalse(d.after().stocked());
      assertFalse(d.after().hasActiveHolds());
    }

    @Test
    void aHoldOfNoUnitsOrNoTimeCannotEvenBeAsked() {
      assertThrows(IllegalArgumentException.class, () -> reserve("h1", 0));
      assertThrows(IllegalArgumentException.class, () -> reserve("h1", -1));
      assertThrows(
          IllegalArgumentException.class,
          () -> new StockRequest.Reserve("h1", "r1", "web", 1, 0, null));
      assertThrows(IllegalArgumentException.class, () -> new StockRequest.Extend("h1", 0));
      assertThrows(
          IllegalArgumentException.class,
          () -> new StockRequest.Adjust(null, null, 0L, null, "receipt", null));
      assertThrows(
          IllegalArgumentException.class,
          () -> new StockRequest.Adjust(null, null, 1L, 1L, "receipt", null));
    }

    @Test
    void inOneBatchRequestsAreDecidedInOrderSoTheFirstTwoOfThreeWinTwoUnits() {
      StockState state = stocked(2);

      BatchDecision d = when(state, T0, reserve("a", 1), reserve("b", 1), reserve("c", 1));

      Instant deadline = T0.plusSeconds(TTL);
      assertEquals(
          List.of(
              placed("a", 1, deadline, null, 2, 1, 1, T0),
              placed("b", 1, deadline, null, 2, 2, 0, T0)),
          d.events());
      assertEquals(holdReply("a", 1, HoldStatus.HELD, deadline), d.replies().get(0));
      assertEquals(holdReply("b", 1, HoldStatus.HELD, deadline), d.replies().get(1));
      assertRejected(Rejection.INSUFFICIENT_STOCK, 0, d.replies().get(2));
      assertEquals(level(2, 2, 0), d.after().level());
      assertEquals(Optional.empty(), d.after().holdAt("c", T0));
    }
  }

  // ================================================================== commit / release

  @Nested
  class CommittingAndReleasing {

    private final Instant deadline = T0.plusSeconds(TTL);
    private final StockState held = given(stocked(10), T0, reserve("h1", 3));

    @Test
    void commitTakesTheUnitsOffTheShelfAndOutOfReserved() {
      Instant at = T0.plusSeconds(5);

      BatchDecision d = when(held, at, commit("h1"));

      assertEquals(List.of(committed("h1", 3, 7, 0, 7, at)), d.events());
      assertEquals(List.of(holdReply("h1", 3, HoldStatus.COMMITTED, deadline)), d.replies());
      assertEquals(level(7, 0, 7), d.after().level());
      assertFalse(d.after().hasActiveHolds());
      assertEquals(Optional.empty(), d.after().nextDeadline());
      assertEquals(
          Optional.of(view("h1", 3, HoldStatus.COMMITTED, deadline)), d.after().holdAt("h1", at));
    }

    @Test
    void releaseGivesTheUnitsBack() {
      Instant at = T0.plusSeconds(5);

      BatchDecision d = when(held, at, release("h1"));

      assertEquals(List.of(released("h1", 3, 10, 0, 10, at)), d.events());
      assertEquals(List.of(holdReply("h1", 3, HoldStatus.RELEASED, deadline)), d.replies());
      assertEquals(level(10, 0, 10), d.after().level());
      assertFalse(d.after().hasActiveHolds());
      assertEquals(
          Optional.of(view("h1", 3, HoldStatus.RELEASED, deadline)), d.after().holdAt("h1", at));
    }

    @Test
    void aCommittedHoldAnswersCommitAgainAndRefusesReleaseAndExtend() {
      StockState state = given(held, T0.plusSeconds(5), commit("h1"));
      Instant at = T0.plusSeconds(10);

      BatchDecision d = when(state, at, commit("h1"), release("h1"), extend("h1", 60));

      assertEquals(holdReply("h1", 3, HoldStatus.COMMITTED, deadline), d.replies().get(0));
      assertRejected(Rejection.RESERVATION_COMMITTED, d.replies().get(1));
      assertRejected(Rejection.RESERVATION_COMMITTED, d.replies().get(2));
      assertNothingChanged(state, d);
      assertEquals(level(7, 0, 7), d.after().level());
    }

    @Test
    void aReleasedHoldAnswersReleaseAgainAndRefusesCommitAndExtend() {
      StockState state = given(held, T0.plusSeconds(5), release("h1"));
      Instant at = T0.plusSeconds(10);

      BatchDecision d = when(state, at, commit("h1"), release("h1"), extend("h1", 60));

      assertRejected(Rejection.RESERVATION_RELEASED, d.replies().get(0));
      assertEquals(holdReply("h1", 3, HoldStatus.RELEASED, deadline), d.replies().get(1));
      assertRejected(Rejection.RESERVATION_RELEASED, d.replies().get(2));
      assertNothingChanged(state, d);
      assertEquals(level(10, 0, 10), d.after().level());
    }

    @Test
    void anExpiredHoldRefusesCommitAndExtendAndAnswersReleaseWithExpired() {
      StockState state = given(held, deadline); // the empty batch at the deadline expires it
      assertFalse(state.hasActiveHolds());
      Instant at = deadline.plusSeconds(10);

      BatchDecision d = when(state, at, commit("h1"), release("h1"), extend("h1", 60));

      assertRejected(Rejection.RESERVATION_EXPIRED, d.replies().get(0));
      assertEquals(holdReply("h1", 3, HoldStatus.EXPIRED, deadline), d.replies().get(1));
      assertRejected(Rejection.RESERVATION_EXPIRED, d.replies().get(2));
      assertNothingChanged(state, d);
      assertEquals(level(10, 0, 10), d.after().level());
    }

    @Test
    void anUnknownHoldIsNotFoundForCommitReleaseAndExtend() {
      BatchDecision d =
          when(held, T0.plusSeconds(5), commit("nope"), release("nope"), extend("nope", 60));

      assertRejected(Rejection.RESERVATION_NOT_FOUND, d.replies().get(0));
      assertRejected(Rejection.RESERVATION_NOT_FOUND, d.replies().get(1));
      assertRejected(Rejection.RESERVATION_NOT_FOUND, d.replies().get(2));
      assertNothingChanged(held, d);
      assertEquals(Optional.empty(), d.after().holdAt("nope", T0));
    }
  }

  // ================================================================== expiry and extend

  @Nested
  class Expiry {

    private final Instant deadline = T0.plusSeconds(60);
    // 5 on hand, all 5 held for 60 s
    private final StockState held = given(stocked(5), T0, reserve("h1", 5, 60, null));

    @Test
    void aHoldPastItsDeadlineIsExpiredAtTheStartOfTheNextBatch() {
      Instant at = deadline.plusMillis(250);

      BatchDecision d = when(held, at, reserve("h2", 5));

      assertEquals(
          List.of(
              expired("h1", 5, 5, 0, 5, at),
              placed("h2", 5, at.plusSeconds(TTL), null, 5, 5, 0, at)),
          d.events());
      assertEquals(List.of(holdReply("h2", 5, HoldStatus.HELD, at.plusSeconds(TTL))), d.replies());
      assertEquals(level(5, 5, 0), d.after().level());
      assertEquals(
          Optional.of(view("h1", 5, HoldStatus.EXPIRED, deadline)), d.after().holdAt("h1", at));
    }

    @Test
    void anEmptyBatchAtExactlyTheDeadlineExpiresIt() {
      BatchDecision d = when(held, deadline);

      assertEquals(List.of(expired("h1", 5, 5, 0, 5, deadline)), d.events());
      assertEquals(List.of(), d.replies());
      assertEquals(level(5, 0, 5), d.after().level());
      assertEquals(Optional.empty(), d.after().nextDeadline());
    }

    @Test
    void aHoldBeforeItsDeadlineIsNotExpired() {
      Instant at = deadline.minusMillis(1);

      BatchDecision d = when(held, at);

      assertNothingChanged(held, d);
      assertEquals(level(5, 5, 0), d.after().levelAt(at));
      assertEquals(
          Optional.of(view("h1", 5, HoldStatus.HELD, deadline)), d.after().holdAt("h1", at));
    }

    @Test
    void aLapsedHoldIsNotCountedByLevelAtEvenBeforeItIsJournaled() {
      assertEquals(level(5, 5, 0), held.levelAt(deadline.minusMillis(1)));
      assertEquals(level(5, 0, 5), held.levelAt(deadline));
      assertEquals(level(5, 0, 5), held.levelAt(deadline.plusSeconds(3600)));
      assertEquals(
          Optional.of(view("h1", 5, HoldStatus.EXPIRED, deadline)), held.holdAt("h1", deadline));
      // ... while the books themselves still carry it until HoldExpired is journaled
      assertEquals(5, held.reserved());
      assertTrue(held.hasActiveHolds());
    }

    @Test
    void aLapsedHoldCannotBeCommitted() {
      Instant at = deadline.plusMillis(1);

      BatchDecision d = when(held, at, commit("h1"));

      assertEquals(List.of(expired("h1", 5, 5, 0, 5, at)), d.events());
      assertRejected(Rejection.RESERVATION_EXPIRED, d.replies().get(0));
      assertEquals(level(5, 0, 5), d.after().level());
    }

    @Test
    void holdsExpireInDeadlineOrderAndOnlyThoseDue() {
      StockState state =
          given(
              stocked(10),
              T0,
              reserve("late", 1, 300, null),
              reserve("early", 2, 30, null),
              reserve("mid", 3, 60, null));
      Instant at = T0.plusSeconds(60);

      BatchDecision d = when(state, at);

      assertEquals(
          List.of(expired("early", 2, 10, 4, 6, at), expired("mid", 3, 10, 1, 9, at)), d.events());
      assertEquals(level(10, 1, 9), d.after().level());
      assertEquals(Optional.of(T0.plusSeconds(300)), d.after().nextDeadline());
    }

    @Test
    void extendMovesTheDeadline() {
      Instant at = T0.plusSeconds(30);
      Instant moved = at.plusSeconds(120);

      BatchDecision d = when(held, at, extend("h1", 120));

      assertEquals(
          List.of(new HoldExtended(LOC, SKU, "h1", "res-h1", moved, 5, 5, 0, at)), d.events());
      assertEquals(List.of(holdReply("h1", 5, HoldStatus.HELD, moved)), d.replies());
      assertEquals(level(5, 5, 0), d.after().level());
      assertEquals(Optional.of(moved), d.after().nextDeadline());

      // the old deadline passes without expiry; the hold can still be committed
      StockState extended = d.after();
      Instant afterOldDeadline = deadline.plusSeconds(10);
      assertNothingChanged(extended, when(extended, afterOldDeadline));
      assertEquals(level(5, 5, 0), extended.levelAt(afterOldDeadline));
      BatchDecision commit = when(extended, afterOldDeadline, commit("h1"));
      assertEquals(List.of(committed("h1", 5, 0, 0, 0, afterOldDeadline)), commit.events());
      assertEquals(holdReply("h1", 5, HoldStatus.COMMITTED, moved), commit.replies().get(0));

      // ... and it expires at the new one
      assertEquals(List.of(expired("h1", 5, 5, 0, 5, moved)), when(extended, moved).events());
    }
  }

  // ================================================================== idempotency

  @Nested
  class Idempotency {

    private final Instant granted = T0.plusSeconds(TTL);
    private final StockState held = given(stocked(10), T0, reserve("h1", 3, TTL, "fp-A"));

    @Test
    void aRetryWithTheSameFingerprintRepliesTheFirstAnswerAndChangesNothing() {
      BatchDecision d = when(held, T0.plusSeconds(1), reserve("h1", 3, TTL, "fp-A"));

      assertEquals(List.of(holdReply("h1", 3, HoldStatus.HELD, granted)), d.replies());
      assertNothingChanged(held, d);
      assertEquals(level(10, 3, 7), d.after().level());
    }

    @Test
    void aRetryInTheSameBatchIsNotReservedTwice() {
      StockState state = stocked(10);

      BatchDecision d =
          when(state, T0, reserve("h1", 3, TTL, "fp-A"), reserve("h1", 3, TTL, "fp-A"));

      assertEquals(List.of(placed("h1", 3, granted, "fp-A", 10, 3, 7, T0)), d.events());
      assertEquals(
          List.of(
              holdReply("h1", 3, HoldStatus.HELD, granted),
              holdReply("h1", 3, HoldStatus.HELD, granted)),
          d.replies());
      assertEquals(level(10, 3, 7), d.after().level());
    }

    @Test
    void aRetryAfterExtendAndCommitStillRepliesTheOriginalGrant() {
      StockState state = given(held, T0.plusSeconds(10), extend("h1", 3600));
      state = given(state, T0.plusSeconds(20), commit("h1"));

      BatchDecision d = when(state, T0.plusSeconds(30), reserve("h1", 3, TTL, "fp-A"));

      assertEquals(List.of(holdReply("h1", 3, HoldStatus.HELD, granted)), d.replies());
      assertNothingChanged(state, d);
      assertEquals(level(7, 0, 7), d.after().level());
    }

    @Test
    void aRetryWithAnotherFingerprintIsAReusedKey() {
      BatchDecision d = when(held, T0.plusSeconds(1), reserve("h1", 4, TTL, "fp-B"));

      assertRejected(Rejection.IDEMPOTENCY_KEY_REUSED, d.replies().get(0));
      assertNothingChanged(held, d);
      assertEquals(level(10, 3, 7), d.after().level());
    }

    @Test
    void aKeyedAdjustmentRetriedRepliesTheFirstLevelAndIsNotAppliedTwice() {
      StockState state = StockState.empty(ITEM);
      BatchDecision first = when(state, T0, delta("a1", "fp-A", 10));
      assertEquals(
          List.of(new StockAdjusted(LOC, SKU, 10, "receipt", "ref-1", "a1", "fp-A", 10, 0, 10, T0)),
          first.events());
      assertEquals(List.of(new LevelReply(level(10, 0, 10))), first.replies());
      StockState later = given(first.after(), T0.plusSeconds(1), reserve("h1", 4));

      BatchDecision d = when(later, T0.plusSeconds(2), delta("a1", "fp-A", 10));

      assertEquals(List.of(new LevelReply(level(10, 0, 10))), d.replies());
      assertNothingChanged(later, d);
      assertEquals(level(10, 4, 6), d.after().level());
    }

    @Test
    void aKeyedAdjustmentWithAnotherFingerprintIsAReusedKey() {
      StockState state = given(StockState.empty(ITEM), T0, delta("a1", "fp-A", 10));

      BatchDecision d = when(state, T0.plusSeconds(1), delta("a1", "fp-B", 7));

      assertRejected(Rejection.IDEMPOTENCY_KEY_REUSED, d.replies().get(0));
      assertNothingChanged(state, d);
      assertEquals(level(10, 0, 10), d.after().level());
    }

    @Test
    void anInsufficientReserveIsNotRememberedSoItsRetrySucceedsOnceStockArrives() {
      StockState empty = StockState.empty(ITEM);
      BatchDecision refused = when(empty, T0, reserve("h1", 2, TTL, "fp-A"));
      assertRejected(Rejection.INSUFFICIENT_STOCK, 0, refused.replies().get(0));
      assertNothingChanged(empty, refused);
      StockState restocked = given(refused.after(), T0.plusSeconds(1), delta(5));
      Instant at = T0.plusSeconds(2);

      BatchDecision d = when(restocked, at, reserve("h1", 2, TTL, "fp-A"));

      assertEquals(List.of(placed("h1", 2, at.plusSeconds(TTL), "fp-A", 5, 2, 3, at)), d.events());
      assertEquals(List.of(holdReply("h1", 2, HoldStatus.HELD, at.plusSeconds(TTL))), d.replies());
      assertEquals(level(5, 2, 3), d.after().level());
    }

    @Test
    void aRefusedKeyedAdjustmentIsNotRememberedSoItsRetryIsDecidedAgain() {
      StockState state = stocked(2);
      BatchDecision refused = when(state, T0, delta("a1", "fp-A", -3));
      assertRejected(Rejection.NEGATIVE_ON_HAND, refused.replies().get(0));
      assertNothingChanged(state, refused);
      StockState restocked = given(state, T0.plusSeconds(1), delta(4));
      Instant at = T0.plusSeconds(2);

      BatchDecision d = when(restocked, at, delta("a1", "fp-A", -3));

      assertEquals(
          List.of(new StockAdjusted(LOC, SKU, -3, "damage", "ref-1", "a1", "fp-A", 3, 0, 3, at)),
          d.events());
      assertEquals(List.of(new LevelReply(level(3, 0, 3))), d.replies());
      assertEquals(level(3, 0, 3), d.after().level());
    }
  }

  // ================================================================== adjustments and policy

  @Nested
  class Adjustments {

    @Test
    void aReceiptStocksANeverStockedItem() {
      StockState state = StockState.empty(ITEM);

      BatchDecision d = when(state, T0, delta(4));

      assertEquals(
          List.of(new StockAdjusted(LOC, SKU, 4, "receipt", null, null, null, 4, 0, 4, T0)),
          d.events());
      assertEquals(List.of(new LevelReply(level(4, 0, 4))), d.replies());
      assertTrue(d.after().stocked());
      assertEquals(level(4, 0, 4), d.after().level());
    }

    @Test
    void aDeltaTakingOnHandBelowZeroIsRefused() {
      StockState state = stocked(3);

      BatchDecision d = when(state, T0.plusSeconds(1), delta(-4));

      assertRejected(Rejection.NEGATIVE_ON_HAND, d.replies().get(0));
      assertNothingChanged(state, d);
      assertEquals(level(3, 0, 3), d.after().level());
    }

    @Test
    void aDeltaTakingOnHandToExactlyZeroIsAccepted() {
      StockState state = stocked(3);
      Instant at = T0.plusSeconds(1);

      BatchDecision d = when(state, at, delta(-3));

      assertEquals(
          List.of(new StockAdjusted(LOC, SKU, -3, "damage", null, null, null, 0, 0, 0, at)),
          d.events());
      assertEquals(List.of(new LevelReply(level(0, 0, 0))), d.replies());
      assertEquals(level(0, 0, 0), d.after().level());
    }

    @Test
    void aCountIsJournaledAsTheDeltaItImplies() {
      StockState state = stocked(10);
      Instant at = T0.plusSeconds(1);

      BatchDecision d = when(state, at, count(4));

      assertEquals(
          List.of(new StockAdjusted(LOC, SKU, -6, "count", null, null, null, 4, 0, 4, at)),
          d.events());
      assertEquals(List.of(new LevelReply(level(4, 0, 4))), d.replies());
      assertEquals(level(4, 0, 4), d.after().level());
    }

    @Test
    void aCountBelowWhatIsHeldIsAcceptedAndSignalsAShortageOnce() {
      StockState state = given(stocked(10), T0, reserve("h1", 8));
      Instant at = T0.plusSeconds(1);

      BatchDecision d = when(state, at, count(5));

      assertEquals(
          List.of(
              new StockAdjusted(LOC, SKU, -5, "count", null, null, null, 5, 8, 0, at),
              new ShortageDetected(LOC, SKU, 3, 5, 8, 0, at)),
          d.events());
      assertEquals(List.of(new LevelReply(level(5, 8, 0))), d.replies());
      assertEquals(level(5, 8, 0), d.after().level());
      assertTrue(d.after().shortageSignalled());
      assertTrue(d.after().hasActiveHolds(), "physical truth wins, but holds stay");

      // still short: no second signal
      Instant later = at.plusSeconds(1);
      BatchDecision again = when(d.after(), later, count(4), delta(-1));
      assertEquals(
          List.of(
              new StockAdjusted(LOC, SKU, -1, "count", null, null, null, 4, 8, 0, later),
              new StockAdjusted(LOC, SKU, -1, "damage", null, null, null, 3, 8, 0, later)),
          again.events());
      assertTrue(again.after().shortageSignalled());
    }

    @Test
    void theShortageSignalReArmsOnceItClears() {
      StockState shortState =
          given(given(stocked(10), T0, reserve("h1", 8)), T0.plusSeconds(1), count(5));
      Instant at = T0.plusSeconds(2);

      BatchDecision cleared = when(shortState, at, release("h1"));

      assertEquals(List.of(released("h1", 8, 5, 0, 5, at)), cleared.events());
      assertFalse(cleared.after().shortageSignalled());

      StockState heldAgain = given(cleared.after(), at, reserve("h2", 5));
      Instant later = at.plusSeconds(1);
      BatchDecision d = when(heldAgain, later, delta(-1));
      assertEquals(
          List.of(
              new StockAdjusted(LOC, SKU, -1, "damage", null, null, null, 4, 5, 0, later),
              new ShortageDetected(LOC, SKU, 1, 4, 5, 0, later)),
          d.events());
      assertEquals(List.of(new LevelReply(level(4, 5, 0))), d.replies());
      assertTrue(d.after().shortageSignalled());
    }

    @Test
    void aHoldInAShortageMayStillBeCommitted() {
      StockState shortState =
          given(given(stocked(10), T0, reserve("h1", 8)), T0.plusSeconds(1), count(5));
      Instant at = T0.plusSeconds(2);

      BatchDecision d = when(shortState, at, commit("h1"));

      // onHand follows the arithmetic of a commit (5 - 8); the shortage is for people to resolve
      assertEquals(List.of(committed("h1", 8, -3, 0, 0, at)), d.events());
      assertEquals(
          List.of(holdReply("h1", 8, HoldStatus.COMMITTED, T0.plusSeconds(TTL))), d.replies());
      assertEquals(level(-3, 0, 0), d.after().level());
      assertTrue(d.after().shortageSignalled(), "onHand -3 < reserved 0: still short");
    }

    @Test
    void aPolicyChangeIsJournaledAndSafetyStockLowersAvailable() {
      StockState state = stocked(10);
      Instant at = T0.plusSeconds(1);

      BatchDecision d = when(state, at, policy(4, 0, 25));

      assertEquals(List.of(new PolicyChanged(LOC, SKU, 4, 0, 25, 10, 0, 6, at)), d.events());
      assertEquals(List.of(new LevelReply(new Level(10, 0, 6, 4, 0, 25))), d.replies());
      assertEquals(new Level(10, 0, 6, 4, 0, 25), d.after().level());
    }

    @Test
    void theSamePolicyAgainChangesNothing() {
      StockState state = given(stocked(10), T0, policy(4, 0, 25));

      BatchDecision d = when(state, T0.plusSeconds(1), policy(4, 0, 25));

      assertEquals(List.of(new LevelReply(new Level(10, 0, 6, 4, 0, 25))), d.replies());
      assertNothingChanged(state, d);
    }
  }

  // ================================================================== low stock

  @Nested
  class LowStock {

    private final StockState state = given(stocked(10), T0, policy(0, 3, 20));

    @Test
    void crossingTheReorderPointIsSignalledOnce() {
      StockState above = given(state, T0, reserve("h1", 6)); // available 4 > 3
      assertFalse(above.lowStockSignalled());
      Instant at = T0.plusSeconds(1);

      BatchDecision d = when(above, at, reserve("h2", 1), reserve("h3", 1));

      Instant deadline = at.plusSeconds(TTL);
      assertEquals(
          List.of(
              placed("h2", 1, deadline, null, 10, 7, 3, at),
              new LowStockCrossed(LOC, SKU, 3, 20, 10, 7, 3, at),
              placed("h3", 1, deadline, null, 10, 8, 2, at)),
          d.events());
      assertEquals(
          List.of(
              holdReply("h2", 1, HoldStatus.HELD, deadline),
              holdReply("h3", 1, HoldStatus.HELD, deadline)),
          d.replies());
      assertEquals(new Level(10, 8, 2, 0, 3, 20), d.after().level());
      assertTrue(d.after().lowStockSignalled());
    }

    @Test
    void theSignalReArmsWhenAvailableRisesAboveTheReorderPoint() {
      StockState low = given(state, T0, reserve("h1", 8)); // available 2
      assertTrue(low.lowStockSignalled());
      Instant at = T0.plusSeconds(1);

      BatchDecision rise = when(low, at, release("h1"));

      assertEquals(List.of(released("h1", 8, 10, 0, 10, at)), rise.events());
      assertFalse(rise.after().lowStockSignalled());

      Instant later = at.plusSeconds(1);
      BatchDecision d = when(rise.after(), later, delta(-7));
      assertEquals(
          List.of(
              new StockAdjusted(LOC, SKU, -7, "damage", null, null, null, 3, 0, 3, later),
              new LowStockCrossed(LOC, SKU, 3, 20, 3, 0, 3, later)),
          d.events());
      assertEquals(List.of(new LevelReply(new Level(3, 0, 3, 0, 3, 20))), d.replies());
      assertTrue(d.after().lowStockSignalled());
    }

    @Test
    void risingToExactlyTheReorderPointDoesNotReArm() {
      StockState low = given(state, T0, reserve("h1", 8)); // available 2, signalled
      Instant at = T0.plusSeconds(1);

      StockState atPoint = given(low, at, delta(1)); // available 3 = reorder point
      assertTrue(atPoint.lowStockSignalled());
      BatchDecision d = when(atPoint, at, delta(-1));

      assertEquals(
          List.of(new StockAdjusted(LOC, SKU, -1, "damage", null, null, null, 10, 8, 2, at)),
          d.events());
    }

    @Test
    void withoutAReorderPointNothingIsSignalled() {
      StockState noPoint = given(stocked(10), T0, policy(0, 0, 20));
      Instant at = T0.plusSeconds(1);

      BatchDecision d = when(noPoint, at, reserve("h1", 10));

      assertEquals(List.of(placed("h1", 10, at.plusSeconds(TTL), null, 10, 10, 0, at)), d.events());
      assertFalse(d.after().lowStockSignalled());
    }
  }

  // ================================================================== offline POS sales

  @Nested
  class OfflineSales {

    private final Instant soldAt = T0.minusSeconds(3600);

    private RecordOfflineSale sale(String saleId, long quantity) {
      return new RecordOfflineSale(saleId, "till-3", quantity, soldAt);
    }

    private OfflineSaleRecorded recorded(
        String saleId, long quantity, long onHand, long reserved, long available, Instant at) {
      return new OfflineSaleRecorded(
          LOC, SKU, saleId, "till-3", quantity, soldAt, onHand, reserved, available, at);
    }

    @Test
    void aSaleTakesItsUnitsOffTheBooks() {
      Instant at = T0.plusSeconds(1);

      BatchDecision d = when(stocked(11), at, sale("o1", 3));

      assertEquals(List.of(recorded("o1", 3, 8, 0, 8, at)), d.events());
      assertEquals(List.of(new SaleReply(SaleOutcome.APPLIED, level(8, 0, 8))), d.replies());
    }

    @Test
    void theDesignExampleAppliesTwoCountsOneDuplicateAndOneOversoldAndEndsAtMinusTwo() {
      Instant at = T0.plusSeconds(1);

      BatchDecision d = when(stocked(11), at, sale("o1", 1), sale("o1", 1), sale("o2", 12));

      assertEquals(
          List.of(
              recorded("o1", 1, 10, 0, 10, at),
              recorded("o2", 12, -2, 0, 0, at),
              new ShortageDetected(LOC, SKU, 2, -2, 0, 0, at)),
          d.events());
      assertEquals(
          List.of(
              new SaleReply(SaleOutcome.APPLIED, level(10, 0, 10)),
              new SaleReply(SaleOutcome.DUPLICATE, level(10, 0, 10)),
              new SaleReply(SaleOutcome.OVERSOLD, level(-2, 0, 0))),
          d.replies());
      assertEquals(level(-2, 0, 0), d.after().level());
      assertTrue(d.after().shortageSignalled());
    }

    @Test
    void aReplayedBatchChangesNothing() {
      StockState after = given(stocked(11), T0.plusSeconds(1), sale("o1", 1), sale("o2", 12));

      BatchDecision replay =
          when(after, T0.plus(Duration.ofDays(29)), sale("o1", 1), sale("o2", 12));

      assertEquals(
          List.of(
              new SaleReply(SaleOutcome.DUPLICATE, level(10, 0, 10)),
              new SaleReply(SaleOutcome.DUPLICATE, level(-2, 0, 0))),
          replay.replies());
      assertNothingChanged(after, replay);
    }

    @Test
    void aSaleIdReusedForAnotherSaleIsRefusedAndChangesNothing() {
      StockState after = given(stocked(11), T0.plusSeconds(1), sale("o1", 1));

      BatchDecision d = when(after, T0.plusSeconds(2), sale("o1", 2));

      assertRejected(Rejection.IDEMPOTENCY_KEY_REUSED, d.replies().get(0));
      assertNothingChanged(after, d);
    }

    @Test
    void takingUnitsThatHoldsCountOnIsOversoldAndAShortageButTheHoldsStay() {
      StockState state = given(stocked(10), T0, reserve("h1", 6));
      Instant at = T0.plusSeconds(1);

      BatchDecision d = when(state, at, sale("o1", 4), sale("o2", 1));

      assertEquals(
          List.of(
              recorded("o1", 4, 6, 6, 0, at),
              recorded("o2", 1, 5, 6, 0, at),
              new ShortageDetected(LOC, SKU, 1, 5, 6, 0, at)),
          d.events());
      assertEquals(
          SaleOutcome.APPLIED, ((SaleReply) d.replies().get(0)).outcome(), "4 of the 4 free units");
      assertEquals(
          SaleOutcome.OVERSOLD, ((SaleReply) d.replies().get(1)).outcome(), "a unit held for h1");
      assertTrue(d.after().hasActiveHolds());
    }

    @Test
    void sellingIntoTheSafetyStockIsNotOversold() {
      StockState state = given(stocked(10), T0, policy(4, 0, 0));

      BatchDecision d = when(state, T0.plusSeconds(1), sale("o1", 8));

      assertEquals(
          new SaleReply(SaleOutcome.APPLIED, new Level(2, 0, 0, 4, 0, 0)), d.replies().get(0));
    }

    @Test
    void aSaleOfANeverStockedItemStocksItBelowZero() {
      Instant at = T0.plusSeconds(1);

      BatchDecision d = when(StockState.empty(ITEM), at, sale("o1", 2));

      assertEquals(
          List.of(recorded("o1", 2, -2, 0, 0, at), new ShortageDetected(LOC, SKU, 2, -2, 0, 0, at)),
          d.events());
      assertTrue(d.after().stocked(), "GetStock now finds it");
    }

    @Test
    void saleIdsAreRememberedForThirtyDays() {
      StockState after = given(stocked(11), T0, sale("o1", 1));
      // another sale, 31 days later, is what makes the memory forget the old one
      StockState muchLater =
          given(after, T0.plus(StockState.SALE_RETENTION).plusSeconds(1), sale("o9", 1));

      assertTrue(after.sales().get("o1").isPresent());
      assertTrue(muchLater.sales().get("o1").isEmpty(), "forgotten after the retention period");
      StockState justInside = given(after, T0.plus(StockState.SALE_RETENTION), sale("o9", 1));
      assertTrue(justInside.sales().get("o1").isPresent(), "kept for the whole retention period");
    }

    @Test
    void aSaleOfNoUnitsCannotEvenBeAsked() {
      assertThrows(IllegalArgumentException.class, () -> sale("o1", 0));
      assertThrows(
          IllegalArgumentException.class, () -> new RecordOfflineSale("", "till", 1, soldAt));
    }

    @Test
    void theSaleMemorySurvivesASnapshot() {
      StockState after = given(stocked(11), T0.plusSeconds(1), sale("o1", 1));

      StockState restored = StockSnapshot.of(after).toState();

      assertEquals(after.sales().entries(), restored.sales().entries());
      BatchDecision d = when(restored, T0.plusSeconds(2), sale("o1", 1));
      assertEquals(SaleOutcome.DUPLICATE, ((SaleReply) d.replies().get(0)).outcome());
    }
  }

  // ================================================================== events carry the level

  @Test
  void everyEventCarriesOnHandReservedAndAvailableAfterIt() {
    StockState state = given(stocked(10), T0, policy(1, 2, 9), reserve("x", 1, 30, null));
    Instant at = T0.plusSeconds(30);

    BatchDecision d =
        when(
            state,
            at,
            reserve("a", 4),
            reserve("b", 3),
            commit("a"),
            extend("b", 60),
            delta(-5),
            release("b"),
            count(2));

    record Carried(Class<?> type, long onHand, long reserved, long available) {}
    List<Carried> carried =
        d.events().stream()
            .map(e -> new Carried(e.getClass(), e.onHand(), e.reserved(), e.available()))
            .toList();
    assertEquals(
        List.of(
            new Carried(HoldExpired.class, 10, 0, 9),
            new Carried(HoldPlaced.class, 10, 4, 5),
            new Carried(HoldPlaced.class, 10, 7, 2),
            new Carried(LowStockCrossed.class, 10, 7, 2),
            new Carried(HoldCommitted.class, 6, 3, 2),
            new Carried(HoldExtended.class, 6, 3, 2),
            new Carried(StockAdjusted.class, 1, 3, 0),
            new Carried(ShortageDetected.class, 1, 3, 0),
            new Carried(HoldReleased.class, 1, 0, 0),
            new Carried(StockAdjusted.class, 2, 0, 1)),
        carried);
    assertEquals(new Level(2, 0, 1, 1, 2, 9), d.after().level());
    for (StockEvent e : d.events()) {
      assertEquals(LOC, e.location());
      assertEquals(SKU, e.sku());
      assertEquals(at, e.occurredAt());
    }
  }

  @Test
  void replayingTheEventsRebuildsTheSameState() {
    StockState start = StockState.empty(ITEM);
    BatchDecision a =
        when(
            start,
            T0,
            delta("a1", "fp", 10),
            policy(1, 3, 5),
            reserve("h1", 4, 30, "f1"),
            reserve("h2", 2));
    BatchDecision b = when(a.after(), T0.plusSeconds(31), commit("h2"), count(3), reserve("h3", 1));

    StockState replayed = start;
    for (StockEvent e : a.events()) replayed = replayed.apply(e);
    for (StockEvent e : b.events()) replayed = replayed.apply(e);

    assertEquals(b.after(), replayed);
    assertEquals(new Level(3, 1, 1, 1, 3, 5), replayed.level());
  }
}
