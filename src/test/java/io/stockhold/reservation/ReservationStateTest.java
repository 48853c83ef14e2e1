package io.stockhold.reservation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stockhold.reservation.ReservationEvent.AllHeld;
import io.stockhold.reservation.ReservationEvent.DeadlineExtended;
import io.stockhold.reservation.ReservationEvent.Finished;
import io.stockhold.reservation.ReservationEvent.Finishing;
import io.stockhold.reservation.ReservationEvent.HoldsRefused;
import io.stockhold.reservation.ReservationEvent.HoldsRequested;
import io.stockhold.reservation.ReservationEvent.HoldsReturned;
import io.stockhold.reservation.ReservationReply.ShortLine;
import io.stockhold.reservation.ReservationReply.View;
import io.stockhold.reservation.ReservationState.End;
import io.stockhold.reservation.ReservationState.LineAnswer;
import io.stockhold.reservation.ReservationState.Phase;
import io.stockhold.stock.StockItemId;
import io.stockhold.stock.StockReply;
import io.stockhold.stock.StockReply.HoldReply;
import io.stockhold.stock.StockReply.HoldStatus;
import io.stockhold.stock.StockReply.HoldView;
import io.stockhold.stock.StockReply.Level;
import io.stockhold.stock.StockReply.LevelReply;
import io.stockhold.stock.StockReply.Rejected;
import io.stockhold.stock.StockReply.Rejection;
import io.stockhold.stock.StockReply.Unavailable;
import io.stockhold.stock.StockRequest;
import io.stockhold.stock.StockRequest.Adjust;
import io.stockhold.stock.StockRequest.Commit;
import io.stockhold.stock.StockRequest.Extend;
import io.stockhold.stock.StockRequest.Release;
import io.stockhold.stock.StockRequest.Reserve;
import io.stockhold.stock.StockState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The pure saga of a multi-line reservation: every transition of the phase table, what each phase
 * asks of each line, and what each item answer means in each phase. The last group plays the
 * requests against real {@link StockState} values, so the two sides agree on hold ids, deadlines
 * and answers.
 */
class ReservationStateTest {

  private static final String KEY = "AbCdEfGhIjKlMnOpQrStUv";
  private static final String ID = ReservationIds.multiLine(KEY);
  private static final Instant T0 = Instant.parse("2026-11-26T12:00:00Z");
  private static final Instant DEADLINE = T0.plusSeconds(600);
  private static final Duration GRACE = Duration.ofSeconds(30);
  private static final String FP = "fingerprint-1";

  private static final ReservationLine A = new ReservationLine("store-1", "SKU-A", 2);
  private static final ReservationLine B = new ReservationLine("store-1", "SKU-B", 5);
  private static final ReservationLine C = new ReservationLine("online", "SKU-C", 1);
  private static final List<ReservationLine> LINES = List.of(A, B, C);

  // ------------------------------------------------------------------ events and states

  private static HoldsRequested requested(
      int attempt, List<ReservationLine> lines, Instant expiresAt) {
    return new HoldsRequested(attempt, "web", lines, expiresAt, FP, T0);
  }

  private static ReservationState replay(ReservationEvent... events) {
    ReservationState s = ReservationState.empty(ID);
    for (ReservationEvent e : events) s = s.apply(e);
    return s;
  }

  private static ReservationState holding() {
    return replay(requested(1, LINES, DEADLINE));
  }

  private static ReservationState held() {
    return holding().apply(new AllHeld(T0));
  }

  private static ReservationState refunding() {
    return holding().apply(new HoldsRefused(List.of(), false, T0));
  }

  private static ReservationState refused() {
    return refunding().apply(new HoldsReturned(T0));
  }

  private static ReservationState finishing(End end) {
    return held().apply(new Finishing(end, T0.plusSeconds(10)));
  }

  private static ReservationState finished(End end) {
    return finishing(end).apply(new Finished(T0.plusSeconds(11)));
  }

  private static String holdId(int attempt, int line) {
    return KEY + "-" + attempt + "-" + line;
  }

  // ------------------------------------------------------------------ item answers

  private static HoldReply hold(HoldStatus status) {
    return new HoldReply(new HoldView(holdId(1, 0), ID, "web", 2, status, DEADLINE.plus(GRACE)));
  }

  private static Rejected rejected(Rejection reason) {
    return Rejected.of(reason, "no");
  }

  private static Rejected insufficient(long available) {
    return new Rejected(
        Rejection.INSUFFICIENT_STOCK, "requested more than " + available, available);
  }

  private static Unavailable unavailable(Unavailable.Reason reason) {
    return new Unavailable(reason, "busy");
  }

  private static final LevelReply LEVEL = new LevelReply(new Level(10, 0, 10, 0, 0, 0));

  private static void assertRequests(ReservationState s, Instant now, List<StockRequest> expected) {
    for (int i = 0; i < expected.size(); i++) {
      assertEquals(
          expected.get(i),
          s.itemRequest(i, now, GRACE),
          "request to line " + i + " in " + s.phase());
    }
  }

