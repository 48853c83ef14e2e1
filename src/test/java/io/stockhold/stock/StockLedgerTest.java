package io.stockhold.stock;

import static io.stockhold.stock.StockFixtures.assertRejected;
import static io.stockhold.stock.StockFixtures.commit;
import static io.stockhold.stock.StockFixtures.count;
import static io.stockhold.stock.StockFixtures.extend;
import static io.stockhold.stock.StockFixtures.holdReply;
import static io.stockhold.stock.StockFixtures.policy;
import static io.stockhold.stock.StockFixtures.receive;
import static io.stockhold.stock.StockFixtures.release;
import static io.stockhold.stock.StockFixtures.reserve;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stockhold.stock.Recent.Remembered;
import io.stockhold.stock.StockEvent.HoldCommitted;
import io.stockhold.stock.StockEvent.HoldExpired;
import io.stockhold.stock.StockEvent.HoldExtended;
import io.stockhold.stock.StockEvent.HoldPlaced;
import io.stockhold.stock.StockEvent.HoldReleased;
import io.stockhold.stock.StockEvent.LowStockCrossed;
import io.stockhold.stock.StockEvent.PolicyChanged;
import io.stockhold.stock.StockEvent.ShortageDetected;
import io.stockhold.stock.StockEvent.StockAdjusted;
import io.stockhold.stock.StockLedger.Decide;
import io.stockhold.stock.StockLedger.Decided;
import io.stockhold.stock.StockReply.HoldReply;
import io.stockhold.stock.StockReply.HoldStatus;
import io.stockhold.stock.StockReply.Level;
import io.stockhold.stock.StockReply.LevelReply;
import io.stockhold.stock.StockReply.Rejected;
import io.stockhold.stock.StockReply.Rejection;
import io.stockhold.stock.StockRequest.Adjust;
import io.stockhold.stock.StockRequest.Reserve;
import io.stockhold.stock.StockState.AppliedAdjustment;
import io.stockhold.stock.StockState.Deadline;
import io.stockhold.stock.StockState.FinishedHold;
import io.stockhold.stock.StockState.Hold;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.persistence.testkit.JournalOperation;
import org.apache.pekko.persistence.testkit.ProcessingPolicy;
import org.apache.pekko.persistence.testkit.ProcessingResult;
import org.apache.pekko.persistence.testkit.ProcessingSuccess$;
import org.apache.pekko.persistence.testkit.ReadEvents;
import org.apache.pekko.persistence.testkit.SnapshotMeta;
import org.apache.pekko.persistence.testkit.SnapshotOperation;
import org.apache.pekko.persistence.testkit.WriteEvents;
import org.apache.pekko.persistence.testkit.WriteSnapshot;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.SerializationSettings;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.apache.pekko.persistence.testkit.javadsl.SnapshotTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The journaled side of a stock item, one {@code Decide} at a time: what each batch replies, what
 * it journals (all in one write, nothing for a batch of rejections), and that a restart, with or
 * without snapshots, recovers the very same books. Time is whatever {@code Decide} says it is.
 */
class StockLedgerTest {

  private static final Instant T0 = Instant.parse("2026-11-26T12:00:00.123456789Z");

  /** A snapshot interval no test reaches: recovery replays the whole journal. */
  private static final int NO_SNAPSHOTS = 1_000_000;

  /**
   * Events are checked by the kit (serialized, read back, equal). {@code Decide} and {@code
   * Decided} never leave the node ({@code NoSerializationVerificationNeeded}) and {@code
   * StockState} is never serialized as such: the snapshot adapter stores a {@code StockSnapshot},
   * which the snapshot store serializes (see stock-entity-test.conf).
   */
  private static final SerializationSettings SERIALIZATION =
      EventSourcedBehaviorTestKit.enabledSerializationSettings()
          .withVerifyCommands(false)
          .withVerifyState(false)
          .withVerifyEquality(true);

  private static ActorTestKit testKit;
  private static final AtomicInteger items = new AtomicInteger();

  @BeforeAll
  static void startSystem() {
    testKit = ActorTestKit.create("StockLedgerTest", StockFixtures.actorSystemConfig());
  }

  @AfterAll
  static void stopSystem() {
    testKit.shutdownTestKit();
  }

  /** One ledger under test, on an item of its own. */
  private static final class Ledger {
    final StockItemId id = new StockItemId("store-" + items.incrementAndGet(), "SKU-1");
    final String pid = StockLedger.persistenceId(id).id();
    final EventSourcedBehaviorTestKit<StockLedger.Command, StockEvent, StockState> kit;
    final JournalRecorder recorder;

    Ledger(int snapshotEvery) {
      // Creating the kit empties the in-memory journal and snapshot store.
      kit =
          EventSourcedBehaviorTestKit.create(
              testKit.system(), StockLedger.create(id, snapshotEvery, 4, 1000), SERIALIZATION);
      recorder = new JournalRecorder(pid);
      kit.persistenceTestKit().withPolicy(recorder);
    }

    CommandResultWithReply<StockLedger.Command, StockEvent, StockState, Decided> decide(
        Instant now, StockRequest... requests) {
      return kit.<Decided>runCommand(replyTo -> new Decide(List.of(requests), now, replyTo));
    }

