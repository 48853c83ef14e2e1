package io.stockhold.stock;

import io.stockhold.CborSerializable;
import io.stockhold.stock.StockLedger.Decided;
import io.stockhold.stock.StockReply.Rejected;
import io.stockhold.stock.StockReply.Rejection;
import io.stockhold.stock.StockReply.Unavailable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityContext;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * A stock item as the cluster sees it: the sharded entity {@code <location>/<sku>}, and the gate in
 * front of its {@link StockLedger}.
 *
 * <p>The gate is what lets a hot item sell far faster than one journal write per request: while a
 * batch is being written, new requests wait in a bounded queue; when the write is done they go to
 * the ledger together as the next batch (group commit). Nothing waits on a timer. Reads are
 * answered at once from the last durable state. A full queue answers {@code OVERLOADED} at once
 * instead of growing; a ledger that dies mid-write answers its whole batch {@code RESTARTING}
 * (never a false success) and is started again.
 *
 * <p>The gate also keeps the item alive while it has holds (their expiry timer would die with it)
 * and passivates it after {@code idle-timeout} without holds.
 *
 * <p>After each write that changed its quantities, the gate publishes the new level to its
 * location's {@link LevelTopics topic}, for live stock watchers anywhere in the cluster.
 */
public final class StockItem extends AbstractBehavior<StockItem.Command> {

  public static final EntityTypeKey<Command> ENTITY_KEY =
      EntityTypeKey.create(Command.class, "StockItem");

  public sealed interface Command extends CborSerializable {}

  /**
   * A change, decided in arrival order. {@code answerBy}: when its caller stops waiting (the ask's
   * timeout); a request that reaches its turn after that is answered TIMEOUT and never decided.
   * Otherwise a request held up in transit (an item moving between nodes) could be decided after
   * its caller's retry with the same key was already answered — a "no" followed by a hold nobody
   * waits for. Null: decided whenever it comes.
   */
  public record Submit(StockRequest request, ActorRef<StockReply> replyTo, Instant answerBy)
      implements Command {
    public Submit(StockRequest request, ActorRef<StockReply> replyTo) {
      this(request, replyTo, null);
    }
  }

  /**
   * How much sooner than its caller's deadline a request stops being decided: room for the clocks
   * of the caller's node and the item's node to differ.
   */
  private static final Duration CLOCK_MARGIN = Duration.ofMillis(250);

  /**
   * The reads: answered from the last durable state, or held until there is one. Sealed, so that
   * every switch over them must handle a new one.
   */
  private sealed interface Read extends Command {}

  /** Replies a {@code LevelReply}, or {@code STOCK_ITEM_NOT_FOUND} for an item never stocked. */
  public record GetLevel(ActorRef<StockReply> replyTo) implements Read {}

  /** Replies a {@code HoldReply}, or {@code RESERVATION_NOT_FOUND}. */
  public record GetHold(String holdId, ActorRef<StockReply> replyTo) implements Read {}

  /**
   * Replies the durable level with its sequence number, for a watcher to start from (sequence
   * number 0 and zeros for an item never stocked). Not answered while the item cannot take more
   * reads, nor when it stops before it could answer: the watcher's ask times out.
   */
  public record GetLevelUpdate(ActorRef<LevelUpdate> replyTo) implements Read {}

  private sealed interface Internal extends Command, NoSerializationVerificationNeeded {}

  private record BatchDone(Decided decided) implements Internal {}

  private record LedgerStopped(ActorRef<StockLedger.Command> ledger) implements Internal {}

  private enum Tick implements Internal {
    EXPIRY_DUE,
    WRITE_SLOT,
    RESPAWN_LEDGER,
    IDLE,
    STOP
  }

  public static void init(ActorSystem<?> system, StockItemSettings settings, Clock clock) {
    init(system, settings, clock, StockItemObserver.NONE);
  }

  public static void init(
      ActorSystem<?> system, StockItemSettings settings, Clock clock, StockItemObserver observer) {
    ClusterSharding.get(system)
        .init(
            Entity.of(ENTITY_KEY, ctx -> create(ctx, settings, clock, observer))
                .withStopMessage(Tick.STOP));
  }