  private static void assertAsksNothing(ReservationState s) {
    for (int i = 0; i < s.lines().size(); i++) {
      assertNull(s.itemRequest(i, T0, GRACE), "line " + i + " in " + s.phase());
    }
  }

  // ================================================================== transitions

  @Nested
  class Transitions {

    @Test
    void anEmptyReservationIsNewWithNothingInIt() {
      ReservationState s = ReservationState.empty(ID);
      assertEquals(Phase.NEW, s.phase());
      assertEquals(0, s.attempt());
      assertEquals(ID, s.reservationId());
      assertEquals(List.of(), s.lines());
      assertNull(s.end());
      assertFalse(s.busy());
    }

    @Test
    void holdsRequestedStartsHoldingTheAttemptWithItsCartAndDeadline() {
      List<ReservationLine> cart = new ArrayList<>(LINES);
      ReservationState s = ReservationState.empty(ID).apply(requested(1, cart, DEADLINE));
      cart.clear();
      assertEquals(
          new ReservationState(
              ID,
              1,
              Phase.HOLDING,
              null,
              "web",
              LINES,
              DEADLINE,
              DEADLINE,
              FP,
              null,
              null,
              java.time.Duration.between(T0, DEADLINE).toSeconds(),
              false),
          s);
      assertTrue(s.busy());
    }

    @Test
    void allHeldMakesItHeldAndNoLongerBusy() {
      ReservationState s = held();
      assertEquals(Phase.HELD, s.phase());
      assertNull(s.end());
      assertFalse(s.busy());
      assertEquals(1, s.attempt());
      assertEquals(DEADLINE, s.expiresAt());
    }

    @Test
    void holdsRefusedStartsRefundingAndStaysBusy() {
      ReservationState s =
          holding()
              .apply(new HoldsRefused(List.of(new ShortLine("store-1", "SKU-B", 5, 3)), false, T0));
      assertEquals(Phase.REFUNDING, s.phase());
      assertTrue(s.busy());
      assertEquals(1, s.attempt());
      assertEquals(LINES, s.lines());
    }

    @Test
    void holdsReturnedMakesItRefusedAndNoLongerBusy() {
      ReservationState s = refused();
      assertEquals(Phase.REFUSED, s.phase());
      assertFalse(s.busy());
      assertEquals(1, s.attempt());
    }

    @Test
    void deadlineExtendedMovesTheDeadlineButNotTheGrantedOne() {
      Instant later = DEADLINE.plusSeconds(300);
      ReservationState s = held().apply(new DeadlineExtended(later, T0.plusSeconds(5)));
      assertEquals(Phase.HELD, s.phase());
      assertEquals(later, s.expiresAt());
      assertEquals(DEADLINE, s.grantedExpiresAt());
      assertFalse(s.busy());
    }

    @Test
    void finishingRecordsTheEndAndIsBusy() {
      for (End end : End.values()) {
        ReservationState s = finishing(end);
        assertEquals(Phase.FINISHING, s.phase());
        assertEquals(end, s.end());
        assertTrue(s.busy(), end.name());
      }
    }

    @Test
    void finishedKeepsTheEndAndIsAtRest() {
      for (End end : End.values()) {
        ReservationState s = finished(end);
        assertEquals(Phase.FINISHED, s.phase());
        assertEquals(end, s.end(), "the end survives Finished");
        assertFalse(s.busy(), end.name());
        assertEquals(DEADLINE, s.expiresAt());
      }
    }

    @Test
    void aNewAttemptAfterRefusedStartsAfreshWithItsOwnCartAndDeadline() {
      Instant secondDeadline = T0.plusSeconds(900);
      List<ReservationLine> smaller = List.of(A, C);
      ReservationState s =
          refused()
              .apply(
                  new HoldsRequested(
                      2, "mobile", smaller, secondDeadline, "fp-2", T0.plusSeconds(60)));
      assertEquals(
          new ReservationState(
              ID,
              2,
              Phase.HOLDING,
              null,
              "mobile",
              smaller,
              secondDeadline,
              secondDeadline,
              "fp-2",
              null,
              null,
              840, // the hold time asked: from the request to its deadline
              false),
          s);
    }