    /** Decides one request and returns its reply. */
    StockReply ask(Instant now, StockRequest request) {
      return only(decide(now, request).reply().replies());
    }

    List<Object> journaled() {
      return kit.persistenceTestKit().persistedInStorage(pid);
    }

    List<Pair<SnapshotMeta, Object>> snapshots() {
      return kit.snapshotTestKit().orElseThrow().persistedInStorage(pid);
    }

    String location() {
      return id.location();
    }
  }

  // ------------------------------------------------------------------ holds that lapse together

  @Test
  void holdsThatLapseTogetherAreExpiredAThousandAWriteAndNeverCountedMeanwhile() {
    Ledger ledger = new Ledger(NO_SNAPSHOTS);
    ledger.decide(T0, receive(3000));
    List<StockRequest> holds = new ArrayList<>();
    for (int i = 0; i < 2500; i++) holds.add(reserve("h" + i, 1, 60));
    ledger.kit.<Decided>runCommand(replyTo -> new Decide(holds, T0, replyTo));

    // Past every deadline: the first write expires 1,000, and the 1,500 lapsed holds left in the
    // books do not count against a reserve nor can be committed.
    Instant later = T0.plusSeconds(120);
    var first = ledger.decide(later, reserve("big", 2000, 600), commit("h2400"));
    assertEquals(
        1000 + 1 + 1, first.events().size(), "1,000 expiries, the big hold, h2400's expiry");
    assertInstanceOf(HoldReply.class, first.reply().replies().get(0));
    assertRejected(Rejection.RESERVATION_EXPIRED, first.reply().replies().get(1));
    assertEquals(new Level(3000, 2000, 1000, 0, 0, 0), first.state().levelAt(later));
    assertEquals(2000 + 1499, first.state().reserved(), "the books still carry 1,499 lapsed");

    // Then the rest, 1,000 a write, whether or not requests come with them.
    assertEquals(1000, ledger.decide(later).events().size());
    assertEquals(499, ledger.decide(later).events().size());
    var done = ledger.decide(later);
    assertTrue(done.events().isEmpty());
    assertEquals(new Level(3000, 2000, 1000, 0, 0, 0), done.state().level());
  }

  // ------------------------------------------------------------------ reserve, commit, release

  @Test
  void reserveIsAnsweredWithTheHoldItJournaled() {
    Ledger ledger = new Ledger(NO_SNAPSHOTS);
    String l = ledger.location();

    var stocked = ledger.decide(T0, receive(10));
    assertEquals(
        List.of(new StockAdjusted(l, "SKU-1", 10, "receipt", null, null, null, 10, 0, 10, T0)),
        stocked.events());
    assertEquals(List.of(new LevelReply(new Level(10, 0, 10, 0, 0, 0))), stocked.reply().replies());

    Instant t1 = T0.plusSeconds(1);
    var reserved = ledger.decide(t1, reserve("h1", 3, 600));
    Instant expiresAt = t1.plusSeconds(600);
    assertEquals(
        List.of(
            new HoldPlaced(l, "SKU-1", "h1", "res-h1", "web", 3, expiresAt, "fp-h1", 10, 3, 7, t1)),
        reserved.events());
    assertEquals(
        List.of(holdReply("h1", 3, HoldStatus.HELD, expiresAt)), reserved.reply().replies());
    // The state handed to the gate is the ledger's own, after the write.
    assertEquals(new Level(10, 3, 7, 0, 0, 0), reserved.reply().state().level());
    assertEquals(reserved.state(), reserved.reply().state());
    assertEquals(2, ledger.journaled().size());
  }

  @Test
  void commitTakesTheHeldUnitsOffTheShelf() {
    Ledger ledger = new Ledger(NO_SNAPSHOTS);
    String l = ledger.location();
    ledger.decide(T0, receive(10));
    ledger.decide(T0, reserve("h1", 3, 600));

    Instant t2 = T0.plusSeconds(2);
    var committed = ledger.decide(t2, commit("h1"));
    assertEquals(
        List.of(new HoldCommitted(l, "SKU-1", "h1", "res-h1", 3, 7, 0, 7, t2)), committed.events());
    assertEquals(
        List.of(holdReply("h1", 3, HoldStatus.COMMITTED, T0.plusSeconds(600))),
        committed.reply().replies());
    assertEquals(new Level(7, 0, 7, 0, 0, 0), committed.state().level());

    // A committed hold can no longer be released or extended; nothing is journaled for it.
    var late = ledger.decide(t2.plusSeconds(1), release("h1"), extend("h1", 60));
    assertTrue(late.hasNoEvents());
    assertRejected(Rejection.RESERVATION_COMMITTED, late.reply().replies().get(0));
    assertRejected(Rejection.RESERVATION_COMMITTED, late.reply().replies().get(1));
    assertEquals(new Level(7, 0, 7, 0, 0, 0), late.state().level());
  }

