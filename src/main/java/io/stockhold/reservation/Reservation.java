package io.stockhold.reservation;

import com.typesafe.config.Config;
import io.stockhold.CborSerializable;
import io.stockhold.reservation.ReservationEvent.AllHeld;
import io.stockhold.reservation.ReservationEvent.DeadlineExtended;
import io.stockhold.reservation.ReservationEvent.Finished;
import io.stockhold.reservation.ReservationEvent.Finishing;
import io.stockhold.reservation.ReservationEvent.HoldsRefused;
import io.stockhold.reservation.ReservationEvent.HoldsRequested;
import io.stockhold.reservation.ReservationEvent.HoldsReturned;
import io.stockhold.reservation.ReservationReply.NotNow;
import io.stockhold.reservation.ReservationReply.Refused;
import io.stockhold.reservation.ReservationReply.ShortLine;
import io.stockhold.reservation.ReservationState.End;
import io.stockhold.reservation.ReservationState.LineAnswer;
import io.stockhold.reservation.ReservationState.Phase;
import io.stockhold.stock.StockItem;
import io.stockhold.stock.StockReply;
import io.stockhold.stock.StockReply.HoldReply;
import io.stockhold.stock.StockReply.HoldStatus;
import io.stockhold.stock.StockReply.Rejection;
import io.stockhold.stock.StockReply.Unavailable;
import io.stockhold.stock.StockRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * A multi-line reservation: the sharded, journaled saga that holds a whole cart all-or-nothing
 * across its stock items, then commits, releases or expires every line. Lines are asked in
 * parallel; a client request that arrives while the reservation waits for its items is stashed
 * until the items have answered. After a crash it picks up where its journal says it was and tells
 * every line again (each step is idempotent at the item).
 */
