package io.stockhold.stock;

import static io.stockhold.stock.StockFixtures.assertRejected;
import static io.stockhold.stock.StockFixtures.commit;
import static io.stockhold.stock.StockFixtures.receive;
import static io.stockhold.stock.StockFixtures.release;
import static io.stockhold.stock.StockFixtures.reserve;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.stockhold.stock.StockEvent.HoldCommitted;
import io.stockhold.stock.StockEvent.HoldExpired;
import io.stockhold.stock.StockEvent.HoldPlaced;
import io.stockhold.stock.StockEvent.HoldReleased;
import io.stockhold.stock.StockEvent.StockAdjusted;
import io.stockhold.stock.StockItem.GetHold;
import io.stockhold.stock.StockItem.GetLevel;
import io.stockhold.stock.StockItem.GetLevelUpdate;
import io.stockhold.stock.StockItem.Submit;
import io.stockhold.stock.StockReply.HoldReply;
import io.stockhold.stock.StockReply.HoldStatus;
import io.stockhold.stock.StockReply.Level;
import io.stockhold.stock.StockReply.LevelReply;
import io.stockhold.stock.StockReply.Rejected;
import io.stockhold.stock.StockReply.Rejection;
import io.stockhold.stock.StockReply.Unavailable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.IntConsumer;
import java.util.function.Predicate;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ChildFailed;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.persistence.testkit.JournalOperation;
import org.apache.pekko.persistence.testkit.ProcessingPolicy;
import org.apache.pekko.persistence.testkit.ProcessingResult;
import org.apache.pekko.persistence.testkit.ProcessingSuccess$;
import org.apache.pekko.persistence.testkit.ReadEvents;
import org.apache.pekko.persistence.testkit.ReadSeqNum$;
import org.apache.pekko.persistence.testkit.WriteEvents;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gate in front of a stock item's ledger, spawned outside sharding on the in-memory journal:
 * real concurrent callers, group commit, a journal that fails or stalls mid-write or at start, the
 * bounded queue, the node's journal write slots, and the expiry timer. Every invariant is checked
 * from the journal, not from the gate.
 */
class StockItemGateTest {

  private static final Duration REPLY = Duration.ofSeconds(5);
  private static final StockItemSettings SETTINGS =
      new StockItemSettings(
          1000, 1000, 10_000, Duration.ofMinutes(2), 1000, Duration.ofMillis(500), 4);

  private static ActorTestKit testKit;
  private static PersistenceTestKit journal;
  private static final AtomicInteger items = new AtomicInteger();

  /** The journal operation a test holds back, released after each test whatever happened. */
  private HeldJournal held;

  @BeforeAll
  static void startSystem() {
    testKit = ActorTestKit.create("StockItemGateTest", StockFixtures.actorSystemConfig());
    journal = PersistenceTestKit.create(testKit.system());
  }

  @AfterAll
  static void stopSystem() {
    testKit.shutdownTestKit();
  }

  @AfterEach
  void releaseTheJournal() {
    if (held != null) held.release();
    journal.resetPolicy();
  }

  // ------------------------------------------------------------------ concurrency

  @Test
  void fiveHundredRacingCallersGetExactlyTheTenUnitsThereAre() throws Exception {
    Item item = item(SETTINGS);
    assertInstanceOf(LevelReply.class, item.submit(receive(10)));

    int callers = 50;
    int perCaller = 10;
    List<TestProbe<StockReply>> probes = new ArrayList<>();
    for (int c = 0; c < callers; c++) probes.add(testKit.createTestProbe(StockReply.class));
    race(
        callers,
        c -> {
          for (int k = 0; k < perCaller; k++) {
            item.gate.tell(new Submit(reserve("c" + c + "-" + k, 1, 600), probes.get(c).ref()));
          }
        });

    Set<String> granted = new HashSet<>();
    int insufficient = 0;
    for (int c = 0; c < callers; c++) {
      List<StockReply> replies = probes.get(c).receiveSeveralMessages(perCaller, REPLY);
      // Stock only goes down here, so what a caller got is a prefix of what it asked, in order.
      int k = 0;
      while (k < perCaller && replies.get(k) instanceof HoldReply hold) {
        assertEquals("c" + c + "-" + k, hold.hold().holdId());
        assertEquals(HoldStatus.HELD, hold.hold().status());
        granted.add(hold.hold().holdId());
        k++;
      }
      for (; k < perCaller; k++) {
        assertEquals(0, assertRejected(Rejection.INSUFFICIENT_STOCK, replies.get(k)).available());
        insufficient++;
      }
    }
    assertEquals(10, granted.size());
    assertEquals(490, insufficient);
    probes.forEach(p -> p.expectNoMessage(Duration.ofMillis(5)));

    // The journal, not the gate, is the judge.
    List<StockEvent> events = item.journaled();
    List<HoldPlaced> placed = ofType(events, HoldPlaced.class);
    assertEquals(10, placed.size());
    assertEquals(granted, Set.copyOf(placed.stream().map(HoldPlaced::holdId).toList()));
    assertEquals(10, placed.stream().mapToLong(HoldPlaced::quantity).sum());
    assertEquals(11, events.size());
    assertEquals(new Level(10, 10, 0, 0, 0, 0), level(item.read(GetLevel::new)));
  }