  @Test
  void releaseGivesTheHeldUnitsBack() {
    Ledger ledger = new Ledger(NO_SNAPSHOTS);
    String l = ledger.location();
    ledger.decide(T0, receive(10));
    ledger.decide(T0, reserve("h1", 4, 600));

    Instant t2 = T0.plusSeconds(2);
    var released = ledger.decide(t2, release("h1"));
    assertEquals(
        List.of(new HoldReleased(l, "SKU-1", "h1", "res-h1", 4, 10, 0, 10, t2)), released.events());
    assertEquals(
        List.of(holdReply("h1", 4, HoldStatus.RELEASED, T0.plusSeconds(600))),
        released.reply().replies());
    assertEquals(new Level(10, 0, 10, 0, 0, 0), released.state().level());

    var late = ledger.decide(t2.plusSeconds(1), commit("h1"), release("nope"), commit("nope"));
    assertTrue(late.hasNoEvents());
    assertRejected(Rejection.RESERVATION_RELEASED, late.reply().replies().get(0));
    assertRejected(Rejection.RESERVATION_NOT_FOUND, late.reply().replies().get(1));
    assertRejected(Rejection.RESERVATION_NOT_FOUND, late.reply().replies().get(2));
  }

  // ------------------------------------------------------------------ adjustments and policy

  @Test
  void adjustmentsAreJournaledAsDeltasAndNeverTakeOnHandBelowZero() {
    Ledger ledger = new Ledger(NO_SNAPSHOTS);
    String l = ledger.location();
    Instant t = T0;

    assertEquals(
        List.of(new StockAdjusted(l, "SKU-1", 10, "receipt", null, null, null, 10, 0, 10, t)),
        ledger.decide(t, receive(10)).events());

    // A count is journaled as the delta it implied.
    var counted = ledger.decide(t, count(7));
    assertEquals(
        List.of(new StockAdjusted(l, "SKU-1", -3, "count", null, null, null, 7, 0, 7, t)),
        counted.events());
    assertEquals(List.of(new LevelReply(new Level(7, 0, 7, 0, 0, 0))), counted.reply().replies());

    var refused = ledger.decide(t, receive(-8));
    assertTrue(refused.hasNoEvents());
    assertRejected(Rejection.NEGATIVE_ON_HAND, only(refused.reply().replies()));
    assertEquals(7, refused.state().onHand());

    // Physical truth wins: a count below what is held is accepted, and the shortage is signalled.
    ledger.decide(t, reserve("h1", 5, 600));
    var short_ = ledger.decide(t, count(2));
    assertEquals(
        List.of(
            new StockAdjusted(l, "SKU-1", -5, "count", null, null, null, 2, 5, 0, t),
            new ShortageDetected(l, "SKU-1", 3, 2, 5, 0, t)),
        short_.events());
    assertTrue(short_.state().shortageSignalled());
    // Edge-triggered: a second count still below what is held signals nothing new.
    assertEquals(
        List.of(StockAdjusted.class),
        ledger.decide(t, count(1)).events().stream().map(Object::getClass).toList());
  }

  @Test
  void policyChangesAreJournaledAndLowStockIsSignalledOnTheEdge() {
    Ledger ledger = new Ledger(NO_SNAPSHOTS);
    String l = ledger.location();
    Instant t = T0;
    ledger.decide(t, receive(10));

    var changed = ledger.decide(t, policy(2, 5, 20));
    assertEquals(List.of(new PolicyChanged(l, "SKU-1", 2, 5, 20, 10, 0, 8, t)), changed.events());
    assertEquals(List.of(new LevelReply(new Level(10, 0, 8, 2, 5, 20))), changed.reply().replies());

    var same = ledger.decide(t, policy(2, 5, 20));
    assertTrue(same.hasNoEvents());
    assertEquals(List.of(new LevelReply(new Level(10, 0, 8, 2, 5, 20))), same.reply().replies());

    // available 8 -> 4 crosses the reorder point of 5: signalled in the same write as the hold.
    var crossed = ledger.decide(t, reserve("h1", 4, 600));
    assertEquals(
        List.of(
            new HoldPlaced(
                l, "SKU-1", "h1", "res-h1", "web", 4, t.plusSeconds(600), "fp-h1", 10, 4, 4, t),
            new LowStockCrossed(l, "SKU-1", 5, 20, 10, 4, 4, t)),
        crossed.events());
    assertEquals(2, ledger.recorder.writes.get(ledger.recorder.writes.size() - 1));

    // Still below: no second signal.
    assertEquals(
        List.of(HoldPlaced.class),
        ledger.decide(t, reserve("h2", 1, 600)).events().stream().map(Object::getClass).toList());

    // Back above the reorder point re-arms it; falling again signals again.
    ledger.decide(t, release("h1"), release("h2"));
    assertEquals(
        List.of(HoldPlaced.class, LowStockCrossed.class),
        ledger.decide(t, reserve("h3", 5, 600)).events().stream().map(Object::getClass).toList());
  }

  // ------------------------------------------------------------------ batches