    @Test
    void aWholeJournalReplaysToTheSameStateAsStepByStep() {
      List<ReservationEvent> journal =
          List.of(
              requested(1, LINES, DEADLINE),
              new HoldsRefused(List.of(), true, T0),
              new HoldsReturned(T0),
              requested(2, List.of(A, B), DEADLINE.plusSeconds(60)),
              new AllHeld(T0.plusSeconds(1)),
              new DeadlineExtended(DEADLINE.plusSeconds(120), T0.plusSeconds(2)),
              new Finishing(End.COMMITTED, T0.plusSeconds(3)),
              new Finished(T0.plusSeconds(4)));
      List<Phase> phases = new ArrayList<>();
      ReservationState s = ReservationState.empty(ID);
      for (ReservationEvent e : journal) {
        s = s.apply(e);
        phases.add(s.phase());
      }
      assertEquals(
          List.of(
              Phase.HOLDING,
              Phase.REFUNDING,
              Phase.REFUSED,
              Phase.HOLDING,
              Phase.HELD,
              Phase.HELD,
              Phase.FINISHING,
              Phase.FINISHED),
          phases);
      assertEquals(
          new ReservationState(
              ID,
              2,
              Phase.FINISHED,
              End.COMMITTED,
              "web",
              List.of(A, B),
              DEADLINE.plusSeconds(120),
              DEADLINE.plusSeconds(60),
              FP,
              null,
              null,
              java.time.Duration.between(T0, DEADLINE.plusSeconds(60)).toSeconds(),
              false),
          s);
      assertEquals(s, replay(journal.toArray(ReservationEvent[]::new)));
    }

    @Test
    void onlyTheWaitingPhasesAreBusy() {
      Set<Phase> busy = EnumSet.noneOf(Phase.class);
      for (ReservationState s :
          List.of(
              ReservationState.empty(ID),
              holding(),
              held(),
              refunding(),
              refused(),
              finishing(End.RELEASED),
              finished(End.RELEASED))) {
        if (s.busy()) busy.add(s.phase());
      }
      assertEquals(EnumSet.of(Phase.HOLDING, Phase.REFUNDING, Phase.FINISHING), busy);
    }
  }

  // ================================================================== what each phase asks

  @Nested
  class Requests {

    @Test
    void holdingAsksEveryLineToReserveItsQuantityUntilTheDeadlinePlusGrace() {
      long ttl = Duration.between(T0, DEADLINE.plus(GRACE)).toSeconds();
      assertRequests(
          holding(),
          T0,
          List.of(
              new Reserve(holdId(1, 0), ID, "web", 2, ttl, null),
              new Reserve(holdId(1, 1), ID, "web", 5, ttl, null),
              new Reserve(holdId(1, 2), ID, "web", 1, ttl, null)));
    }

    @Test
    void holdIdsAreTheKeyTheAttemptAndTheLine() {
      ReservationState s = holding();
      assertEquals("AbCdEfGhIjKlMnOpQrStUv-1-0", s.holdId(0));
      assertEquals("AbCdEfGhIjKlMnOpQrStUv-1-2", s.holdId(2));
    }

    @Test
    void holdIdsAreUniquePerReservationAttemptAndLine() {
      List<ReservationLine> five =
          List.of(A, B, C, new ReservationLine("s2", "D", 1), new ReservationLine("s3", "E", 1));
      Set<String> seen = new HashSet<>();
      for (String key : List.of(KEY, "ZZCdEfGhIjKlMnOpQrStUv")) {
        ReservationState s = ReservationState.empty(ReservationIds.multiLine(key));
        for (int attempt = 1; attempt <= 4; attempt++) {
          s = s.apply(new HoldsRequested(attempt, "web", five, DEADLINE, FP, T0));
          for (int line = 0; line < five.size(); line++) {
            String id = s.holdId(line);
            assertTrue(seen.add(id), "hold id " + id + " used twice");
            Reserve r = assertInstanceOf(Reserve.class, s.itemRequest(line, T0, GRACE));
            assertEquals(id, r.holdId());
            assertFalse(id.contains("~"), id);
          }
          s = s.apply(new HoldsRefused(List.of(), false, T0)).apply(new HoldsReturned(T0));
        }
      }
      assertEquals(2 * 4 * 5, seen.size());
    }

    @Test
    void aNewAttemptAfterRefusedReservesUnderNewHoldIds() {
      ReservationState first = holding();
      ReservationState second = refused().apply(requested(2, LINES, DEADLINE.plusSeconds(60)));
      for (int i = 0; i < LINES.size(); i++) {
        Reserve before = assertInstanceOf(Reserve.class, first.itemRequest(i, T0, GRACE));
        Reserve after = assertInstanceOf(Reserve.class, second.itemRequest(i, T0, GRACE));
        assertEquals(holdId(2, i), after.holdId());
        assertNotEquals(before.holdId(), after.holdId());
        assertEquals(LINES.get(i).quantity(), after.quantity());
      }
    }

    @Test
    void theReserveTtlRoundsUpSoTheItemHoldReachesTheDeadlinePlusGrace() {
      ReservationState s = holding();
      Instant itemDeadline = DEADLINE.plus(GRACE);
      Random rnd = new Random(7);
      for (int n = 0; n < 2_000; n++) {
        Instant now = T0.plusMillis(rnd.nextLong(Duration.between(T0, itemDeadline).toMillis()));
        long ttl = ((Reserve) s.itemRequest(0, now, GRACE)).ttlSeconds();
        assertFalse(
            now.plusSeconds(ttl).isBefore(itemDeadline),
            () -> "ttl " + ttl + " at " + now + " falls short");
        assertTrue(
            now.plusSeconds(ttl - 1).isBefore(itemDeadline),
            () -> "ttl " + ttl + " at " + now + " is a second too long");
      }
      assertEquals(631, ((Reserve) s.itemRequest(0, T0.minusMillis(1), GRACE)).ttlSeconds());
      assertEquals(
          1, ((Reserve) s.itemRequest(0, itemDeadline.minusMillis(1), GRACE)).ttlSeconds());
    }

