package io.stockhold.transfer;

import com.typesafe.config.Config;
import io.stockhold.CborSerializable;
import io.stockhold.stock.StockItem;
import io.stockhold.stock.StockItemId;
import io.stockhold.stock.StockReply;
import io.stockhold.stock.StockReply.LevelReply;
import io.stockhold.stock.StockReply.Rejected;
import io.stockhold.stock.StockReply.Rejection;
import io.stockhold.stock.StockReply.Unavailable;
import io.stockhold.stock.StockRequest;
import io.stockhold.stock.Supply;
import io.stockhold.transfer.TransferEvent.Announced;
import io.stockhold.transfer.TransferEvent.ReceiveAsked;
import io.stockhold.transfer.TransferEvent.Received;
import io.stockhold.transfer.TransferEvent.ShipAsked;
import io.stockhold.transfer.TransferEvent.ShipRefused;
import io.stockhold.transfer.TransferEvent.Shipped;
import io.stockhold.transfer.TransferReply.Refused;
import io.stockhold.transfer.TransferReply.View;
import io.stockhold.transfer.TransferState.Phase;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
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
 * A transfer of units between two locations: the sharded, journaled saga that ships them at the
 * sending item, announces them as incoming at the receiving one, and, when they arrive, puts them
 * on hand there. Each step is journaled here before and after the item is told, and each is
 * idempotent at the item (by the transfer's id), so a crash anywhere resumes the step it was in
 * without shipping or receiving twice: the units are always on one shelf, or on their way.
 */
public final class Transfer
    extends EventSourcedBehaviorWithEnforcedReplies<
        Transfer.Command, TransferEvent, TransferState> {

  public static final EntityTypeKey<Command> ENTITY_KEY =
      EntityTypeKey.create(Command.class, "Transfer");

  public sealed interface Command extends CborSerializable {}

  /** Ship {@code quantity} of {@code sku} from {@code from} to {@code to}. */
  public record Ship(
      String from,
      String to,
      String sku,
      long quantity,
      String actor,
      ActorRef<TransferReply> replyTo)
      implements Command {}

  /** {@code quantity} units of the transfer arrived at its destination. */
  public record Receive(long quantity, String actor, ActorRef<TransferReply> replyTo)
      implements Command {}

  public record Get(ActorRef<TransferReply> replyTo) implements Command {}

  private sealed interface Internal extends Command, NoSerializationVerificationNeeded {}

  /** What an item is told next. */
  private enum Step {
    SHIP,
    ANNOUNCE,
    RECEIVE
  }

  private record ItemAnswered(Step step, StockReply reply) implements Internal {}

  private record Retry(Step step) implements Internal {}

  private enum Tick implements Internal {
    IDLE,
    STOP
  }

  public record Settings(Duration itemTimeout, Duration retryBackoff, Duration idleTimeout) {
    public static Settings from(Config config) {
      return new Settings(
          config.getDuration("stockhold.ask-timeout"),
          config.getDuration("stockhold.reservations.retry-backoff"),
          config.getDuration("stockhold.stock-item.idle-timeout"));
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
                                        new Transfer(
                                            ctx,
                                            timers,
                                            entity.getShard(),
                                            entity.getEntityId(),
                                            settings,
                                            clock))))
                .withStopMessage(Tick.STOP));
  }

  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  private final String transferId;
  private final Settings settings;
  private final Clock clock;
  private final ClusterSharding sharding;

  /** Who waits for the step in progress; not journaled (after a crash, their asks time out). */
  private final List<ActorRef<TransferReply>> awaiting = new ArrayList<>();

  /** The actor of the step in progress, for the item's events. */
  private String stepActor;

  private Transfer(
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      ActorRef<ClusterSharding.ShardCommand> shard,
      String transferId,
      Settings settings,
      Clock clock) {
    super(PersistenceId.of(ENTITY_KEY.name(), transferId));
    this.ctx = ctx;
    this.timers = timers;
    this.shard = shard;
    this.transferId = transferId;
    this.settings = settings;
    this.clock = clock;
    this.sharding = ClusterSharding.get(ctx.getSystem());
  }

  @Override
  public TransferState emptyState() {
    return TransferState.empty(transferId);
  }

  @Override
  public SignalHandler<TransferState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(
            RecoveryCompleted.instance(),
            state -> {
              // Finish the step the journal says was started.
              if (state.busy()) tell(state);
              settle(state);
            })
        .build();
  }

  @Override
  public CommandHandlerWithReply<Command, TransferEvent, TransferState> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Ship.class, this::ship)
        .onCommand(Receive.class, this::receive)
        .onCommand(Get.class, this::get)
        .onCommand(ItemAnswered.class, this::itemAnswered)
        .onCommand(Retry.class, this::retry)
        .onCommand(
            Tick.class,
            (s, tick) ->
                switch (tick) {
                  case IDLE -> idle(s);
                  case STOP -> Effect().stop().thenNoReply();
                })
        .build();
  }

  /** The request in one form, to tell a retry from another transfer under the same id. */
  static String fingerprint(String from, String to, String sku, long quantity) {
    return from + "\n" + to + "\n" + sku + "\n" + quantity;
  }

  private ReplyEffect<TransferEvent, TransferState> ship(TransferState s, Ship c) {
    String fingerprint = fingerprint(c.from(), c.to(), c.sku(), c.quantity());
    return switch (s.phase()) {
      case NONE -> {
        var asked =
            new ShipAsked(
                c.from(), c.to(), c.sku(), c.quantity(), fingerprint, c.actor(), clock.instant());
        yield Effect()
            .persist(asked)
            .thenRun(
                (TransferState after) -> {
                  awaiting.add(c.replyTo());
                  stepActor = c.actor();
                  tell(after);
                })
            .thenNoReply();
      }
      // one ship at a time: the second waits for the first's outcome
      case SHIPPING -> Effect().stash();
      default ->
          Objects.equals(s.fingerprint(), fingerprint)
              ? Effect().reply(c.replyTo(), view(s, false))
              : Effect()
                  .reply(
                      c.replyTo(),
                      Refused.of(
                          Rejection.IDEMPOTENCY_KEY_REUSED,
                          "transfer "
                              + transferId
                              + " was asked with other locations, SKU or quantity"));
    };
  }

  private ReplyEffect<TransferEvent, TransferState> receive(TransferState s, Receive c) {
    return switch (s.phase()) {
      case NONE -> Effect().reply(c.replyTo(), notFound());
      case SHIPPING, RECEIVING -> Effect().stash();
      case IN_TRANSIT -> {
        if (c.quantity() > s.quantity()) {
          yield Effect()
              .reply(
                  c.replyTo(),
                  Refused.of(
                      Rejection.MORE_THAN_SHIPPED,
                      "transfer " + transferId + " shipped " + s.quantity() + " units"));
        }
        yield Effect()
            .persist(new ReceiveAsked(c.quantity(), c.actor(), clock.instant()))
            .thenRun(
                (TransferState after) -> {
                  awaiting.add(c.replyTo());
                  stepActor = c.actor();
                  tell(after);
                })
            .thenNoReply();
      }
      case RECEIVED ->
          s.receivedQuantity() == c.quantity()
              ? Effect().reply(c.replyTo(), view(s, false))
              : Effect()
                  .reply(
                      c.replyTo(),
                      Refused.of(
                          Rejection.TRANSFER_RECEIVED,
                          "transfer "
                              + transferId
                              + " was received with "
                              + s.receivedQuantity()
                              + " units"));
    };
  }

  private ReplyEffect<TransferEvent, TransferState> get(TransferState s, Get c) {
    return switch (s.phase()) {
      case NONE -> Effect().reply(c.replyTo(), notFound());
      case SHIPPING -> Effect().stash();
      default -> Effect().reply(c.replyTo(), view(s, false));
    };
  }

  /** The step the state is in, or null at rest. */
  private static Step step(TransferState s) {
    return switch (s.phase()) {
      case SHIPPING -> Step.SHIP;
      case IN_TRANSIT -> s.announced() ? null : Step.ANNOUNCE;
      case RECEIVING -> s.announced() ? Step.RECEIVE : Step.ANNOUNCE;
      case NONE, RECEIVED -> null;
    };
  }

  private ReplyEffect<TransferEvent, TransferState> itemAnswered(TransferState s, ItemAnswered a) {
    if (a.step() != step(s)) return Effect().noReply();
    Instant now = clock.instant();
    if (a.reply() instanceof Unavailable) {
      timers.startSingleTimer(new Retry(a.step()), settings.retryBackoff());
      return Effect().noReply();
    }
    boolean done = a.reply() instanceof LevelReply;
    return switch (a.step()) {
      case SHIP -> {
        if (done) {
          yield Effect()
              .persist(new Shipped(now))
              .thenRun(
                  (TransferState after) -> {
                    answer(view(after, true));
                    tell(after);
                    settle(after);
                  })
              .thenNoReply()
              .thenUnstashAll();
        }
        Rejected refused = (Rejected) a.reply();
        yield Effect()
            .persist(new ShipRefused(now))
            .thenRun(
                (TransferState after) -> {
                  answer(new Refused(refused.reason(), refused.detail(), refused.available()));
                  settle(after);
                })
            .thenNoReply()
            .thenUnstashAll();
      }
      case ANNOUNCE -> {
        if (!done) yield stuck(s, a);
        yield Effect()
            .persist(new Announced(now))
            .thenRun(
                (TransferState after) -> {
                  tell(after);
                  settle(after);
                })
            .thenNoReply();
      }
      case RECEIVE -> {
        if (!done) yield stuck(s, a);
        yield Effect()
            .persist(new Received(now))
            .thenRun(
                (TransferState after) -> {
                  answer(view(after, false));
                  settle(after);
                })
            .thenNoReply()
            .thenUnstashAll();
      }
    };
  }

  /**
   * An item refused a step that its own rules let through (an id reused for something else there):
   * nothing to do but say so loudly; the step is tried again after the backoff in case an operator
   * fixed the cause.
   */
  private ReplyEffect<TransferEvent, TransferState> stuck(TransferState s, ItemAnswered a) {
    ctx.getLog()
        .error(
            "transfer {}: {} refused by {}: {}",
            transferId,
            a.step(),
            a.step() == Step.SHIP ? s.sending() : s.receiving(),
            a.reply());
    timers.startSingleTimer(new Retry(a.step()), settings.retryBackoff().multipliedBy(10));
    return Effect().noReply();
  }

  private ReplyEffect<TransferEvent, TransferState> retry(TransferState s, Retry r) {
    if (r.step() == step(s)) tell(s);
    return Effect().noReply();
  }

  private ReplyEffect<TransferEvent, TransferState> idle(TransferState s) {
    if (!s.busy() && awaiting.isEmpty()) {
      shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
    }
    return Effect().noReply();
  }

  /** At rest, a transfer passivates after the idle timeout; while a step runs, it stays. */
  private void settle(TransferState s) {
    if (s.busy()) timers.cancel(Tick.IDLE);
    else timers.startSingleTimer(Tick.IDLE, Tick.IDLE, settings.idleTimeout());
  }

  /** Tells the item of the current step what to do. */
  private void tell(TransferState s) {
    Step step = step(s);
    if (step == null) return;
    String actor = stepActor == null ? "system" : stepActor;
    StockItemId item = step == Step.SHIP ? s.sending() : s.receiving();
    StockRequest request =
        switch (step) {
          case SHIP -> new StockRequest.ShipTransfer(transferId, s.to(), s.quantity(), actor);
          case ANNOUNCE ->
              new StockRequest.RecordIncoming(
                  Supply.transferEntry(transferId),
                  s.quantity(),
                  s.shippedAt(),
                  "transfer from " + s.from(),
                  actor);
          case RECEIVE ->
              new StockRequest.ReceiveTransfer(transferId, s.from(), s.receivedQuantity(), actor);
        };
    // Past the ask's timeout the item drops the request undecided, so a retry never races it.
    Instant answerBy = clock.instant().plus(settings.itemTimeout());
    ctx.ask(
        StockReply.class,
        sharding.entityRefFor(StockItem.ENTITY_KEY, item.entityId()),
        settings.itemTimeout(),
        replyTo -> new StockItem.Submit(request, replyTo, answerBy),
        (reply, failure) ->
            new ItemAnswered(
                step,
                reply != null
                    ? reply
                    : new Unavailable(Unavailable.Reason.TIMEOUT, "no answer from " + item)));
  }

  private void answer(TransferReply reply) {
    awaiting.forEach(r -> r.tell(reply));
    awaiting.clear();
  }

  private View view(TransferState s, boolean created) {
    return new View(
        transferId,
        s.from(),
        s.to(),
        s.sku(),
        s.quantity(),
        s.phase() == Phase.RECEIVED ? "received" : "in-transit",
        s.phase() == Phase.RECEIVED ? s.receivedQuantity() : null,
        created);
  }

  private TransferReply notFound() {
    return Refused.of(Rejection.TRANSFER_NOT_FOUND, "no transfer " + transferId);
  }

  @Override
  public EventHandler<TransferState, TransferEvent> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(TransferState::apply);
  }
}