  private static Behavior<Command> create(
      EntityContext<Command> entity,
      StockItemSettings settings,
      Clock clock,
      StockItemObserver observer) {
    StockItemId id =
        StockItemId.parse(entity.getEntityId())
            .orElseThrow(
                () -> new IllegalArgumentException("bad stock item id " + entity.getEntityId()));
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers ->
                    new StockItem(ctx, timers, id, settings, clock, entity.getShard(), observer)));
  }

  /** For tests: a gate outside sharding, which never passivates. */
  public static Behavior<Command> create(StockItemId id, StockItemSettings settings, Clock clock) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers ->
                    new StockItem(ctx, timers, id, settings, clock, null, StockItemObserver.NONE)));
  }

  private final TimerScheduler<Command> timers;
  private final StockItemId id;
  private final StockItemSettings settings;
  private final Clock clock;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  private final ActorRef<Decided> decidedAdapter;
  private final JournalWriteSlots writeSlots;
  private final StockItemObserver observer;
  private final LevelTopics levelTopics;

  private ActorRef<StockLedger.Command> ledger;
  private int generation;

  /** The last durable state; null while the ledger recovers. */
  private StockState state;

  /** The sequence number of the item's latest durable event. */
  private long sequenceNr;

  /**
   * The quantities last published (or first recovered), so that only a change is published; kept
   * across a ledger restart, so a write that landed before the journal failed is still published.
   */
  private StockReply.Level published;

  private final ArrayDeque<Submit> queue = new ArrayDeque<>();

  /** The batch being written; null when none. */
  private List<Submit> inFlight;

  private boolean expiryDue;

  /** Whether the batch in flight took one of the node's journal write slots. */
  private boolean holdsWriteSlot;

  private final List<Read> readsWaiting = new ArrayList<>();

  /** Sharding asked the item to stop (handoff to another node, or passivation). */
  private boolean stopping;

  /** When the batch in flight went to the ledger (System.nanoTime). */
  private long inFlightSince;

  /**
   * More holds had lapsed than one write expires: since when (System.nanoTime, 0 when not), over
   * how many writes, and how many holds were open then; logged once they are all expired.
   */
  private long catchUpSince;

  private int catchUpWrites;
  private int catchUpOpenBefore;

  private StockItem(
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      StockItemId id,
      StockItemSettings settings,
      Clock clock,
      ActorRef<ClusterSharding.ShardCommand> shard,
      StockItemObserver observer) {
    super(ctx);
    this.observer = observer;
    this.timers = timers;
    this.id = id;
    this.settings = settings;
    this.clock = clock;
    this.shard = shard;
    this.decidedAdapter = ctx.messageAdapter(Decided.class, BatchDone::new);
    this.writeSlots = JournalWriteSlots.get(ctx.getSystem());
    this.levelTopics = LevelTopics.get(ctx.getSystem());
    spawnLedger();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Submit.class, this::onSubmit)
        .onMessage(GetLevel.class, this::onRead)
        .onMessage(GetHold.class, this::onRead)
        .onMessage(GetLevelUpdate.class, this::onRead)
        .onMessage(BatchDone.class, this::onBatchDone)
        .onMessage(LedgerStopped.class, this::onLedgerStopped)
        .onMessageEquals(Tick.EXPIRY_DUE, this::onExpiryDue)
        .onMessageEquals(
            Tick.WRITE_SLOT,
            () -> {
              dispatch();
              return this;
            })
        .onMessageEquals(Tick.RESPAWN_LEDGER, this::onRespawn)
        .onMessageEquals(Tick.IDLE, this::onIdle)
        .onMessageEquals(Tick.STOP, this::onStop)
        .onSignal(
            PostStop.class,
            signal -> {
              releaseWriteSlot();
              // Requests still queued die with the gate (their asks time out); they wait nowhere
              // now.
              observer.queued(-queue.size());
              return this;
            })
        .build();
  }

  private Behavior<Command> onSubmit(Submit submit) {
    if (stopping) {
      submit.replyTo().tell(moving());
      return this;
    }
    if (queue.size() >= settings.maxQueue()) {
      submit
          .replyTo()
          .tell(
              new Unavailable(
                  Unavailable.Reason.OVERLOADED,
                  "stock item " + id + " has " + queue.size() + " requests waiting"));
      return this;
    }
    queue.add(submit);
    observer.queued(1);
    dispatch();
    return this;
  }

  private Behavior<Command> onRead(Read read) {
    if (stopping) {
      turnAway(read, moving());
      return this;
    }
    if (state == null) {
      if (readsWaiting.size() >= settings.maxQueue()) {
        turnAway(
            read,
            new Unavailable(Unavailable.Reason.OVERLOADED, "stock item " + id + " is recovering"));
      } else {
        readsWaiting.add(read);
      }
      return this;
    }
    answer(read);
    armIdleTimer();
    return this;
  }

  private void answer(Read read) {
    Instant now = clock.instant();
    switch (read) {
      case GetLevel get ->
          get.replyTo()
              .tell(
                  state.stocked()
                      ? new StockReply.LevelReply(state.levelAt(now))
                      : Rejected.of(
                          Rejection.STOCK_ITEM_NOT_FOUND,
                          "stock item " + id + " was never stocked"));
      case GetHold get ->
          get.replyTo()
              .tell(
                  state
                      .holdAt(get.holdId(), now)
                      .<StockReply>map(StockReply.HoldReply::new)
                      .orElseGet(
                          () ->
                              Rejected.of(Rejection.RESERVATION_NOT_FOUND, "no such reservation")));
      case GetLevelUpdate get -> get.replyTo().tell(levelUpdate());
    }
  }

  private LevelUpdate levelUpdate() {
    StockReply.Level level = state.levelAt(clock.instant());
    return new LevelUpdate(
        id.location(),
        id.sku(),
        level.onHand(),
        level.reserved(),
        level.available(),
        state.stocked() ? sequenceNr : 0,
        level.incoming(),
        level.backordered());
  }

  /** Publishes the level when a write changed its quantities (incoming and backordered too). */
  private void publishIfChanged() {
    StockReply.Level level = state.levelAt(clock.instant());
    if (published != null
        && published.onHand() == level.onHand()
        && published.reserved() == level.reserved()
        && published.available() == level.available()
        && published.incoming() == level.incoming()
        && published.backordered() == level.backordered()) {
      return;
    }
    boolean recovered = published == null;
    published = level;
    if (!recovered && state.stocked()) levelTopics.publish(levelUpdate());
  }

  /**
   * Tells a read the item will not answer it now. A watcher's {@link GetLevelUpdate} is told
   * nothing: a {@link LevelUpdate} has no "unavailable" form, and a made-up level would reach its
   * client as the item's level. Unanswered, its ask times out, and the watcher has the level from
   * its catch-up read and the item's next published change instead.
   */
  private static void turnAway(Read read, Unavailable why) {
    switch (read) {
      case GetLevel get -> get.replyTo().tell(why);
      case GetHold get -> get.replyTo().tell(why);
      case GetLevelUpdate unanswered -> {}
    }
  }

  private Behavior<Command> onExpiryDue() {
    expiryDue = true;
    dispatch();
    return this;
  }

  /** Sends the next batch when the ledger is ready and idle. */
  private void dispatch() {
    if (inFlight != null || state == null) return;
    if (queue.isEmpty() && !expiryDue) return;
    if (!writeSlots.tryAcquire()) {
      // The node's journal is saturated: requests keep waiting here (bounded) until a slot frees.
      timers.startSingleTimer(Tick.WRITE_SLOT, Tick.WRITE_SLOT, Duration.ofMillis(2));
      return;
    }
    int size = Math.min(queue.size(), settings.maxBatch());
    List<Submit> batch = new ArrayList<>(size);
    List<StockRequest> requests = new ArrayList<>(size);
    Instant now = clock.instant();
    for (int i = 0; i < size; i++) {
      Submit s = queue.poll();
      if (s.answerBy() != null && now.isAfter(s.answerBy().minus(CLOCK_MARGIN))) {
        s.replyTo()
            .tell(
                new Unavailable(
                    Unavailable.Reason.TIMEOUT,
                    "stock item "
                        + id
                        + " got the request after its caller stopped waiting;"
                        + " it was not decided"));
        continue;
      }
      batch.add(s);
      requests.add(s.request());
    }
    if (size > 0) observer.queued(-size);
    if (batch.isEmpty() && !expiryDue) {
      // Every request taken had outlived its caller: nothing to write; on to the next ones.
      writeSlots.release();
      dispatch();
      return;
    }
    inFlight = batch;
    inFlightSince = System.nanoTime();
    holdsWriteSlot = true;
    expiryDue = false;
    ledger.tell(new StockLedger.Decide(requests, now, decidedAdapter));
  }

  private Behavior<Command> onBatchDone(BatchDone done) {
    releaseWriteSlot();
    boolean journaled = done.decided().sequenceNr() != sequenceNr;
    state = done.decided().state();
    sequenceNr = done.decided().sequenceNr();
    publishIfChanged();
    List<StockReply> replies = done.decided().replies();
    // The recovery "batch" and expiry-only batches carry no request, and a batch answered from
    // memory (sold out, repeats) wrote nothing: neither is a client's journal write.
    if (!inFlight.isEmpty() && journaled)
      observer.batchWritten(inFlight.size(), System.nanoTime() - inFlightSince);
    for (int i = 0; i < inFlight.size(); i++) inFlight.get(i).replyTo().tell(replies.get(i));
    inFlight = null;
    for (Read read : readsWaiting) answer(read);
    readsWaiting.clear();
    if (stopping) return Behaviors.stopped();
    Instant now = clock.instant();
    state
        .nextDeadline()
        .ifPresentOrElse(
            deadline -> {
              if (deadline.isAfter(now)) {
                caughtUp();
                timers.startSingleTimer(
                    Tick.EXPIRY_DUE,
                    Tick.EXPIRY_DUE,
                    Duration.between(now, deadline).plusMillis(1));
              } else {
                // More lapsed holds than one write expires: the next batch takes the next ones.
                if (catchUpSince == 0) {
                  catchUpSince = System.nanoTime();
                  catchUpOpenBefore = state.holds().size();
                }
                catchUpWrites++;
                timers.cancel(Tick.EXPIRY_DUE);
                expiryDue = true;
              }
            },
            () -> {
              caughtUp();
              timers.cancel(Tick.EXPIRY_DUE);
            });
    dispatch();
    armIdleTimer();
    return this;
  }

  /**
   * The end of an expiry catch-up: how long the item's lapsed holds took to be written, which the
   * read model and the ERP then follow.
   */
  private void caughtUp() {
    if (catchUpSince == 0) return;
    long millis = (System.nanoTime() - catchUpSince) / 1_000_000;
    // A hold that lapsed while a write was in flight takes a second write at once: not news.
    if (millis >= SLOW_CATCH_UP_MILLIS) logCatchUp(millis);
    catchUpSince = 0;
    catchUpWrites = 0;
  }

  private static final long SLOW_CATCH_UP_MILLIS = 1_000;

  private void logCatchUp(long millis) {
    getContext()
        .getLog()
        .info(
            "stock item {}: lapsed holds expired in {} ms over {} writes ({} holds open after the"
                + " first, {} now)",
            id,
            millis,
            catchUpWrites + 1,
            catchUpOpenBefore,
            state.holds().size());
  }

  private Behavior<Command> onLedgerStopped(LedgerStopped stopped) {
    if (!stopped.ledger().equals(ledger)) return this;
    releaseWriteSlot();
    getContext()
        .getLog()
        .warn(
            "stock item {}: journal failed; {} in-flight requests answered unavailable, restarting"
                + " in {}",
            id,
            inFlight == null ? 0 : inFlight.size(),
            settings.restartBackoff());
    if (inFlight != null) {
      for (Submit s : inFlight) {
        s.replyTo()
            .tell(
                new Unavailable(
                    Unavailable.Reason.RESTARTING,
                    "the journal write failed; the outcome is unknown, retry with the same"
                        + " idempotency key"));
      }
    }
    inFlight = null;
    state = null;
    ledger = null;
    if (stopping) return Behaviors.stopped();
    timers.startSingleTimer(Tick.RESPAWN_LEDGER, Tick.RESPAWN_LEDGER, settings.restartBackoff());
    return this;
  }

  /**
   * Sharding stops the item when its shard moves to another node (a node leaving, or a rebalance
   * after one joined) and when it passivates. The batch being written finishes and is answered, so
   * its callers learn the outcome; requests still queued were decided by no one and are answered
   * unavailable at once (retryable) rather than left to time out.
   */
  private Behavior<Command> onStop() {
    stopping = true;
    if (!queue.isEmpty()) {
      observer.queued(-queue.size());
      for (Submit s : queue) s.replyTo().tell(moving());
      queue.clear();
    }
    for (Read read : readsWaiting) turnAway(read, moving());
    readsWaiting.clear();
    return inFlight == null ? Behaviors.stopped() : this;
  }

  /**
   * The message sharding stops the item with; for tests, which spawn the gate outside sharding and
   * stop it the same way.
   */
  static Command stopMessage() {
    return Tick.STOP;
  }

  private Unavailable moving() {
    return new Unavailable(
        Unavailable.Reason.RESTARTING,
        "stock item " + id + " is moving to another node; nothing was decided, retry");
  }

  private Behavior<Command> onRespawn() {
    spawnLedger();
    return this;
  }

  private void releaseWriteSlot() {
    if (holdsWriteSlot) writeSlots.release();
    holdsWriteSlot = false;
  }

  /** Starts the ledger and asks it for its recovered state (an empty batch). */
  private void spawnLedger() {
    generation++;
    ledger =
        getContext()
            .spawn(
                StockLedger.create(
                    id, settings.snapshotEvery(), settings.tagCount(), settings.maxExpiries()),
                "ledger-" + generation);
    getContext().watchWith(ledger, new LedgerStopped(ledger));
    inFlight = List.of();
    ledger.tell(new StockLedger.Decide(List.of(), clock.instant(), decidedAdapter));
  }

  private boolean idle() {
    return state != null && inFlight == null && queue.isEmpty() && !state.hasActiveHolds();
  }

  private void armIdleTimer() {
    if (shard == null) return;
    if (idle()) timers.startSingleTimer(Tick.IDLE, Tick.IDLE, settings.idleTimeout());
    else timers.cancel(Tick.IDLE);
  }

  private Behavior<Command> onIdle() {
    if (idle() && shard != null) {
      shard.tell(new ClusterSharding.Passivate<>(getContext().getSelf()));
    }
    return this;
  }
}