  @Test
  void requestsThatChangeNothingWriteNothingAndRepeatsGetTheFirstAnswer() {
    // The sold-out wall and the retries around it: answered from memory, without a write.
    Item item = item(SETTINGS);
    assertInstanceOf(LevelReply.class, item.submit(receive(1)));
    StockReply first = item.submit(reserve("h-1", 1, 600));
    assertInstanceOf(HoldReply.class, first);
    for (int i = 0; i < 3; i++) {
      assertEquals(
          0,
          assertRejected(Rejection.INSUFFICIENT_STOCK, item.submit(reserve("late-" + i, 1, 600)))
              .available());
    }
    assertEquals(
        first,
        item.submit(reserve("h-1", 1, 600)),
        "a retry of the sale gets its hold, not sold out");
    StockReply released = item.submit(release("h-1"));
    assertEquals(HoldStatus.RELEASED, ((HoldReply) released).hold().status());
    assertEquals(released, item.submit(release("h-1")), "a repeated release");
    assertRejected(Rejection.RESERVATION_RELEASED, item.submit(commit("h-1")));
    assertRejected(Rejection.RESERVATION_NOT_FOUND, item.submit(commit("never")));

    List<StockEvent> events = item.journaled();
    assertEquals(
        List.of(StockAdjusted.class, HoldPlaced.class, HoldReleased.class),
        events.stream().map(Object::getClass).toList());
  }

  @Test
  void eachCallerHearsBackInTheOrderItAsked() throws Exception {
    Item item = item(SETTINGS);
    item.submit(receive(1000));

    int callers = 20;
    int holds = 8;
    List<TestProbe<StockReply>> probes = new ArrayList<>();
    for (int c = 0; c < callers; c++) probes.add(testKit.createTestProbe(StockReply.class));
    race(
        callers,
        c -> {
          ActorRef<StockReply> replyTo = probes.get(c).ref();
          for (int k = 0; k < holds; k++) {
            String h = "c" + c + "-" + k;
            item.gate.tell(new Submit(reserve(h, 1, 600), replyTo));
            item.gate.tell(new Submit(k % 2 == 0 ? commit(h) : release(h), replyTo));
          }
          item.gate.tell(new Submit(commit("c" + c + "-none"), replyTo));
        });

    for (int c = 0; c < callers; c++) {
      List<String> expected = new ArrayList<>();
      for (int k = 0; k < holds; k++) {
        expected.add("HELD c" + c + "-" + k);
        expected.add((k % 2 == 0 ? "COMMITTED c" : "RELEASED c") + c + "-" + k);
      }
      expected.add("RESERVATION_NOT_FOUND");
      List<String> heard =
          probes.get(c).receiveSeveralMessages(expected.size(), REPLY).stream()
              .map(StockItemGateTest::describe)
              .toList();
      assertEquals(expected, heard, "caller " + c);
    }

    List<StockEvent> events = item.journaled();
    assertEquals(callers * holds, ofType(events, HoldPlaced.class).size());
    assertEquals(callers * holds / 2, ofType(events, HoldCommitted.class).size());
    assertEquals(callers * holds / 2, ofType(events, HoldReleased.class).size());
    assertEquals(new Level(920, 0, 920, 0, 0, 0), level(item.read(GetLevel::new)));
  }