  @Test
  void aBatchIsDecidedInOrderAndJournaledInOneWrite() {
    Ledger ledger = new Ledger(NO_SNAPSHOTS);
    String l = ledger.location();
    Instant t = T0.plusSeconds(5);
    Instant exp = t.plusSeconds(600);

    var batch =
        ledger.decide(
            t,
            receive(5),
            reserve("a", 3, 600),
            reserve("b", 3, 600), // only 2 left
            reserve("c", 2, 600),
            commit("a"),
            release("c"),
            reserve("d", 2, 600));

    assertEquals(
        List.of(
            new StockAdjusted(l, "SKU-1", 5, "receipt", null, null, null, 5, 0, 5, t),
            new HoldPlaced(l, "SKU-1", "a", "res-a", "web", 3, exp, "fp-a", 5, 3, 2, t),
            new HoldPlaced(l, "SKU-1", "c", "res-c", "web", 2, exp, "fp-c", 5, 5, 0, t),
            new HoldCommitted(l, "SKU-1", "a", "res-a", 3, 2, 2, 0, t),
            new HoldReleased(l, "SKU-1", "c", "res-c", 2, 2, 0, 2, t),
            new HoldPlaced(l, "SKU-1", "d", "res-d", "web", 2, exp, "fp-d", 2, 2, 0, t)),
        batch.events());

    List<StockReply> replies = batch.reply().replies();
    assertEquals(7, replies.size());
    assertEquals(new LevelReply(new Level(5, 0, 5, 0, 0, 0)), replies.get(0));
    assertEquals(holdReply("a", 3, HoldStatus.HELD, exp), replies.get(1));
    Rejected insufficient = assertRejected(Rejection.INSUFFICIENT_STOCK, replies.get(2));
    assertEquals(2, insufficient.available());
    assertEquals(holdReply("c", 2, HoldStatus.HELD, exp), replies.get(3));
    assertEquals(holdReply("a", 3, HoldStatus.COMMITTED, exp), replies.get(4));
    assertEquals(holdReply("c", 2, HoldStatus.RELEASED, exp), replies.get(5));
    assertEquals(holdReply("d", 2, HoldStatus.HELD, exp), replies.get(6));

    // One atomic write of six ordinary events, each with its own sequence number.
    assertEquals(List.of(6), ledger.recorder.writes);
    assertEquals(batch.events(), ledger.journaled());
    assertEquals(new Level(2, 2, 0, 0, 0, 0), batch.reply().state().level());
  }

  @Test
  void aBatchOfRejectionsJournalsNothing() {
    Ledger ledger = new Ledger(NO_SNAPSHOTS);
    ledger.decide(T0, receive(2));
    StockState before = ledger.kit.getState();
    int writesBefore = ledger.recorder.writes.size();

    var rejected =
        ledger.decide(
            T0.plusSeconds(1),
            reserve("x", 3, 600),
            commit("nope"),
            receive(-5),
            release("nope"),
            extend("nope", 60));

    assertTrue(rejected.hasNoEvents());
    List<StockReply> replies = rejected.reply().replies();
    assertEquals(2, assertRejected(Rejection.INSUFFICIENT_STOCK, replies.get(0)).available());
    assertRejected(Rejection.RESERVATION_NOT_FOUND, replies.get(1));
    assertRejected(Rejection.NEGATIVE_ON_HAND, replies.get(2));
    assertRejected(Rejection.RESERVATION_NOT_FOUND, replies.get(3));
    assertRejected(Rejection.RESERVATION_NOT_FOUND, replies.get(4));
    assertEquals(writesBefore, ledger.recorder.writes.size());
    assertEquals(1, ledger.journaled().size());
    assertEquals(before, rejected.state());
    assertEquals(before, rejected.reply().state());

    // A rejection is not remembered: the same request is decided again, and may succeed now.
    ledger.decide(T0.plusSeconds(2), receive(5));
    assertInstanceOf(HoldReply.class, ledger.ask(T0.plusSeconds(3), reserve("x", 3, 600)));
  }

  // ------------------------------------------------------------------ expiry