    @Test
    void theReserveTtlReachesTheDeadlinePlusGraceAtSubMillisecondPrecision() {
      ReservationState s = holding();
      Instant now = T0.minusNanos(500_000);
      long ttl = ((Reserve) s.itemRequest(0, now, GRACE)).ttlSeconds();
      assertFalse(
          now.plusSeconds(ttl).isBefore(DEADLINE.plus(GRACE)),
          "ttl " + ttl + " at " + now + " falls short");
    }

    @Test
    void pastTheDeadlinePlusGraceTheTtlIsTheSmallestAnItemTakes() {
      ReservationState s = holding();
      Instant late = DEADLINE.plus(GRACE).plusSeconds(3600);
      assertEquals(1, ((Reserve) s.itemRequest(0, DEADLINE.plus(GRACE), GRACE)).ttlSeconds());
      assertEquals(1, ((Reserve) s.itemRequest(0, late, GRACE)).ttlSeconds());
      assertEquals(1, ((Extend) held().itemRequest(1, late, GRACE)).ttlSeconds());
    }

    @Test
    void heldAsksEveryLineToExtendItsHoldToTheDeadlinePlusGrace() {
      Instant now = T0.plusSeconds(100);
      long ttl = Duration.between(now, DEADLINE.plus(GRACE)).toSeconds();
      assertRequests(
          held(),
          now,
          List.of(
              new Extend(holdId(1, 0), ttl),
              new Extend(holdId(1, 1), ttl),
              new Extend(holdId(1, 2), ttl)));
    }

    @Test
    void afterDeadlineExtendedHeldAsksForTheNewDeadlinePlusGrace() {
      Instant now = T0.plusSeconds(100);
      Instant newDeadline = now.plusSeconds(1800);
      ReservationState s = held().apply(new DeadlineExtended(newDeadline, now));
      long ttl = Duration.between(now, newDeadline.plus(GRACE)).toSeconds();
      assertEquals(1830, ttl);
      assertRequests(
          s,
          now,
          List.of(
              new Extend(holdId(1, 0), ttl),
              new Extend(holdId(1, 1), ttl),
              new Extend(holdId(1, 2), ttl)));
    }

    @Test
    void aShortenedDeadlineShortensTheItemHoldsToo() {
      Instant now = T0.plusSeconds(100);
      ReservationState s = held().apply(new DeadlineExtended(now.plusSeconds(10), now));
      assertEquals(new Extend(holdId(1, 1), 40), s.itemRequest(1, now, GRACE));
    }

    @Test
    void refundingAsksEveryLineToReleaseItsHold() {
      assertRequests(
          refunding(),
          T0,
          List.of(new Release(holdId(1, 0)), new Release(holdId(1, 1)), new Release(holdId(1, 2))));
    }

    @Test
    void refundingASecondAttemptReleasesThatAttemptsHolds() {
      ReservationState s =
          refused()
              .apply(requested(2, LINES, DEADLINE))
              .apply(new HoldsRefused(List.of(), false, T0));
      assertRequests(
          s,
          T0,
          List.of(new Release(holdId(2, 0)), new Release(holdId(2, 1)), new Release(holdId(2, 2))));
    }

    @Test
    void finishingACommitAsksEveryLineToCommit() {
      assertRequests(
          finishing(End.COMMITTED),
          T0,
          List.of(new Commit(holdId(1, 0)), new Commit(holdId(1, 1)), new Commit(holdId(1, 2))));
    }

    @Test
    void finishingAReleaseAsksEveryLineToRelease() {
      assertRequests(
          finishing(End.RELEASED),
          T0,
          List.of(new Release(holdId(1, 0)), new Release(holdId(1, 1)), new Release(holdId(1, 2))));
    }

    @Test
    void finishingAnExpiryAsksEveryLineToRelease() {
      assertRequests(
          finishing(End.EXPIRED),
          DEADLINE.plusSeconds(1),
          List.of(new Release(holdId(1, 0)), new Release(holdId(1, 1)), new Release(holdId(1, 2))));
    }

    @Test
    void finishingASecondAttemptUsesThatAttemptsHoldIds() {
      ReservationState s =
          refused()
              .apply(requested(2, LINES, DEADLINE))
              .apply(new AllHeld(T0))
              .apply(new Finishing(End.COMMITTED, T0));
      assertRequests(
          s,
          T0,
          List.of(new Commit(holdId(2, 0)), new Commit(holdId(2, 1)), new Commit(holdId(2, 2))));
    }