  @Test
  void requestsThatWaitDuringAWriteGoTogetherInBatchesOfAtMostMaxBatch() {
    Item item =
        item(
            new StockItemSettings(
                50, 1000, 10_000, Duration.ofMinutes(2), 1000, Duration.ofMillis(500), 4));
    item.submit(receive(1000));
    held = new HeldJournal(item.pid);
    journal.withPolicy(held);

    TestProbe<StockReply> probe = testKit.createTestProbe(StockReply.class);
    item.gate.tell(new Submit(reserve("first", 1, 600), probe.ref()));
    held.awaitBlocked();
    for (int i = 0; i < 120; i++) item.gate.tell(new Submit(reserve("w" + i, 1, 600), probe.ref()));
    // Nothing is acknowledged before its write is done.
    probe.expectNoMessage(Duration.ofMillis(200));
    held.release();

    List<StockReply> replies = probe.receiveSeveralMessages(121, REPLY);
    assertEquals("HELD first", describe(replies.get(0)));
    for (int i = 0; i < 120; i++) assertEquals("HELD w" + i, describe(replies.get(i + 1)));
    // The write in flight, then what waited for it: at most maxBatch per write, no write per
    // request.
    assertEquals(List.of(1, 50, 50, 20), held.writes);
    assertEquals(121, ofType(item.journaled(), HoldPlaced.class).size());
  }

  // ------------------------------------------------------------------ failures and overload

  @Test
  void aRequestThatReachesItsTurnAfterItsCallerStoppedWaitingIsNeverDecided() {
    Item item = item(SETTINGS);
    item.submit(receive(5));
    held = new HeldJournal(item.pid);
    journal.withPolicy(held);
    TestProbe<StockReply> first = testKit.createTestProbe(StockReply.class);
    item.gate.tell(new Submit(reserve("first", 1, 600), first.ref()));
    held.awaitBlocked();
    // Queued behind a slow write: one caller gives up while it waits, the other still waits.
    TestProbe<StockReply> gaveUp = testKit.createTestProbe(StockReply.class);
    TestProbe<StockReply> waits = testKit.createTestProbe(StockReply.class);
    item.gate.tell(
        new Submit(reserve("late", 1, 600), gaveUp.ref(), Instant.now().plusMillis(300)));
    item.gate.tell(
        new Submit(reserve("on-time", 1, 600), waits.ref(), Instant.now().plusSeconds(30)));
    sleep(400);
    held.release();

    assertEquals("HELD first", describe(first.receiveMessage(REPLY)));
    Unavailable late = assertInstanceOf(Unavailable.class, gaveUp.receiveMessage(REPLY));
    assertEquals(Unavailable.Reason.TIMEOUT, late.reason());
    assertEquals("HELD on-time", describe(waits.receiveMessage(REPLY)));
    assertEquals(
        List.of("first", "on-time"),
        item.journaled().stream()
            .filter(HoldPlaced.class::isInstance)
            .map(e -> ((HoldPlaced) e).holdId())
            .toList());
  }

  @Test
  void aFailedWriteAnswersItsWholeBatchRestartingAndTheItemComesBackWithItsDurableState() {
    Duration backoff = SETTINGS.restartBackoff();
    Item item = item(SETTINGS);
    item.submit(receive(20));
    held = new HeldJournal(item.pid);
    journal.withPolicy(held);

    // h0 is written alone and held back; h1..h9 queue behind it and become the next batch.
    TestProbe<StockReply> first = testKit.createTestProbe(StockReply.class);
    item.gate.tell(new Submit(reserve("h0", 1, 600), first.ref()));
    held.awaitBlocked();
    List<TestProbe<StockReply>> batch = new ArrayList<>();
    for (int i = 1; i <= 9; i++) {
      TestProbe<StockReply> caller = testKit.createTestProbe(StockReply.class);
      batch.add(caller);
      item.gate.tell(new Submit(reserve("h" + i, 1, 600), caller.ref()));
    }
    // The next write (that batch) fails in the journal: the ledger stops.
    journal.failNextPersisted(item.pid);
    held.release();

    assertEquals("HELD h0", describe(first.receiveMessage(REPLY)));
    for (TestProbe<StockReply> caller : batch) {
      Unavailable unavailable = assertInstanceOf(Unavailable.class, caller.receiveMessage(REPLY));
      assertEquals(Unavailable.Reason.RESTARTING, unavailable.reason());
    }
    assertEquals(
        List.of(StockAdjusted.class, HoldPlaced.class),
        item.journaled().stream().map(Object::getClass).toList());
    // A failed item does not sit on one of the node's journal write slots while it waits to
    // restart.
    assertEquals(0, JournalWriteSlots.get(testKit.system()).inUse());

    // Until the ledger is back, requests wait; then they see the durable state, h0 and no more.
    long restartedAt = System.nanoTime();
    TestProbe<StockReply> after = testKit.createTestProbe(StockReply.class);
    item.gate.tell(new GetLevel(after.ref()));
    item.gate.tell(new Submit(reserve("h1", 1, 600), after.ref()));
    assertEquals(new Level(20, 1, 19, 0, 0, 0), level(after.receiveMessage(backoff.plus(REPLY))));
    long waitedMillis = (System.nanoTime() - restartedAt) / 1_000_000;
    assertTrue(waitedMillis >= backoff.toMillis() / 2, "answered after " + waitedMillis + " ms");
    // The retried request was never journaled, so it is decided afresh, once.
    assertEquals("HELD h1", describe(after.receiveMessage(REPLY)));
    assertEquals(
        List.of("h0", "h1"),
        ofType(item.journaled(), HoldPlaced.class).stream().map(HoldPlaced::holdId).toList());
    // No caller of the failed batch ever hears a success.
    batch.forEach(caller -> caller.expectNoMessage(Duration.ofMillis(20)));
  }