  @Test
  void aHoldExpiresAtItsDeadlineAndIsNeverCommittedAfterIt() {
    Ledger ledger = new Ledger(NO_SNAPSHOTS);
    String l = ledger.location();
    ledger.decide(T0, receive(10));
    ledger.decide(T0, reserve("h1", 4, 10), reserve("h2", 2, 20), reserve("h3", 1, 10));
    var extended = ledger.decide(T0.plusSeconds(5), extend("h3", 30));
    assertEquals(
        List.of(
            new HoldExtended(
                l, "SKU-1", "h3", "res-h3", T0.plusSeconds(35), 10, 7, 3, T0.plusSeconds(5))),
        extended.events());

    // One second before the deadline nothing lapses.
    var before = ledger.decide(T0.plusSeconds(9));
    assertTrue(before.hasNoEvents());
    assertEquals(
        HoldStatus.HELD, before.state().holdAt("h1", T0.plusSeconds(9)).orElseThrow().status());
    assertEquals(7, before.state().reserved());

    // At the deadline an empty batch journals the expiry; the extended hold stays.
    Instant t10 = T0.plusSeconds(10);
    var due = ledger.decide(t10);
    assertEquals(
        List.of(new HoldExpired(l, "SKU-1", "h1", "res-h1", 4, 10, 3, 7, t10, StockState.SYSTEM)),
        due.events());
    assertEquals(List.of(), due.reply().replies());
    assertEquals(HoldStatus.EXPIRED, due.state().holdAt("h1", t10).orElseThrow().status());
    assertEquals(HoldStatus.HELD, due.state().holdAt("h3", t10).orElseThrow().status());
    assertEquals(new Level(10, 3, 7, 0, 0, 0), due.state().level());

    // Too late to commit; releasing is fine (nothing to give back).
    var late = ledger.decide(T0.plusSeconds(11), commit("h1"), release("h1"));
    assertTrue(late.hasNoEvents());
    assertRejected(Rejection.RESERVATION_EXPIRED, late.reply().replies().get(0));
    assertEquals(holdReply("h1", 4, HoldStatus.EXPIRED, t10), late.reply().replies().get(1));

    // A commit decided at the deadline, in the batch that expires the hold, loses.
    Instant t20 = T0.plusSeconds(20);
    var raced = ledger.decide(t20, commit("h2"));
    assertEquals(
        List.of(new HoldExpired(l, "SKU-1", "h2", "res-h2", 2, 10, 1, 9, t20, StockState.SYSTEM)),
        raced.events());
    assertRejected(Rejection.RESERVATION_EXPIRED, only(raced.reply().replies()));
    assertEquals(10, raced.state().onHand());

    Instant t35 = T0.plusSeconds(35);
    assertEquals(
        List.of(new HoldExpired(l, "SKU-1", "h3", "res-h3", 1, 10, 0, 10, t35, StockState.SYSTEM)),
        ledger.decide(t35).events());
  }

  // ------------------------------------------------------------------ idempotency

  @Test
  void retriesAreAnsweredWithTheFirstOutcomeAndJournalNothing() {
    Ledger ledger = new Ledger(NO_SNAPSHOTS);
    ledger.decide(T0, receive(10));
    StockReply first = ledger.ask(T0, reserve("h1", 3, 600));
    HoldReply expected = holdReply("h1", 3, HoldStatus.HELD, T0.plusSeconds(600));
    assertEquals(expected, first);

    var retry = ledger.decide(T0.plusSeconds(5), reserve("h1", 3, 600));
    assertTrue(retry.hasNoEvents());
    assertEquals(List.of(expected), retry.reply().replies());

    // The same request twice in one batch: one hold, the same answer twice.
    var twice = ledger.decide(T0.plusSeconds(6), reserve("h2", 2, 600), reserve("h2", 2, 600));
    assertEquals(List.of(HoldPlaced.class), twice.events().stream().map(Object::getClass).toList());
    assertEquals(twice.reply().replies().get(0), twice.reply().replies().get(1));
    assertEquals(5, twice.state().reserved());

    assertEquals(1, ledger.decide(T0.plusSeconds(7), commit("h1")).events().size());
    var commitAgain = ledger.decide(T0.plusSeconds(8), commit("h1"));
    assertTrue(commitAgain.hasNoEvents());
    assertEquals(
        List.of(holdReply("h1", 3, HoldStatus.COMMITTED, T0.plusSeconds(600))),
        commitAgain.reply().replies());

    // A reserve retried after its hold was committed still gets its first answer, and changes
    // nothing.
    var lateRetry = ledger.decide(T0.plusSeconds(9), reserve("h1", 3, 600));
    assertTrue(lateRetry.hasNoEvents());
    assertEquals(List.of(expected), lateRetry.reply().replies());
    assertEquals(new Level(7, 2, 5, 0, 0, 0), lateRetry.state().level());

    // The same id for a different request is refused, not treated as a retry.
    var reused =
        ledger.decide(
            T0.plusSeconds(10), new Reserve("h1", "res-h1", "web", 4, 600, "another-body"));
    assertTrue(reused.hasNoEvents());
    assertRejected(Rejection.IDEMPOTENCY_KEY_REUSED, only(reused.reply().replies()));

    assertEquals(1, ledger.decide(T0.plusSeconds(11), release("h2")).events().size());
    assertTrue(ledger.decide(T0.plusSeconds(12), release("h2")).hasNoEvents());

    // Adjustments with an idempotency key: the first level again, even after later changes.
    Adjust keyed = new Adjust("adj-1", "fp-adj-1", 5L, null, "receipt", "GRN-1");
    var applied = ledger.decide(T0.plusSeconds(13), keyed);
    assertEquals(1, applied.events().size());
    LevelReply firstLevel = (LevelReply) only(applied.reply().replies());
    assertEquals(12, firstLevel.level().onHand());
    ledger.decide(T0.plusSeconds(14), receive(1));
    var adjustAgain = ledger.decide(T0.plusSeconds(15), keyed);
    assertTrue(adjustAgain.hasNoEvents());
    assertEquals(List.of(firstLevel), adjustAgain.reply().replies());
    var adjustReused =
        ledger.decide(
            T0.plusSeconds(16), new Adjust("adj-1", "another-body", 6L, null, "receipt", "GRN-1"));
    assertTrue(adjustReused.hasNoEvents());
    assertRejected(Rejection.IDEMPOTENCY_KEY_REUSED, only(adjustReused.reply().replies()));
    assertEquals(13, adjustReused.state().onHand());
  }