    @Test
    void newAsksNothing() {
      assertNull(ReservationState.empty(ID).itemRequest(0, T0, GRACE));
    }

    @Test
    void refusedAsksNothing() {
      assertAsksNothing(refused());
    }

    @Test
    void finishedAsksNothingWhateverTheEnd() {
      for (End end : End.values()) assertAsksNothing(finished(end));
    }
  }

  // ================================================================== what an answer means

  @Nested
  class Judging {

    @Test
    void holdingTakesAHeldHoldAsDone() {
      assertEquals(LineAnswer.DONE, holding().judge(hold(HoldStatus.HELD)));
    }

    @Test
    void holdingTakesInsufficientStockAsShort() {
      assertEquals(LineAnswer.SHORT, holding().judge(insufficient(3)));
      assertEquals(LineAnswer.SHORT, holding().judge(insufficient(0)));
    }

    @Test
    void holdingTakesUnavailabilityAsFailed() {
      for (Unavailable.Reason reason : Unavailable.Reason.values()) {
        assertEquals(LineAnswer.FAILED, holding().judge(unavailable(reason)), reason.name());
      }
    }

    @Test
    void holdingTakesACustomersLimitOrAMissingCustomerAsARefusedLine() {
      for (Rejection reason : List.of(Rejection.CUSTOMER_LIMIT, Rejection.CUSTOMER_REQUIRED)) {
        assertEquals(LineAnswer.SHORT, holding().judge(rejected(reason)), reason.name());
      }
    }

    @Test
    void aRefusedCartSaysFirstWhatTheCallerMustChange() {
      assertEquals(
          Rejection.CUSTOMER_REQUIRED,
          ReservationState.refusal(
              List.of(
                  rejected(Rejection.INSUFFICIENT_STOCK),
                  rejected(Rejection.CUSTOMER_LIMIT),
                  rejected(Rejection.CUSTOMER_REQUIRED))));
      assertEquals(
          Rejection.CUSTOMER_LIMIT,
          ReservationState.refusal(
              List.of(rejected(Rejection.INSUFFICIENT_STOCK), rejected(Rejection.CUSTOMER_LIMIT))));
      assertEquals(
          Rejection.INSUFFICIENT_STOCK,
          ReservationState.refusal(List.of(rejected(Rejection.INSUFFICIENT_STOCK))));
    }

    @Test
    void holdingTakesEveryOtherRejectionAsFailed() {
      var refusals =
          EnumSet.of(
              Rejection.INSUFFICIENT_STOCK, Rejection.CUSTOMER_LIMIT, Rejection.CUSTOMER_REQUIRED);
      for (Rejection reason : EnumSet.complementOf(refusals)) {
        assertEquals(LineAnswer.FAILED, holding().judge(rejected(reason)), reason.name());
      }
    }

    @Test
    void holdingTakesAHoldThatIsNotHeldOrALevelAsFailed() {
      for (HoldStatus status :
          EnumSet.complementOf(EnumSet.of(HoldStatus.HELD, HoldStatus.BACKORDERED))) {
        assertEquals(LineAnswer.FAILED, holding().judge(hold(status)), status.name());
      }
      assertEquals(LineAnswer.WAITS, holding().judge(hold(HoldStatus.BACKORDERED)));
      assertEquals(LineAnswer.FAILED, holding().judge(LEVEL));
    }

    @Test
    void refundingTakesAReleasedOrExpiredHoldAsDone() {
      for (HoldStatus status : HoldStatus.values()) {
        assertEquals(LineAnswer.DONE, refunding().judge(hold(status)), status.name());
      }
    }

    @Test
    void refundingTakesAHoldTheItemNeverHadAsDone() {
      assertEquals(LineAnswer.DONE, refunding().judge(rejected(Rejection.RESERVATION_NOT_FOUND)));
    }

    @Test
    void refundingRetriesWhenTheItemIsUnavailable() {
      for (Unavailable.Reason reason : Unavailable.Reason.values()) {
        assertEquals(LineAnswer.RETRY, refunding().judge(unavailable(reason)), reason.name());
      }
    }

    @Test
    void refundingReportsAnyOtherRejectionAsLost() {
      for (Rejection reason : Rejection.values()) {
        if (reason == Rejection.RESERVATION_NOT_FOUND) continue;
        assertEquals(LineAnswer.LOST, refunding().judge(rejected(reason)), reason.name());
      }
      assertEquals(LineAnswer.LOST, refunding().judge(LEVEL));
    }

    @Test
    void finishingTakesAnyHoldAnswerAndNotFoundAsDone() {
      for (End end : End.values()) {
        ReservationState s = finishing(end);
        for (HoldStatus status : HoldStatus.values()) {
          assertEquals(LineAnswer.DONE, s.judge(hold(status)), end + "/" + status);
        }
        assertEquals(
            LineAnswer.DONE, s.judge(rejected(Rejection.RESERVATION_NOT_FOUND)), end.name());
      }
    }