  @Test
  void aFullQueueAnswersOverloadedAtOnceWhileAWriteIsInFlight() {
    Item item =
        item(
            new StockItemSettings(
                1000, 1000, 5, Duration.ofMinutes(2), 1000, Duration.ofMillis(500), 4));
    item.submit(receive(20));
    held = new HeldJournal(item.pid);
    journal.withPolicy(held);

    TestProbe<StockReply> waiting = testKit.createTestProbe(StockReply.class);
    item.gate.tell(new Submit(reserve("q0", 1, 600), waiting.ref()));
    held.awaitBlocked();
    // Reads do not wait for the write: they see the last durable state, without q0.
    assertEquals(new Level(20, 0, 20, 0, 0, 0), level(item.read(GetLevel::new)));

    for (int i = 1; i <= 5; i++)
      item.gate.tell(new Submit(reserve("q" + i, 1, 600), waiting.ref()));
    TestProbe<StockReply> turnedAway = testKit.createTestProbe(StockReply.class);
    for (int i = 6; i <= 8; i++)
      item.gate.tell(new Submit(reserve("q" + i, 1, 600), turnedAway.ref()));
    for (int i = 6; i <= 8; i++) {
      Unavailable overloaded =
          assertInstanceOf(Unavailable.class, turnedAway.receiveMessage(REPLY));
      assertEquals(Unavailable.Reason.OVERLOADED, overloaded.reason());
    }
    // ... while the write was still held back.
    assertTrue(held.isHolding());
    waiting.expectNoMessage(Duration.ofMillis(100));
    held.release();

    List<String> heard =
        waiting.receiveSeveralMessages(6, REPLY).stream().map(StockItemGateTest::describe).toList();
    assertEquals(List.of("HELD q0", "HELD q1", "HELD q2", "HELD q3", "HELD q4", "HELD q5"), heard);
    turnedAway.expectNoMessage(Duration.ofMillis(50));
    assertEquals(
        List.of("q0", "q1", "q2", "q3", "q4", "q5"),
        ofType(item.journaled(), HoldPlaced.class).stream().map(HoldPlaced::holdId).toList());
  }

  @Test
  void whenTheNodesJournalWriteSlotsAreTakenBatchesWaitForOne() {
    ActorTestKit node =
        ActorTestKit.create(
            "OneWriteSlot",
            ConfigFactory.parseString("stockhold.stock-item.max-writes-in-flight = 1")
                .withFallback(StockFixtures.actorSystemConfig()));
    try {
      PersistenceTestKit nodeJournal = PersistenceTestKit.create(node.system());
      JournalWriteSlots slots = JournalWriteSlots.get(node.system());
      StockItemId id = nextId();
      String pid = StockLedger.persistenceId(id).id();
      ActorRef<StockItem.Command> gate =
          node.spawn(StockItem.create(id, SETTINGS, Clock.systemUTC()));
      TestProbe<StockReply> probe = node.createTestProbe(StockReply.class);
      gate.tell(new Submit(receive(5), probe.ref()));
      assertInstanceOf(LevelReply.class, probe.receiveMessage(REPLY));
      assertEquals(0, slots.inUse());

      // The node's only slot is taken, as by another item's write (the journal itself is idle) ...
      assertTrue(slots.tryAcquire());
      gate.tell(new Submit(reserve("h1", 1, 600), probe.ref()));
      // ... so the batch waits in the gate: not written, not answered, not refused.
      probe.expectNoMessage(Duration.ofMillis(300));
      assertEquals(1, nodeJournal.persistedInStorage(pid).size());
      // Reads still answer from the durable state meanwhile.
      gate.tell(new GetLevel(probe.ref()));
      assertEquals(new Level(5, 0, 5, 0, 0, 0), level(probe.receiveMessage(REPLY)));

      slots.release();
      assertEquals("HELD h1", describe(probe.receiveMessage(REPLY)));
      assertEquals(2, nodeJournal.persistedInStorage(pid).size());
      assertEquals(0, slots.inUse());
    } finally {
      node.shutdownTestKit();
    }
  }