  // ------------------------------------------------------------------ recovery

  @Test
  void restartReplaysTheJournalToTheSameState() {
    Ledger ledger = new Ledger(NO_SNAPSHOTS);
    Instant end = history(ledger);
    StockState before = ledger.kit.getState();
    int events = ledger.journaled().size();

    ledger.recorder.replayed.set(0);
    StockState recovered = ledger.kit.restart().state();

    assertEquals(before, recovered);
    assertTrue(ledger.snapshots().isEmpty());
    assertEquals(events, ledger.recorder.replayed.get());
    behavesAsBefore(ledger, before, end);
  }

  @Test
  void restartFromSnapshotsRecoversTheSameBooks() throws InterruptedException {
    Ledger ledger = new Ledger(5);
    Instant end = history(ledger);
    StockState before = ledger.kit.getState();
    List<Object> journal = ledger.journaled();

    // The older snapshots are deleted once the newest is stored.
    List<Pair<SnapshotMeta, Object>> snapshots =
        awaitOneSnapshot(ledger.kit.snapshotTestKit().orElseThrow(), ledger.pid);
    assertInstanceOf(StockSnapshot.class, snapshots.get(0).second());
    long lastSnapshotAt = snapshots.get(0).first().sequenceNr();

    ledger.recorder.replayed.set(0);
    StockState recovered = ledger.kit.restart().state();

    // Only the events after the newest snapshot are replayed: fewer than the interval, or than the
    // entries of the state, whichever is more ...
    assertEquals(journal.size() - lastSnapshotAt, ledger.recorder.replayed.get());
    assertTrue(
        ledger.recorder.replayed.get() < Math.max(5, before.snapshotEntries()),
        "replayed "
            + ledger.recorder.replayed.get()
            + " with "
            + before.snapshotEntries()
            + " entries");
    // ... and the books are those of the live ledger and of a fold of the whole journal.
    assertEquals(books(before), books(recovered));
    StockState folded = StockState.empty(ledger.id);
    for (Object e : journal) folded = folded.apply((StockEvent) e);
    assertEquals(books(folded), books(recovered));
    behavesAsBefore(ledger, before, end);
  }

  @Test
  void anItemWithTenThousandEventsRecoversWithAndWithoutSnapshots() throws InterruptedException {
    Recovery withSnapshots = tenThousandEvents(1000);
    Recovery fromJournal = tenThousandEvents(NO_SNAPSHOTS);
    System.out.printf(
        "StockLedgerTest: recovery of %d events: %d ms with snapshots (at least every 1000; %d"
            + " entries written in all; %d events replayed), %d ms without snapshots (%d events"
            + " replayed)%n",
        fromJournal.events,
        withSnapshots.millis,
        withSnapshots.snapshotEntriesWritten,
        withSnapshots.replayed,
        fromJournal.millis,
        fromJournal.replayed);

    assertTrue(fromJournal.events > 10_000);
    assertEquals(fromJournal.events, fromJournal.replayed);
    // The state ends with 5,150 finished holds remembered and 100 active: snapshots come every
    // that-many events, so the replay is longer than 1000 but shorter than the state is large ...
    int entries = withSnapshots.state.snapshotEntries();
    assertTrue(entries > 5000, "entries " + entries);
    assertTrue(withSnapshots.replayed < entries, "replayed " + withSnapshots.replayed);
    // ... and the snapshots written cost less than one entry per event, where a snapshot every
    // 1000 events would have written 27,500 entries (two and a half per event).
    assertTrue(
        withSnapshots.snapshotEntriesWritten < withSnapshots.events,
        "snapshot entries written " + withSnapshots.snapshotEntriesWritten);
    assertEquals(0, fromJournal.snapshotEntriesWritten);
    // The same history on two items: the same books but for the location.
    assertEquals(
        books(fromJournal.state).withoutLocation(), books(withSnapshots.state).withoutLocation());
  }

  private record Recovery(
      long events, long replayed, long millis, StockState state, long snapshotEntriesWritten) {}