public final class Reservation
    extends EventSourcedBehaviorWithEnforcedReplies<
        Reservation.Command, ReservationEvent, ReservationState> {

  public static final EntityTypeKey<Command> ENTITY_KEY =
      EntityTypeKey.create(Command.class, "Reservation");

  public sealed interface Command extends CborSerializable {}

  /** {@code actor}: who asks; the reservation is theirs. */
  public record Create(
      String channel,
      List<ReservationLine> lines,
      long ttlSeconds,
      String fingerprint,
      String actor,
      String customerId,
      ActorRef<ReservationReply> replyTo)
      implements Command {}

  public record Get(ActorRef<ReservationReply> replyTo) implements Command {}

  public record Commit(ActorRef<ReservationReply> replyTo) implements Command {}

  public record Release(ActorRef<ReservationReply> replyTo) implements Command {}

  public record Extend(long ttlSeconds, ActorRef<ReservationReply> replyTo) implements Command {}

  private sealed interface Internal extends Command, NoSerializationVerificationNeeded {}

  /** An item's answer for one line, tagged with what it was asked for. */
  private record LineAnswered(int attempt, Phase phase, int index, StockReply reply)
      implements Internal {}

  private record Retry(int attempt, Phase phase, int index) implements Internal {}

  /** An item's answer about one line while the reservation waits for stock. */
  private record PollAnswered(int attempt, int index, StockReply reply) implements Internal {}

  private enum Tick implements Internal {
    DEADLINE,
    IDLE,
    POLL,
    STOP
  }

  /**
   * While a reservation waits, its held lines are held this long at their items, and extended again
   * when half of it is gone: a day, the longest hold.
   */
  static final long WAITING_HOLD_SECONDS = ReservationService.MAX_TTL_SECONDS;

  /** {@code waitingPoll}: how often a reservation waiting for stock asks its lines' items. */
  public record Settings(
      Duration grace,
      Duration itemTimeout,
      Duration retryBackoff,
      Duration idleTimeout,
      Duration waitingPoll) {
    public Settings(
        Duration grace, Duration itemTimeout, Duration retryBackoff, Duration idleTimeout) {
      this(grace, itemTimeout, retryBackoff, idleTimeout, Duration.ofSeconds(5));
    }

    public static Settings from(Config config) {
      var c = config.getConfig("stockhold.reservations");
      return new Settings(
          c.getDuration("grace"),
          config.getDuration("stockhold.ask-timeout"),
          c.getDuration("retry-backoff"),
          config.getDuration("stockhold.stock-item.idle-timeout"),
          c.getDuration("waiting-poll"));
    }
  }

  public static void init(ActorSystem<?> system, Settings settings, Clock clock) {
    ClusterSharding.get(system)
        .init(
            Entity.of(
                    ENTITY_KEY,
                    entity ->
                        Behaviors.<Command>setup(
                            ctx ->
                                Behaviors.withTimers(
                                    timers ->
                                        new Reservation(
                                            ctx,
                                            timers,
                                            entity.getShard(),
                                            ReservationIds.multiLine(entity.getEntityId()),
                                            settings,
                                            clock))))
                .withStopMessage(Tick.STOP));
  }

  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  private final String reservationId;
  private final Settings settings;
  private final Clock clock;
  private final ClusterSharding sharding;

  // What is in flight now; not journaled (a restart asks every line again).
  private StockReply[] answers = new StockReply[0];
  private final List<ActorRef<ReservationReply>> awaiting = new ArrayList<>();
  private boolean extending;

  /** The answer to a refused attempt, given once its holds are released. */
  private ReservationReply refusal;

  /**
   * While waiting for stock: each line's answer in the current poll (null: not yet), and each held
   * line's deadline at its item as last seen (null: not known since this incarnation began).
   */
  private StockReply[] polled = new StockReply[0];

  private Instant[] itemDeadlines = new Instant[0];

  private Reservation(
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      ActorRef<ClusterSharding.ShardCommand> shard,
      String reservationId,
      Settings settings,
      Clock clock) {
    super(
        PersistenceId.of(
            ENTITY_KEY.name(), reservationId.substring(reservationId.indexOf('~') + 1)));
    this.ctx = ctx;
    this.timers = timers;
    this.shard = shard;
    this.reservationId = reservationId;
    this.settings = settings;
    this.clock = clock;
    this.sharding = ClusterSharding.get(ctx.getSystem());
  }

  @Override
  public ReservationState emptyState() {
    return ReservationState.empty(reservationId);
  }

  @Override
  public SignalHandler<ReservationState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(
            RecoveryCompleted.instance(),
            state -> {
              // Finish what the journal says was started; a held reservation re-asserts its
              // deadline (one past its deadline is expired by the deadline timer instead).
              boolean held =
                  state.phase() == Phase.HELD && clock.instant().isBefore(state.expiresAt());
              if (state.busy() || held) tellAllLines(state, held);
              settle(state);
            })
        .build();
  }

  @Override
  public CommandHandlerWithReply<Command, ReservationEvent, ReservationState> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Create.class, this::create)
        .onCommand(Get.class, this::get)
        .onCommand(Commit.class, (s, c) -> end(s, End.COMMITTED, c.replyTo()))
        .onCommand(Release.class, (s, c) -> end(s, End.RELEASED, c.replyTo()))
        .onCommand(Extend.class, this::extend)
        .onCommand(LineAnswered.class, this::lineAnswered)
        .onCommand(PollAnswered.class, this::pollAnswered)
        .onCommand(Retry.class, this::retry)
        .onCommand(
            Tick.class,
            (s, tick) ->
                switch (tick) {
                  case DEADLINE -> deadline(s);
                  case IDLE -> idle(s);
                  case POLL -> poll(s);
                  case STOP -> Effect().stop().thenNoReply();
                })
        .build();
  }

  private boolean waiting(ReservationState s) {
    return s.busy() || extending;
  }

  private ReplyEffect<ReservationEvent, ReservationState> create(ReservationState s, Create c) {
    if (waiting(s)) return Effect().stash();
    return switch (s.phase()) {
      case NEW, REFUSED -> {
        Instant now = clock.instant();
        var requested =
            new HoldsRequested(
                s.attempt() + 1,
                c.channel(),
                c.lines(),
                now.plusSeconds(c.ttlSeconds()),
                c.fingerprint(),
                now,
                c.actor(),
                c.customerId());
        yield Effect()
            .persist(requested)
            .thenRun(
                (ReservationState after) -> {
                  awaiting.add(c.replyTo());
                  tellAllLines(after, false);
                })
            .thenNoReply();
      }
      default ->
          Objects.equals(s.fingerprint(), c.fingerprint())
              ? Effect().reply(c.replyTo(), s.created(clock.instant()))
              : Effect()
                  .reply(
                      c.replyTo(),
                      Refused.of(
                          Rejection.IDEMPOTENCY_KEY_REUSED,
                          "this idempotency key was used for a different request"));
    };
  }

  private ReplyEffect<ReservationEvent, ReservationState> get(ReservationState s, Get c) {
    if (waiting(s)) return Effect().stash();
    return switch (s.phase()) {
      case NEW, REFUNDING, REFUSED -> Effect().reply(c.replyTo(), notFound());
      default -> Effect().reply(c.replyTo(), s.view(clock.instant()));
    };
  }

  /** Commit or release, per the state table. */
  private ReplyEffect<ReservationEvent, ReservationState> end(
      ReservationState s, End wanted, ActorRef<ReservationReply> replyTo) {
    if (waiting(s)) return Effect().stash();
    Instant now = clock.instant();
    return switch (s.phase()) {
      case NEW, REFUNDING, REFUSED -> Effect().reply(replyTo, notFound());
      case HELD -> {
        if (!now.isBefore(s.expiresAt())) {
          ReservationReply answer =
              wanted == End.RELEASED ? viewAs(s, End.EXPIRED) : ended(End.EXPIRED);
          yield Effect()
              .persist(new Finishing(End.EXPIRED, now))
              .thenRun((ReservationState after) -> tellAllLines(after, false))
              .thenReply(replyTo, after -> answer);
        }
        yield Effect()
            .persist(new Finishing(wanted, now))
            .thenRun(
                (ReservationState after) -> {
                  awaiting.add(replyTo);
                  tellAllLines(after, false);
                })
            .thenNoReply();
      }
      case WAITING -> {
        if (wanted == End.COMMITTED) yield Effect().reply(replyTo, stillWaiting("committed"));
        yield Effect()
            .persist(new Finishing(End.RELEASED, now))
            .thenRun(
                (ReservationState after) -> {
                  awaiting.add(replyTo);
                  tellAllLines(after, false);
                })
            .thenNoReply();
      }
      case HOLDING, FINISHING, FINISHED -> Effect().reply(replyTo, afterEnd(s, wanted));
    };
  }

  private static Refused stillWaiting(String asked) {
    return Refused.of(
        Rejection.RESERVATION_BACKORDERED,
        "the reservation waits for stock; it can be "
            + asked
            + " once it is held (or released now)");
  }

  /** The answer to a commit or release of a reservation that has already ended. */
  private ReservationReply afterEnd(ReservationState s, End wanted) {
    if (s.end() == wanted || (wanted == End.RELEASED && s.end() == End.EXPIRED))
      return viewAs(s, s.end());
    return ended(s.end());
  }

  /** The refusal of a change to a reservation that has already ended this way. */
  private static Refused ended(End end) {
    return switch (end) {
      case COMMITTED -> Refused.of(Rejection.RESERVATION_COMMITTED, "the reservation is committed");
      case RELEASED -> Refused.of(Rejection.RESERVATION_RELEASED, "the reservation is released");
      case EXPIRED -> Refused.of(Rejection.RESERVATION_EXPIRED, "the reservation is expired");
    };
  }

  private ReplyEffect<ReservationEvent, ReservationState> extend(ReservationState s, Extend c) {
    if (waiting(s)) return Effect().stash();
    Instant now = clock.instant();
    return switch (s.phase()) {
      case NEW, REFUNDING, REFUSED -> Effect().reply(c.replyTo(), notFound());
      case HELD -> {
        if (!now.isBefore(s.expiresAt())) {
          yield Effect()
              .persist(new Finishing(End.EXPIRED, now))
              .thenRun((ReservationState after) -> tellAllLines(after, false))
              .thenReply(c.replyTo(), after -> ended(End.EXPIRED));
        }
        yield Effect()
            .persist(new DeadlineExtended(now.plusSeconds(c.ttlSeconds()), now))
            .thenRun(
                (ReservationState after) -> {
                  awaiting.add(c.replyTo());
                  tellAllLines(after, true);
                })
            .thenNoReply();
      }
      case WAITING -> Effect().reply(c.replyTo(), stillWaiting("extended"));
      case HOLDING, FINISHING, FINISHED -> Effect().reply(c.replyTo(), ended(s.end()));
    };
  }

  private ReplyEffect<ReservationEvent, ReservationState> lineAnswered(
      ReservationState s, LineAnswered a) {
    boolean current =
        a.attempt() == s.attempt() && a.phase() == s.phase() && (s.busy() || extending);
    if (!current || answers[a.index()] != null) return Effect().noReply();
    LineAnswer meaning = s.judge(a.reply());
    if (meaning == LineAnswer.RETRY) {
      timers.startSingleTimer(
          new Retry(a.attempt(), a.phase(), a.index()), settings.retryBackoff());
      return Effect().noReply();
    }
    // An extension that reaches an item after the reservation's own deadline is moot: the
    // reservation is expired whatever the item says. Anything else lost is a broken promise.
    boolean moot = s.phase() == Phase.HELD && !clock.instant().isBefore(s.expiresAt());
    if (meaning == LineAnswer.LOST && !moot) {
      ctx.getLog()
          .error(
              "reservation {}: line {} ({}) refused to {}: {}",
              reservationId,
              a.index(),
              s.lines().get(a.index()).item(),
              s.end(),
              a.reply());
    }
    answers[a.index()] = a.reply();
    if (Arrays.stream(answers).anyMatch(Objects::isNull)) return Effect().noReply();
    return allAnswered(s);
  }

  /** Every line has answered in the current phase: decide what comes next. */
  private ReplyEffect<ReservationEvent, ReservationState> allAnswered(ReservationState s) {
    Instant now = clock.instant();
    List<StockReply> replies = List.of(answers);
    return switch (s.phase()) {
      case HOLDING -> {
        boolean allHeld = replies.stream().allMatch(r -> s.judge(r) == LineAnswer.DONE);
        if (allHeld) {
          yield Effect()
              .persist(new AllHeld(now))
              .thenRun(
                  (ReservationState after) -> {
                    answer(after.created(clock.instant()));
                    settle(after);
                  })
              .thenNoReply()
              .thenUnstashAll();
        }
        boolean someWait =
            replies.stream().anyMatch(r -> s.judge(r) == LineAnswer.WAITS)
                && replies.stream()
                    .allMatch(r -> s.judge(r) == LineAnswer.DONE || s.judge(r) == LineAnswer.WAITS);
        if (someWait) {
          yield Effect()
              .persist(new ReservationEvent.SomeWaiting(now))
              .thenRun(
                  (ReservationState after) -> {
                    answer(after.created(now));
                    settle(after);
                  })
              .thenNoReply()
              .thenUnstashAll();
        }
        List<ShortLine> shortLines = s.shortLines(replies);
        boolean unavailable = replies.stream().anyMatch(r -> s.judge(r) == LineAnswer.FAILED);
        Rejection reason = ReservationState.refusal(replies);
        ReservationReply answerOnceReturned =
            unavailable
                ? new NotNow(
                    Unavailable.Reason.TIMEOUT,
                    "a stock item did not answer; nothing is held, retry")
                : new Refused(
                    reason,
                    reason == Rejection.INSUFFICIENT_STOCK
                        ? shortLines.size() + " lines cannot be met"
                        : ReservationState.refusalDetail(replies, reason),
                    shortLines);
        // The refusal is answered once every hold of the attempt is released, not before.
        yield Effect()
            .persist(new HoldsRefused(shortLines, unavailable, now))
            .thenRun(
                (ReservationState after) -> {
                  refusal = answerOnceReturned;
                  tellAllLines(after, false);
                })
            .thenNoReply();
      }
      case REFUNDING ->
          Effect()
              .persist(new HoldsReturned(now))
              .thenRun(
                  (ReservationState after) -> {
                    if (refusal != null) answer(refusal);
                    refusal = null;
                    settle(after);
                  })
              .thenNoReply()
              .thenUnstashAll();
      case FINISHING ->
          Effect()
              .persist(new Finished(now))
              .thenRun(
                  (ReservationState after) -> {
                    answer(viewAs(after, after.end()));
                    settle(after);
                  })
              .thenNoReply()
              .thenUnstashAll();
      case HELD -> {
        extending = false;
        answer(s.view(now));
        settle(s);
        yield Effect().noReply().thenUnstashAll();
      }
      case NEW, WAITING, REFUSED, FINISHED -> Effect().noReply();
    };
  }

  private ReplyEffect<ReservationEvent, ReservationState> retry(ReservationState s, Retry r) {
    if (r.attempt() == s.attempt() && r.phase() == s.phase() && waiting(s)) tellLine(s, r.index());
    return Effect().noReply();
  }

  private ReplyEffect<ReservationEvent, ReservationState> deadline(ReservationState s) {
    Instant now = clock.instant();
    if (s.phase() != Phase.HELD || extending || now.isBefore(s.expiresAt())) {
      settle(s);
      return Effect().noReply();
    }
    return Effect()
        .persist(new Finishing(End.EXPIRED, now))
        .thenRun((ReservationState after) -> tellAllLines(after, false))
        .thenNoReply();
  }

  private ReplyEffect<ReservationEvent, ReservationState> idle(ReservationState s) {
    boolean finished =
        s.phase() == Phase.NEW || s.phase() == Phase.REFUSED || s.phase() == Phase.FINISHED;
    if (finished && !extending) shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
    return Effect().noReply();
  }

  /** Timers for a reservation at rest: its deadline while held, passivation once it has ended. */
  private void settle(ReservationState s) {
    if (s.phase() == Phase.WAITING) {
      timers.cancel(Tick.DEADLINE);
      timers.cancel(Tick.IDLE);
      timers.startSingleTimer(Tick.POLL, Tick.POLL, settings.waitingPoll());
    } else if (s.phase() == Phase.HELD) {
      timers.cancel(Tick.POLL);
      timers.startSingleTimer(
          Tick.DEADLINE,
          Tick.DEADLINE,
          Duration.between(clock.instant(), s.expiresAt()).plusMillis(1));
      timers.cancel(Tick.IDLE);
    } else if (!s.busy()) {
      timers.cancel(Tick.DEADLINE);
      timers.startSingleTimer(Tick.IDLE, Tick.IDLE, settings.idleTimeout());
    }
  }

  /**
   * Asks each line's item how the line stands: a held line whose item deadline is unknown or half
   * gone is extended (its answer says so too), any other is read. Writes only when a hold needs a
   * longer life, so a reservation may wait days for stock without filling its items' journals.
   */
  private ReplyEffect<ReservationEvent, ReservationState> poll(ReservationState s) {
    if (s.phase() != Phase.WAITING) return Effect().noReply();
    Instant now = clock.instant();
    int n = s.lines().size();
    if (itemDeadlines.length != n) itemDeadlines = new Instant[n];
    polled = new StockReply[n];
    for (int i = 0; i < n; i++) {
      int index = i;
      int attempt = s.attempt();
      String holdId = s.holdId(i);
      var item = sharding.entityRefFor(StockItem.ENTITY_KEY, s.lines().get(i).item().entityId());
      Instant known = itemDeadlines[i];
      boolean extend = known == null || known.isBefore(now.plusSeconds(WAITING_HOLD_SECONDS / 2));
      Instant answerBy = now.plus(settings.itemTimeout());
      ctx.ask(
          StockReply.class,
          item,
          settings.itemTimeout(),
          replyTo ->
              extend
                  ? new StockItem.Submit(
                      new StockRequest.Extend(holdId, WAITING_HOLD_SECONDS, s.actor()),
                      replyTo,
                      answerBy)
                  : new StockItem.GetHold(holdId, replyTo),
          (reply, failure) ->
              new PollAnswered(
                  attempt,
                  index,
                  reply != null
                      ? reply
                      : new Unavailable(Unavailable.Reason.TIMEOUT, "no answer")));
    }
    return Effect().noReply();
  }

  private ReplyEffect<ReservationEvent, ReservationState> pollAnswered(
      ReservationState s, PollAnswered a) {
    if (s.phase() != Phase.WAITING
        || a.attempt() != s.attempt()
        || a.index() >= polled.length
        || polled[a.index()] != null) {
      return Effect().noReply();
    }
    polled[a.index()] = a.reply();
    if (a.reply() instanceof HoldReply h && h.hold().status() == HoldStatus.HELD) {
      itemDeadlines[a.index()] = h.hold().expiresAt();
    }
    if (Arrays.stream(polled).anyMatch(Objects::isNull)) return Effect().noReply();
    Instant now = clock.instant();
    boolean allHeld = true;
    for (int i = 0; i < polled.length; i++) {
      StockReply r = polled[i];
      boolean held = r instanceof HoldReply h && h.hold().status() == HoldStatus.HELD;
      boolean waits =
          (r instanceof HoldReply h && h.hold().status() == HoldStatus.BACKORDERED)
              || (r instanceof StockReply.Rejected rej
                  && rej.reason() == Rejection.RESERVATION_BACKORDERED);
      if (r instanceof Unavailable) {
        allHeld = false; // asked again at the next poll
      } else if (!held && !waits) {
        // A line's hold is gone while the reservation waited: it cannot be completed as asked.
        ctx.getLog()
            .error(
                "reservation {}: line {} ({}) lost while waiting for stock: {}; releasing the rest",
                reservationId,
                i,
                s.lines().get(i).item(),
                r);
        return Effect()
            .persist(new Finishing(End.RELEASED, now))
            .thenRun((ReservationState after) -> tellAllLines(after, false))
            .thenNoReply();
      } else if (waits) {
        allHeld = false;
      }
    }
    if (!allHeld) {
      settle(s);
      return Effect().noReply();
    }
    // Every line is held now: the reservation's hold time starts, and its items are told.
    return Effect()
        .persist(new ReservationEvent.AllFilled(now.plusSeconds(s.holdSeconds()), now))
        .thenRun(
            (ReservationState after) -> {
              tellAllLines(after, true);
              settle(after);
            })
        .thenNoReply();
  }

  private void tellAllLines(ReservationState s, boolean extend) {
    extending = extend;
    answers = new StockReply[s.lines().size()];
    for (int i = 0; i < s.lines().size(); i++) tellLine(s, i);
  }

  private void tellLine(ReservationState s, int index) {
    StockRequest request = s.itemRequest(index, clock.instant(), settings.grace());
    if (request == null) return;
    int attempt = s.attempt();
    Phase phase = s.phase();
    // Past the ask's timeout the item drops the request undecided, so the saga's retry of it never
    // races a first try still in transit.
    Instant answerBy = clock.instant().plus(settings.itemTimeout());
    ctx.ask(
        StockReply.class,
        sharding.entityRefFor(StockItem.ENTITY_KEY, s.lines().get(index).item().entityId()),
        settings.itemTimeout(),
        replyTo -> new StockItem.Submit(request, replyTo, answerBy),
        (reply, failure) ->
            new LineAnswered(
                attempt,
                phase,
                index,
                reply != null
                    ? reply
                    : new Unavailable(
                        Unavailable.Reason.TIMEOUT,
                        "no answer from " + s.lines().get(index).item())));
  }

  private void answer(ReservationReply reply) {
    awaiting.forEach(r -> r.tell(reply));
    awaiting.clear();
  }

  private ReservationReply viewAs(ReservationState s, End end) {
    var v = s.view(clock.instant());
    return new ReservationReply.View(
        v.reservationId(), end.status(), v.channel(), v.expiresAt(), v.lines(), v.actor());
  }

  private static Refused notFound() {
    return Refused.of(Rejection.RESERVATION_NOT_FOUND, "no such reservation");
  }

  @Override
  public EventHandler<ReservationState, ReservationEvent> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(ReservationState::apply);
  }
}