  // ------------------------------------------------------------------ expiry, recovery, reads

  @Test
  void aHoldExpiresOnItsOwnShortlyAfterItsDeadline() {
    Item item = item(SETTINGS);
    item.submit(receive(3));
    HoldReply hold = assertInstanceOf(HoldReply.class, item.submit(reserve("h1", 2, 1)));
    long placedAt = System.nanoTime();
    Instant deadline = hold.hold().expiresAt();

    // No other traffic: only the gate's timer can get the expiry journaled.
    HoldExpired expired = awaitExpiries(item, 1, Duration.ofSeconds(3)).get(0);
    long tookMillis = (System.nanoTime() - placedAt) / 1_000_000;
    assertTrue(tookMillis < 2000, "HoldExpired journaled " + tookMillis + " ms after the hold");
    assertTrue(!expired.occurredAt().isBefore(deadline), "expired before its deadline");
    assertTrue(expired.occurredAt().isBefore(deadline.plusSeconds(1)), "expired late: " + expired);
    assertEquals(
        new Level(3, 0, 3, 0, 0, 0),
        new Level(expired.onHand(), expired.reserved(), expired.available(), 0, 0, 0));

    assertEquals("EXPIRED h1", describe(item.read(replyTo -> new GetHold("h1", replyTo))));
    assertEquals(new Level(3, 0, 3, 0, 0, 0), level(item.read(GetLevel::new)));
    assertRejected(Rejection.RESERVATION_EXPIRED, item.submit(commit("h1")));
  }

  @Test
  void anItemStartsFromItsJournalAndQueuesWhatArrivesDuringRecovery() {
    StockItemId id = nextId();
    String pid = StockLedger.persistenceId(id).id();
    Instant t = Instant.now();
    Instant expiresAt = t.plusSeconds(3600);
    journal.persistForRecovery(
        pid,
        List.of(
            new StockAdjusted(
                id.location(), "SKU-1", 10, "receipt", null, null, null, 10, 0, 10, t),
            new HoldPlaced(
                id.location(),
                "SKU-1",
                "h1",
                "res-h1",
                "web",
                4,
                expiresAt,
                "fp-h1",
                10,
                4,
                6,
                t)));

    Item item = new Item(id, pid, testKit.spawn(StockItem.create(id, SETTINGS, Clock.systemUTC())));
    // Sent at once, while the ledger is (almost certainly) still recovering.
    TestProbe<StockReply> probe = testKit.createTestProbe(StockReply.class);
    item.gate.tell(new GetLevel(probe.ref()));
    item.gate.tell(new GetHold("h1", probe.ref()));
    item.gate.tell(new Submit(commit("h1"), probe.ref()));

    assertEquals(new Level(10, 4, 6, 0, 0, 0), level(probe.receiveMessage(REPLY)));
    assertEquals("HELD h1", describe(probe.receiveMessage(REPLY)));
    assertEquals("COMMITTED h1", describe(probe.receiveMessage(REPLY)));
    assertEquals("COMMITTED h1", describe(item.read(replyTo -> new GetHold("h1", replyTo))));
    assertEquals(new Level(6, 0, 6, 0, 0, 0), level(item.read(GetLevel::new)));
    assertEquals(
        List.of(StockAdjusted.class, HoldPlaced.class, HoldCommitted.class),
        item.journaled().stream().map(Object::getClass).toList());
  }

  @Test
  void holdsRecoveredFromTheJournalExpireOnTheirOwn() {
    StockItemId id = nextId();
    String pid = StockLedger.persistenceId(id).id();
    Instant t = Instant.now();
    Instant overdue = t.minusSeconds(5); // its deadline passed while the item was down
    Instant soon = t.plusSeconds(1);
    journal.persistForRecovery(
        pid,
        List.of(
            new StockAdjusted(
                id.location(), "SKU-1", 10, "receipt", null, null, null, 10, 0, 10, t),
            new HoldPlaced(
                id.location(),
                "SKU-1",
                "late",
                "res-late",
                "web",
                2,
                overdue,
                "fp-late",
                10,
                2,
                8,
                t),
            new HoldPlaced(
                id.location(),
                "SKU-1",
                "soon",
                "res-soon",
                "web",
                3,
                soon,
                "fp-soon",
                10,
                5,
                5,
                t)));

    Item item = new Item(id, pid, testKit.spawn(StockItem.create(id, SETTINGS, Clock.systemUTC())));
    // No traffic at all: the recovery expires what is overdue, then the timer the rest.
    List<HoldExpired> expired = awaitExpiries(item, 2, Duration.ofSeconds(3));
    assertEquals("late", expired.get(0).holdId());
    assertTrue(expired.get(0).occurredAt().isBefore(t.plusSeconds(1)), "overdue hold expired late");
    assertEquals("soon", expired.get(1).holdId());
    assertTrue(!expired.get(1).occurredAt().isBefore(soon), "expired before its deadline");
    assertTrue(
        expired.get(1).occurredAt().isBefore(soon.plusSeconds(1)), "expired late: " + expired);
    assertEquals(new Level(10, 0, 10, 0, 0, 0), level(item.read(GetLevel::new)));
  }