  /**
   * 10,401 events written in batches of 1000 (as a flash sale writes them), then the ledger started
   * three times as its gate starts it: spawn, then an empty {@code Decide} that is answered once
   * recovery is done. The fastest of the three counts (the first also warms the JIT).
   *
   * <p>The history is written by a plainly spawned ledger, not through the kit: the kit's {@code
   * runCommand} reads the whole journal back on every command, which makes 10,000 events slow to
   * write and says nothing about recovery.
   */
  private Recovery tenThousandEvents(int snapshotEvery) throws InterruptedException {
    StockItemId id = new StockItemId("store-" + items.incrementAndGet(), "SKU-1");
    String pid = StockLedger.persistenceId(id).id();
    PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
    JournalRecorder recorder = new JournalRecorder(pid);
    journal.withPolicy(recorder);
    SnapshotTestKit snapshotStore = SnapshotTestKit.create(testKit.system());
    SnapshotRecorder snapshotsWritten = new SnapshotRecorder(pid);
    snapshotStore.withPolicy(snapshotsWritten);
    try {
      TestProbe<Decided> probe = testKit.createTestProbe(Decided.class);
      ActorRef<StockLedger.Command> writer =
          testKit.spawn(StockLedger.create(id, snapshotEvery, 4, 1000));
      Instant t = T0;
      decide(writer, probe, t, List.of(receive(1_000_000)));
      for (int round = 0; round < 10; round++) {
        t = t.plusSeconds(60);
        List<StockRequest> batch = new ArrayList<>(1000);
        for (int i = 0; i < 500; i++) {
          String h = "r" + round + "-" + i;
          batch.add(reserve(h, 1 + i % 3, 3600));
          batch.add(i % 2 == 0 ? commit(h) : release(h));
        }
        decide(writer, probe, t, batch);
      }
      // A tail that no snapshot covers, leaving holds active.
      t = t.plusSeconds(60);
      List<StockRequest> tail = new ArrayList<>();
      for (int i = 0; i < 150; i++) {
        tail.add(reserve("tail-" + i, 1, 3600));
        tail.add(commit("tail-" + i));
      }
      for (int i = 0; i < 100; i++) tail.add(reserve("open-" + i, 2, 3600));
      StockState before = decide(writer, probe, t, tail).state();
      testKit.stop(writer);

      assertEquals(100, before.holds().size());
      assertEquals(5150, before.finishedHolds().size());
      assertEquals(
          List.of(1, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 400),
          recorder.writes);
      long events = journal.persistedInStorage(pid).size();
      assertEquals(10_401, events);
      if (snapshotEvery == NO_SNAPSHOTS)
        assertTrue(snapshotStore.persistedInStorage(pid).isEmpty());
      else awaitOneSnapshot(snapshotStore, pid);

      long best = Long.MAX_VALUE;
      long replayed = -1;
      StockState recovered = null;
      for (int i = 0; i < 3; i++) {
        recorder.replayed.set(0);
        long started = System.nanoTime();
        ActorRef<StockLedger.Command> ledger =
            testKit.spawn(StockLedger.create(id, snapshotEvery, 4, 1000));
        Decided ready = decide(ledger, probe, t, List.of());
        best = Math.min(best, (System.nanoTime() - started) / 1_000_000);
        testKit.stop(ledger);
        assertEquals(List.of(), ready.replies());
        recovered = ready.state();
        replayed = recorder.replayed.get();
        assertEquals(books(before), books(recovered));
      }
      long entriesWritten = snapshotsWritten.entries.get();
      if (snapshotEvery != NO_SNAPSHOTS) {
        // A recovered ledger counts from the snapshot it started from: a few more events do not
        // make it snapshot again.
        ActorRef<StockLedger.Command> ledger =
            testKit.spawn(StockLedger.create(id, snapshotEvery, 4, 1000));
        decide(ledger, probe, t, List.of(reserve("after-restart", 1, 3600)));
        testKit.stop(ledger);
        assertEquals(
            entriesWritten, snapshotsWritten.entries.get(), "a snapshot right after the restart");
        assertEquals(events + 1, journal.persistedInStorage(pid).size());
      }
      return new Recovery(events, replayed, best, recovered, entriesWritten);
    } finally {
      journal.resetPolicy();
      snapshotStore.resetPolicy();
    }
  }

  private static Decided decide(
      ActorRef<StockLedger.Command> ledger,
      TestProbe<Decided> probe,
      Instant now,
      List<StockRequest> requests) {
    ledger.tell(new Decide(requests, now, probe.ref()));
    Decided decided = probe.receiveMessage(Duration.ofSeconds(20));
    assertEquals(requests.size(), decided.replies().size());
    return decided;
  }

  /**
   * A varied history of 49 events over ten minutes: holds committed, released, expired and
   * extended, keyed adjustments, a policy whose low-stock signal fires and re-arms four times; it
   * ends with six holds active.
   */
  private static Instant history(Ledger ledger) {
    Instant t = T0;
    ledger.decide(t, receive(30), policy(5, 20, 50));
    for (int i = 0; i < 20; i++) {
      t = t.plusSeconds(30);
      String h = "h" + i;
      List<StockRequest> batch = new ArrayList<>();
      batch.add(reserve(h, 1 + i % 4, 45));
      switch (i % 4) {
        case 0 -> batch.add(commit(h));
        case 1 -> batch.add(release(h));
        case 2 -> {} // left to expire in a later batch
        default -> batch.add(extend(h, 3600));
      }
      if (i % 5 == 0)
        batch.add(new Adjust("adj-" + i, "fp-adj-" + i, 3L, null, "receipt", "GRN-" + i));
      assertInstanceOf(
          HoldReply.class,
          ledger.decide(t, batch.toArray(StockRequest[]::new)).reply().replies().get(0));
    }
    StockState s = ledger.kit.getState();
    assertFalse(s.holds().isEmpty());
    Set<HoldStatus> finished = new HashSet<>();
    s.finishedHolds().entries().forEach(e -> finished.add(e.value().status()));
    assertEquals(Set.of(HoldStatus.COMMITTED, HoldStatus.RELEASED, HoldStatus.EXPIRED), finished);
    assertEquals(4, s.adjustments().size());
    assertTrue(s.lowStockSignalled());
    assertEquals(49, ledger.journaled().size());
    return t;
  }