    @Test
    void finishingRetriesWhenTheItemIsUnavailable() {
      for (End end : End.values()) {
        for (Unavailable.Reason reason : Unavailable.Reason.values()) {
          assertEquals(
              LineAnswer.RETRY, finishing(end).judge(unavailable(reason)), end + "/" + reason);
        }
      }
    }

    @Test
    void finishingReportsAnyOtherRejectionAsLost() {
      for (End end : End.values()) {
        for (Rejection reason : Rejection.values()) {
          if (reason == Rejection.RESERVATION_NOT_FOUND) continue;
          assertEquals(LineAnswer.LOST, finishing(end).judge(rejected(reason)), end + "/" + reason);
        }
        assertEquals(LineAnswer.LOST, finishing(end).judge(LEVEL), end.name());
      }
    }

    @Test
    void heldTakesAHoldAnswerAsDoneRetriesABusyItemAndReportsTheRest() {
      ReservationState s = held();
      assertEquals(LineAnswer.DONE, s.judge(hold(HoldStatus.HELD)));
      for (Unavailable.Reason reason : Unavailable.Reason.values()) {
        assertEquals(LineAnswer.RETRY, s.judge(unavailable(reason)), reason.name());
      }
      for (Rejection reason : Rejection.values()) {
        assertEquals(LineAnswer.LOST, s.judge(rejected(reason)), reason.name());
      }
      assertEquals(LineAnswer.LOST, s.judge(LEVEL));
    }

    @Test
    void atRestEveryAnswerIsDone() {
      List<StockReply> answers =
          List.of(
              hold(HoldStatus.HELD),
              insufficient(1),
              unavailable(Unavailable.Reason.OVERLOADED),
              rejected(Rejection.RESERVATION_COMMITTED),
              LEVEL);
      for (ReservationState s :
          List.of(ReservationState.empty(ID), refused(), finished(End.COMMITTED))) {
        for (StockReply a : answers) assertEquals(LineAnswer.DONE, s.judge(a), s.phase() + " " + a);
      }
    }
  }

  // ================================================================== short lines

  @Nested
  class ShortLines {

    @Test
    void listsExactlyTheShortLinesWithWhatWasRequestedAndWhatWasAvailable() {
      List<StockReply> answers = List.of(insufficient(1), hold(HoldStatus.HELD), insufficient(0));
      assertEquals(
          List.of(new ShortLine("store-1", "SKU-A", 2, 1), new ShortLine("online", "SKU-C", 1, 0)),
          holding().shortLines(answers));
    }

    @Test
    void leavesOutLinesThatFailedForAnotherReason() {
      List<StockReply> answers =
          List.of(
              unavailable(Unavailable.Reason.TIMEOUT),
              insufficient(4),
              rejected(Rejection.RESERVATION_NOT_FOUND));
      assertEquals(List.of(new ShortLine("store-1", "SKU-B", 5, 4)), holding().shortLines(answers));
    }

    @Test
    void isEmptyWhenNoLineIsShort() {
      List<StockReply> answers =
          List.of(
              hold(HoldStatus.HELD),
              unavailable(Unavailable.Reason.OVERLOADED),
              hold(HoldStatus.HELD));
      assertEquals(List.of(), holding().shortLines(answers));
    }
  }

  // ================================================================== what a client sees

  @Nested
  class Views {

    @Test
    void heldBeforeTheDeadlineExpiredAtAndAfterIt() {
      ReservationState s = held();
      assertEquals(
          new View(ID, HoldStatus.HELD, "web", DEADLINE, LINES), s.view(DEADLINE.minusMillis(1)));
      assertEquals(new View(ID, HoldStatus.EXPIRED, "web", DEADLINE, LINES), s.view(DEADLINE));
      assertEquals(
          new View(ID, HoldStatus.EXPIRED, "web", DEADLINE, LINES),
          s.view(DEADLINE.plusSeconds(1)));
    }

    @Test
    void anExtendedReservationIsHeldUntilItsNewDeadline() {
      Instant later = DEADLINE.plusSeconds(300);
      ReservationState s = held().apply(new DeadlineExtended(later, T0));
      assertEquals(
          new View(ID, HoldStatus.HELD, "web", later, LINES), s.view(DEADLINE.plusSeconds(1)));
      assertEquals(HoldStatus.EXPIRED, s.view(later).status());
    }

    @Test
    void whileFinishingAndOnceFinishedItShowsTheEndWhateverTheTime() {
      for (End end : End.values()) {
        for (ReservationState s : List.of(finishing(end), finished(end))) {
          for (Instant now :
              List.of(T0, DEADLINE.minusMillis(1), DEADLINE, DEADLINE.plusSeconds(3600))) {
            assertEquals(
                new View(ID, HoldStatus.valueOf(end.name()), "web", DEADLINE, LINES),
                s.view(now),
                s.phase() + " " + end + " at " + now);
          }
        }
      }
    }