  @Test
  void aJournalThatCannotBeReadAtStartIsRetriedAfterTheBackoff() {
    StockItemId id = nextId();
    String pid = StockLedger.persistenceId(id).id();
    journal.persistForRecovery(
        pid,
        List.of(
            new StockAdjusted(
                id.location(), "SKU-1", 7, "receipt", null, null, null, 7, 0, 7, Instant.now())));
    journal.failNextRead(pid);

    Item item = new Item(id, pid, testKit.spawn(StockItem.create(id, SETTINGS, Clock.systemUTC())));
    TestProbe<StockReply> probe = testKit.createTestProbe(StockReply.class);
    item.gate.tell(new GetLevel(probe.ref()));
    item.gate.tell(new Submit(reserve("h1", 7, 600), probe.ref()));
    // Nobody is told anything false meanwhile; both are answered from the journal once it reads.
    assertEquals(
        new Level(7, 0, 7, 0, 0, 0),
        level(probe.receiveMessage(SETTINGS.restartBackoff().plus(REPLY))));
    assertEquals("HELD h1", describe(probe.receiveMessage(REPLY)));
    assertEquals(
        List.of(StockAdjusted.class, HoldPlaced.class),
        item.journaled().stream().map(Object::getClass).toList());
  }

  @Test
  void aRejectedWriteIsAnsweredRestartingLikeAFailedOne() {
    Item item = item(SETTINGS);
    item.submit(receive(5));
    journal.rejectNextPersisted(item.pid);

    Unavailable unavailable =
        assertInstanceOf(Unavailable.class, item.submit(reserve("h1", 1, 600)));
    assertEquals(Unavailable.Reason.RESTARTING, unavailable.reason());
    assertEquals(
        List.of(StockAdjusted.class), item.journaled().stream().map(Object::getClass).toList());
    TestProbe<StockReply> probe = testKit.createTestProbe(StockReply.class);
    item.gate.tell(new Submit(reserve("h1", 1, 600), probe.ref()));
    assertEquals("HELD h1", describe(probe.receiveMessage(SETTINGS.restartBackoff().plus(REPLY))));
    assertEquals(new Level(5, 1, 4, 0, 0, 0), level(item.read(GetLevel::new)));
  }

  @Test
  void aNeverStockedItemIsNotFoundAndHasNothingToReserve() {
    Item item = item(SETTINGS);
    assertRejected(Rejection.STOCK_ITEM_NOT_FOUND, item.read(GetLevel::new));
    assertRejected(
        Rejection.RESERVATION_NOT_FOUND, item.read(replyTo -> new GetHold("nope", replyTo)));
    assertEquals(
        0,
        assertRejected(Rejection.INSUFFICIENT_STOCK, item.submit(reserve("h1", 1, 600)))
            .available());
    // A refused reserve stocks nothing and journals nothing.
    assertRejected(Rejection.STOCK_ITEM_NOT_FOUND, item.read(GetLevel::new));
    assertEquals(List.of(), item.journaled());

    assertInstanceOf(LevelReply.class, item.submit(receive(1)));
    assertEquals(new Level(1, 0, 1, 0, 0, 0), level(item.read(GetLevel::new)));
  }

  // ------------------------------------------------------------------ live levels