  /** After a restart, the remembered outcomes and the pending deadlines work as before it. */
  private static void behavesAsBefore(Ledger ledger, StockState before, Instant end) {
    Instant t = end.plusSeconds(1);
    var retries =
        ledger.decide(
            t,
            commit("h0"),
            release("h1"),
            release("h2"),
            reserve("h0", 1, 45),
            new Adjust("adj-5", "fp-adj-5", 3L, null, "receipt", "GRN-5"));
    assertTrue(retries.hasNoEvents());
    List<StockReply> replies = retries.reply().replies();
    assertEquals(HoldStatus.COMMITTED, ((HoldReply) replies.get(0)).hold().status());
    assertEquals(HoldStatus.RELEASED, ((HoldReply) replies.get(1)).hold().status());
    assertEquals(HoldStatus.EXPIRED, ((HoldReply) replies.get(2)).hold().status());
    assertEquals(HoldStatus.HELD, ((HoldReply) replies.get(3)).hold().status());
    assertInstanceOf(LevelReply.class, replies.get(4));

    // Every hold still active expires when its deadline comes, none twice.
    var expiries = ledger.decide(t.plusSeconds(7200));
    assertEquals(before.holds().size(), expiries.events().size());
    expiries.events().forEach(e -> assertInstanceOf(HoldExpired.class, e));
    assertEquals(
        Set.copyOf(before.holds().keySet()),
        Set.copyOf(expiries.events().stream().map(e -> ((HoldExpired) e).holdId()).toList()));
    assertEquals(0, expiries.state().reserved());
  }

  /**
   * The books of a state, without the bookkeeping that a snapshot legitimately renumbers (the
   * internal sequence numbers of {@link Recent}).
   */
  private record Books(
      String location,
      boolean stocked,
      Level level,
      boolean lowStockSignalled,
      boolean shortageSignalled,
      Set<Hold> holds,
      List<Deadline> deadlines,
      List<Remembered<FinishedHold>> finishedHolds,
      List<Remembered<AppliedAdjustment>> adjustments) {

    Books withoutLocation() {
      return new Books(
          null,
          stocked,
          level,
          lowStockSignalled,
          shortageSignalled,
          holds,
          deadlines,
          finishedHolds,
          adjustments);
    }
  }

  private static Books books(StockState s) {
    return new Books(
        s.location(),
        s.stocked(),
        s.level(),
        s.lowStockSignalled(),
        s.shortageSignalled(),
        Set.copyOf(s.holds().values()),
        List.copyOf(s.deadlines()),
        s.finishedHolds().entries(),
        s.adjustments().entries());
  }

  // ------------------------------------------------------------------ journal

  /**
   * Passes every journal operation and records, for one persistence id, the size of each atomic
   * write and how many events recoveries read.
   */
  private static final class JournalRecorder implements ProcessingPolicy<JournalOperation> {
    final String pid;
    final List<Integer> writes = new CopyOnWriteArrayList<>();
    final AtomicLong replayed = new AtomicLong();

    JournalRecorder(String pid) {
      this.pid = pid;
    }

    @Override
    public ProcessingResult tryProcess(String persistenceId, JournalOperation op) {
      if (pid.equals(persistenceId)) {
        if (op instanceof WriteEvents w) writes.add(w.getBatch().size());
        if (op instanceof ReadEvents r) replayed.addAndGet(r.getBatch().size());
      }
      return ProcessingSuccess$.MODULE$;
    }
  }

  /** Counts the entries of the snapshots an item writes. */
  private static final class SnapshotRecorder implements ProcessingPolicy<SnapshotOperation> {
    final String pid;
    final AtomicLong entries = new AtomicLong();

    SnapshotRecorder(String pid) {
      this.pid = pid;
    }

    @Override
    public ProcessingResult tryProcess(String persistenceId, SnapshotOperation op) {
      if (pid.equals(persistenceId) && op instanceof WriteSnapshot w) {
        entries.addAndGet(((StockSnapshot) w.getSnapshot()).toState().snapshotEntries());
      }
      return ProcessingSuccess$.MODULE$;
    }
  }

  /** The item's snapshots once the older ones are deleted (the delete follows the save). */
  private static List<Pair<SnapshotMeta, Object>> awaitOneSnapshot(
      SnapshotTestKit store, String pid) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    List<Pair<SnapshotMeta, Object>> snapshots = store.persistedInStorage(pid);
    while (snapshots.size() != 1 && System.nanoTime() < deadline) {
      Thread.sleep(10);
      snapshots = store.persistedInStorage(pid);
    }
    assertEquals(1, snapshots.size(), "snapshots kept");
    return snapshots;
  }

  private static <T> T only(List<T> list) {
    assertEquals(1, list.size(), list.toString());
    return list.get(0);
  }
}