    @Test
    void createdReplaysTheFirstAnswerOfTheAttemptEvenAfterItWasExtendedAndEnded() {
      View first = new View(ID, HoldStatus.HELD, "web", DEADLINE, LINES);
      ReservationState extended = held().apply(new DeadlineExtended(DEADLINE.plusSeconds(900), T0));
      assertEquals(first, held().created(T0));
      assertEquals(first, extended.created(T0));
      assertEquals(
          first,
          extended.apply(new Finishing(End.COMMITTED, T0)).apply(new Finished(T0)).created(T0));
    }

    @Test
    void createdOfASecondAttemptIsThatAttemptsFirstAnswer() {
      Instant second = DEADLINE.plusSeconds(60);
      ReservationState s =
          refused()
              .apply(new HoldsRequested(2, "web", List.of(A), second, FP, T0))
              .apply(new AllHeld(T0));
      assertEquals(new View(ID, HoldStatus.HELD, "web", second, List.of(A)), s.created(T0));
    }
  }

  // ================================================================== against real stock items

  /** The saga's requests decided by {@link StockState}, and the saga judging the items' answers. */
  @Nested
  class AgainstStockItems {

    private static StockState stocked(ReservationLine line, long onHand) {
      StockState s = StockState.empty(new StockItemId(line.location(), line.sku()));
      return s.decideBatch(List.of(new Adjust(null, null, onHand, null, "receipt", null)), T0)
          .after();
    }

    private record Decided(StockState item, StockReply reply) {}

    private static Decided tell(StockState item, ReservationState saga, int line, Instant now) {
      var d = item.decideBatch(List.of(saga.itemRequest(line, now, GRACE)), now);
      return new Decided(d.after(), d.replies().get(0));
    }

    @Test
    void aReserveThatFitsIsDoneAndTheItemHoldsItUntilTheDeadlinePlusGrace() {
      Instant now = T0.plusMillis(1_234);
      Decided d = tell(stocked(B, 10), holding(), 1, now);
      assertEquals(LineAnswer.DONE, holding().judge(d.reply()));
      assertEquals(5, d.item().reserved());
      HoldView hold = d.item().holdAt(holdId(1, 1), now).orElseThrow();
      assertEquals(ID, hold.reservationId());
      assertFalse(
          hold.expiresAt().isBefore(DEADLINE.plus(GRACE)), "item deadline " + hold.expiresAt());
      assertTrue(
          hold.expiresAt().isBefore(DEADLINE.plus(GRACE).plusSeconds(1)),
          "item deadline " + hold.expiresAt());
    }

    @Test
    void aReserveThatDoesNotFitIsShortWithWhatTheItemHad() {
      Decided d = tell(stocked(B, 3), holding(), 1, T0);
      assertEquals(LineAnswer.SHORT, holding().judge(d.reply()));
      assertEquals(
          List.of(new ShortLine("store-1", "SKU-B", 5, 3)),
          holding().shortLines(List.of(hold(HoldStatus.HELD), d.reply(), hold(HoldStatus.HELD))));
    }

    @Test
    void aReserveToldAgainAfterACrashIsDoneWithoutASecondHold() {
      Decided first = tell(stocked(A, 2), holding(), 0, T0);
      Decided again = tell(first.item(), holding(), 0, T0.plusSeconds(5));
      assertEquals(LineAnswer.DONE, holding().judge(again.reply()));
      assertEquals(2, again.item().reserved());
      assertEquals(1, again.item().holds().size());
    }

    @Test
    void aReleaseOfAHoldNeverPlacedIsDoneForRefunding() {
      Decided d = tell(stocked(B, 3), refunding(), 1, T0);
      assertEquals(LineAnswer.DONE, refunding().judge(d.reply()));
    }

    @Test
    void refundingReleasesAPlacedHoldAndIsDoneAgainWhenToldTwice() {
      Decided placed = tell(stocked(A, 2), holding(), 0, T0);
      Decided released = tell(placed.item(), refunding(), 0, T0.plusSeconds(1));
      Decided again = tell(released.item(), refunding(), 0, T0.plusSeconds(2));
      assertEquals(0, released.item().reserved());
      assertEquals(LineAnswer.DONE, refunding().judge(released.reply()));
      assertEquals(LineAnswer.DONE, refunding().judge(again.reply()));
    }

    @Test
    void extendMovesTheItemHoldToTheNewDeadlinePlusGrace() {
      Decided placed = tell(stocked(A, 2), holding(), 0, T0);
      Instant now = T0.plusSeconds(100);
      Instant newDeadline = DEADLINE.plusSeconds(1_000);
      ReservationState extended = held().apply(new DeadlineExtended(newDeadline, now));
      Decided d = tell(placed.item(), extended, 0, now);
      assertEquals(LineAnswer.DONE, extended.judge(d.reply()));
      assertEquals(
          newDeadline.plus(GRACE), d.item().holdAt(holdId(1, 0), now).orElseThrow().expiresAt());
    }