  @Test
  void aWriteThatChangesTheLevelIsPublishedToTheLocationsTopicAndNothingElseIs() {
    Item item = item(SETTINGS);
    TestProbe<LevelUpdate> watcher = testKit.createTestProbe(LevelUpdate.class);
    LevelTopics.get(testKit.system())
        .topic(item.id().location())
        .tell(Topic.subscribe(watcher.ref()));
    // The subscription is a message to the topic; give it a moment before the first change.
    watcher.expectNoMessage(Duration.ofMillis(200));

    assertInstanceOf(LevelReply.class, item.submit(receive(10)));
    LevelUpdate stocked = watcher.receiveMessage(REPLY);
    assertEquals(new LevelUpdate(item.id().location(), item.id().sku(), 10, 0, 10, 1), stocked);

    assertInstanceOf(HoldReply.class, item.submit(reserve("h1", 4, 600)));
    assertEquals(
        new LevelUpdate(item.id().location(), item.id().sku(), 10, 4, 6, 2),
        watcher.receiveMessage(REPLY));

    // A refusal, a retry and a read change nothing, and publish nothing.
    assertRejected(Rejection.INSUFFICIENT_STOCK, item.submit(reserve("h2", 7, 600)));
    assertInstanceOf(HoldReply.class, item.submit(reserve("h1", 4, 600)));
    item.read(GetLevel::new);
    watcher.expectNoMessage(Duration.ofMillis(300));

    // A watcher starts from the durable level and its sequence number.
    TestProbe<LevelUpdate> starting = testKit.createTestProbe(LevelUpdate.class);
    item.gate().tell(new StockItem.GetLevelUpdate(starting.ref()));
    assertEquals(
        new LevelUpdate(item.id().location(), item.id().sku(), 10, 4, 6, 2),
        starting.receiveMessage(REPLY));
  }

  @Test
  void aNeverStockedItemStartsAWatcherAtSequenceNumberZero() {
    Item item = item(SETTINGS);
    TestProbe<LevelUpdate> starting = testKit.createTestProbe(LevelUpdate.class);
    item.gate().tell(new StockItem.GetLevelUpdate(starting.ref()));
    assertEquals(
        new LevelUpdate(item.id().location(), item.id().sku(), 0, 0, 0, 0),
        starting.receiveMessage(REPLY));
  }

  // ------------------------------------------------------------------ stopping

  @Test
  void aWatcherWaitingWhenTheItemStopsIsLeftToTimeOutAndTheItemStopsCleanly() throws Exception {
    // Given an item whose recovery is held back in the journal, so that reads wait for its state,
    StockItemId id = nextId();
    held = HeldJournal.firstRead(StockLedger.persistenceId(id).id());
    journal.withPolicy(held);
    TestProbe<String> ending = testKit.createTestProbe(String.class);
    ActorRef<StockItem.Command> gate = spawnWatched(id, ending);
    held.awaitBlocked();
    TestProbe<LevelUpdate> watcher = testKit.createTestProbe(LevelUpdate.class);
    TestProbe<StockReply> reader = testKit.createTestProbe(StockReply.class);
    gate.tell(new GetLevelUpdate(watcher.ref()));
    gate.tell(new GetLevel(reader.ref()));

    // when sharding stops it (a handoff or a passivation) before it could answer them,
    gate.tell(StockItem.stopMessage());
    gate.tell(new GetLevel(reader.ref()));
    held.release();

    // then it finishes the recovery in flight and stops, without failing;
    assertEquals("stopped", ending.receiveMessage(REPLY));
    // the reader, waiting or late, is told to retry where the item moves;
    assertEquals("UNAVAILABLE RESTARTING", describe(reader.receiveMessage(REPLY)));
    assertEquals("UNAVAILABLE RESTARTING", describe(reader.receiveMessage(REPLY)));
    // and the watcher is told nothing (a LevelUpdate cannot say "unavailable", a made-up level
    // would reach its client): its ask times out and its catch-up read asks again.
    watcher.expectNoMessage(Duration.ofMillis(300));
  }

  // ------------------------------------------------------------------ helpers

  private record Item(StockItemId id, String pid, ActorRef<StockItem.Command> gate) {

    StockReply submit(StockRequest request) {
      return read(replyTo -> new Submit(request, replyTo));
    }

    StockReply read(Function<ActorRef<StockReply>, StockItem.Command> message) {
      TestProbe<StockReply> probe = testKit.createTestProbe(StockReply.class);
      gate.tell(message.apply(probe.ref()));
      StockReply reply = probe.receiveMessage(REPLY);
      probe.stop();
      return reply;
    }

    List<StockEvent> journaled() {
      return journal.persistedInStorage(pid).stream().map(StockEvent.class::cast).toList();
    }
  }

  private static StockItemId nextId() {
    return new StockItemId("store-" + items.incrementAndGet(), "SKU-1");
  }

  private static Item item(StockItemSettings settings) {
    StockItemId id = nextId();
    return new Item(
        id,
        StockLedger.persistenceId(id).id(),
        testKit.spawn(StockItem.create(id, settings, Clock.systemUTC())));
  }

  /**
   * Spawns an item's gate under a parent that watches it and tells {@code ending} how it ended:
   * "stopped", or "failed: " and the exception that stopped it (which sharding would only log).
   */
  private static ActorRef<StockItem.Command> spawnWatched(StockItemId id, TestProbe<String> ending)
      throws Exception {
    CompletableFuture<ActorRef<StockItem.Command>> gate = new CompletableFuture<>();
    testKit.spawn(
        Behaviors.<Void>setup(
            ctx -> {
              ActorRef<StockItem.Command> child =
                  ctx.spawn(StockItem.create(id, SETTINGS, Clock.systemUTC()), "gate");
              ctx.watch(child);
              gate.complete(child);
              return Behaviors.receive(Void.class)
                  .onSignal(
                      ChildFailed.class,
                      failed -> {
                        ending.ref().tell("failed: " + failed.getCause());
                        return Behaviors.stopped();
                      })
                  .onSignal(
                      Terminated.class,
                      stopped -> {
                        ending.ref().tell("stopped");
                        return Behaviors.stopped();
                      })
                  .build();
            }));
    return gate.get(5, SECONDS);
  }

  /** Runs {@code caller} for 0..callers-1 on eight threads, all released at once. */
  private static void race(int callers, IntConsumer caller) throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(8);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<?>> sent = new ArrayList<>();
      for (int c = 0; c < callers; c++) {
        int id = c;
        sent.add(
            threads.submit(
                () -> {
                  go.await();
                  caller.accept(id);
                  return null;
                }));
      }
      go.countDown();
      for (Future<?> f : sent) f.get(10, SECONDS);
    } finally {
      threads.shutdownNow();
    }
  }

  private static String describe(StockReply reply) {
    return switch (reply) {
      case HoldReply h -> h.hold().status() + " " + h.hold().holdId();
      case Rejected r -> r.reason().name();
      case Unavailable u -> "UNAVAILABLE " + u.reason();
      case LevelReply l -> "LEVEL " + l.level();
      case StockReply.SaleReply s -> s.outcome() + " " + s.level();
    };
  }

  private static Level level(StockReply reply) {
    return assertInstanceOf(LevelReply.class, reply).level();
  }

  private static <E> List<E> ofType(List<StockEvent> events, Class<E> type) {
    return events.stream().filter(type::isInstance).map(type::cast).toList();
  }

  /** Polls the journal until {@code count} holds have expired, at most {@code max}. */
  private static List<HoldExpired> awaitExpiries(Item item, int count, Duration max) {
    long until = System.nanoTime() + max.toNanos();
    List<HoldExpired> expired = ofType(item.journaled(), HoldExpired.class);
    while (expired.size() < count && System.nanoTime() < until) {
      sleep(20);
      expired = ofType(item.journaled(), HoldExpired.class);
    }
    assertEquals(count, expired.size(), "holds expired within " + max + ": " + expired);
    return expired;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /**
   * Passes every journal operation, but holds the first write of one item (or, made by {@link
   * #firstRead}, its first read: its recovery) until released (a slow database), and records the
   * size of each of that item's atomic writes.
   */
  private static final class HeldJournal implements ProcessingPolicy<JournalOperation> {
    private final String pid;
    private final Predicate<JournalOperation> holds;
    private final CountDownLatch reached = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);
    private final AtomicBoolean holding = new AtomicBoolean();
    private final AtomicBoolean first = new AtomicBoolean(true);
    final List<Integer> writes = new CopyOnWriteArrayList<>();

    HeldJournal(String pid) {
      this(pid, op -> op instanceof WriteEvents);
    }

    private HeldJournal(String pid, Predicate<JournalOperation> holds) {
      this.pid = pid;
      this.holds = holds;
    }

    /** Holds the item's first read of the journal: it recovers only once released. */
    static HeldJournal firstRead(String pid) {
      // The highest sequence number is read first; an item never written reads nothing else.
      return new HeldJournal(pid, op -> op == ReadSeqNum$.MODULE$ || op instanceof ReadEvents);
    }

    @Override
    public ProcessingResult tryProcess(String persistenceId, JournalOperation op) {
      if (pid.equals(persistenceId)) {
        if (op instanceof WriteEvents write) writes.add(write.getBatch().size());
        if (holds.test(op) && first.compareAndSet(true, false)) {
          holding.set(true);
          reached.countDown();
          try {
            released.await(10, SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          holding.set(false);
        }
      }
      return ProcessingSuccess$.MODULE$;
    }

    void awaitBlocked() {
      try {
        assertTrue(reached.await(5, SECONDS), "the held operation never reached the journal");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }

    boolean isHolding() {
      return holding.get();
    }

    void release() {
      released.countDown();
    }
  }
}