    @Test
    void aCommitDecidedJustBeforeTheDeadlineStillFindsItsHoldWithinGrace() {
      Decided placed = tell(stocked(A, 2), holding(), 0, T0);
      ReservationState committing =
          held().apply(new Finishing(End.COMMITTED, DEADLINE.minusMillis(1)));
      Instant arrives = DEADLINE.plus(GRACE).minusMillis(1);
      Decided d = tell(placed.item(), committing, 0, arrives);
      assertEquals(LineAnswer.DONE, committing.judge(d.reply()));
      assertEquals(0, d.item().onHand());
      assertEquals(
          HoldStatus.COMMITTED, d.item().holdAt(holdId(1, 0), arrives).orElseThrow().status());
      assertEquals(
          LineAnswer.DONE,
          committing.judge(tell(d.item(), committing, 0, arrives.plusSeconds(1)).reply()),
          "a commit told again is done");
    }

    @Test
    void aCommitThatArrivesAfterTheItemExpiredTheHoldIsLost() {
      Decided placed = tell(stocked(A, 2), holding(), 0, T0);
      ReservationState committing =
          held().apply(new Finishing(End.COMMITTED, DEADLINE.minusMillis(1)));
      Decided d = tell(placed.item(), committing, 0, DEADLINE.plus(GRACE).plusSeconds(1));
      assertEquals(LineAnswer.LOST, committing.judge(d.reply()));
      assertEquals(2, d.item().onHand(), "nothing shipped");
    }

    @Test
    void anExpiryReleasesAHoldTheItemAlreadyExpiredAsDone() {
      Decided placed = tell(stocked(A, 2), holding(), 0, T0);
      ReservationState expiring = held().apply(new Finishing(End.EXPIRED, DEADLINE));
      Decided d = tell(placed.item(), expiring, 0, DEADLINE.plus(GRACE).plusSeconds(1));
      assertEquals(LineAnswer.DONE, expiring.judge(d.reply()));
      assertEquals(0, d.item().reserved());
    }

    @Test
    void aReleaseAfterACommitOfTheSameHoldIsLost() {
      Decided placed = tell(stocked(A, 2), holding(), 0, T0);
      Decided committed = tell(placed.item(), finishing(End.COMMITTED), 0, T0.plusSeconds(1));
      Decided d = tell(committed.item(), finishing(End.RELEASED), 0, T0.plusSeconds(2));
      assertEquals(LineAnswer.LOST, finishing(End.RELEASED).judge(d.reply()));
    }
  }

  /** A cart with lines that may wait for stock. */
  @Nested
  class WaitingForStock {

    private final ReservationLine waits = ReservationLine.backorderable("store-1", "canvas", 3);

    private ReservationState holding() {
      return ReservationState.empty(ID).apply(requested(1, List.of(A, waits), DEADLINE));
    }

    private StockReply backordered() {
      return new HoldReply(
          new StockReply.HoldView("h-1", ID, "web", 3, HoldStatus.BACKORDERED, null, null));
    }

    @Test
    void aLineThatMayWaitIsReservedAsSuchAndItsBackorderMeansItWaits() {
      ReservationState s = holding();
      StockRequest.Reserve asked =
          (StockRequest.Reserve) s.itemRequest(1, T0, java.time.Duration.ofSeconds(120));
      assertTrue(asked.allowBackorder());
      assertFalse(
          ((StockRequest.Reserve) s.itemRequest(0, T0, java.time.Duration.ofSeconds(120)))
              .allowBackorder());
      assertEquals(LineAnswer.WAITS, s.judge(backordered()));
    }

    @Test
    void aWaitingCartIsBackorderedWithoutADeadlineUntilAllFilledHoldsItForItsHoldTime() {
      ReservationState waiting = holding().apply(new ReservationEvent.SomeWaiting(T0));
      assertEquals(Phase.WAITING, waiting.phase());
      assertFalse(waiting.busy(), "clients are answered while it waits");
      assertNull(waiting.itemRequest(0, T0, java.time.Duration.ofSeconds(120)));
      View view = waiting.view(T0.plusSeconds(86_400));
      assertEquals(HoldStatus.BACKORDERED, view.status());
      assertNull(view.expiresAt());
      assertEquals(view, waiting.created(T0), "a retry answers how it stands");

      Instant filledAt = T0.plusSeconds(7_200);
      long holdSeconds = java.time.Duration.between(T0, DEADLINE).toSeconds();
      ReservationState held =
          waiting.apply(
              new ReservationEvent.AllFilled(filledAt.plusSeconds(holdSeconds), filledAt));
      assertEquals(Phase.HELD, held.phase());
      assertEquals(filledAt.plusSeconds(holdSeconds), held.expiresAt());
      assertEquals(HoldStatus.HELD, held.created(filledAt).status());
      assertEquals(held.expiresAt(), held.created(filledAt).expiresAt());
    }
  }
}
