package io.stockhold.stock;

import com.typesafe.config.ConfigFactory;
import io.stockhold.stock.StockState.BatchDecision;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.SnapshotProtocol;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.apache.pekko.persistence.typed.DeleteSnapshotsCompleted;
import org.apache.pekko.persistence.typed.DeleteSnapshotsFailed;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.SnapshotCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The journaled side of a stock item: the child of its {@link StockItem} gate. It takes one batch
 * of requests at a time, decides them against its state, persists the resulting events in one
 * atomic write and answers the gate once, after the write.
 *
 * <p>Snapshots: a snapshot carries every active hold and every remembered outcome, so on a busy
 * item it is large, and the batch that triggers it is answered only once it is stored. The ledger
 * therefore snapshots after {@code max(snapshot-every, entries in the state)} events rather than at
 * a fixed interval: each event then pays for about one snapshot entry however many holds the item
 * carries, and a recovery replays fewer events than the item's state has entries (or fewer than
 * {@code snapshot-every}). Once a snapshot is stored, the older ones are deleted.
 */
public final class StockLedger
    extends EventSourcedBehaviorWithEnforcedReplies<StockLedger.Command, StockEvent, StockState> {

  /** Only the gate talks to its ledger, on the same node. */
  public sealed interface Command extends NoSerializationVerificationNeeded {}

  /**
   * Decide {@code requests} in order at {@code now}; an empty batch just expires what is due (a
   * bounded number of holds per write).
   */
  public record Decide(List<StockRequest> requests, Instant now, ActorRef<Decided> replyTo)
      implements Command {}

  /**
   * One reply per request, and the state after the batch's events are durable; {@code sequenceNr}
   * is that of the item's latest event, which orders the levels the item publishes.
   */
  public record Decided(List<StockReply> replies, StockState state, long sequenceNr)
      implements NoSerializationVerificationNeeded {}

  public static PersistenceId persistenceId(StockItemId id) {
    return PersistenceId.of(StockItem.ENTITY_KEY.name(), id.entityId());
  }

  public static Behavior<Command> create(
      StockItemId id, int snapshotEvery, int tagCount, int maxExpiries) {
    return Behaviors.setup(ctx -> new StockLedger(ctx, id, snapshotEvery, tagCount, maxExpiries));
  }

  private final ActorContext<Command> ctx;
  private final StockItemId id;
  private final int snapshotEvery;
  private final int maxExpiries;
  private final Set<String> tags;

  /** The sequence number of the newest snapshot: recovered from, or stored since. */
  private long snapshotAt;

  private boolean recovered;

  /** Events replayed on top of the snapshot the ledger recovered from. */
  private long replayed;

  /** When recovery began (System.nanoTime), to tell operators about a slow one. */
  private final long recoveryStarted = System.nanoTime();

  /** When the snapshot recovered from was read, and how many entries it carried. */
  private long snapshotRead;

  private int snapshotEntries;

  private StockLedger(
      ActorContext<Command> ctx, StockItemId id, int snapshotEvery, int tagCount, int maxExpiries) {
    super(persistenceId(id));
    this.ctx = ctx;
    this.id = id;
    this.snapshotEvery = snapshotEvery;
    this.maxExpiries = maxExpiries;
    this.tags = Set.of(StockTags.tagFor(persistenceId(id).id(), tagCount));
  }

  /** Every event of an item carries its slice's tag, for the projections. */
  @Override
  public Set<String> tagsFor(StockEvent event) {
    return tags;
  }

  @Override
  public StockState emptyState() {
    return StockState.empty(id);
  }

  @Override
  public CommandHandlerWithReply<Command, StockEvent, StockState> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Decide.class, this::decide)
        .build();
  }

  private ReplyEffect<StockEvent, StockState> decide(StockState state, Decide cmd) {
    BatchDecision decision = state.decideBatch(cmd.requests(), cmd.now(), maxExpiries);
    if (decision.events().isEmpty()) {
      return Effect()
          .reply(cmd.replyTo(), new Decided(decision.replies(), state, lastSequenceNumber(ctx)));
    }
    return Effect()
        .persist(decision.events())
        .thenReply(
            cmd.replyTo(),
            after -> new Decided(decision.replies(), after, lastSequenceNumber(ctx)));
  }

  @Override
  public EventHandler<StockState, StockEvent> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onAnyEvent(
            (state, event) -> {
              if (!recovered) replayed++;
              return state.apply(event);
            });
  }

  /**
   * Asked for the events of a write until it first says yes; the snapshot is then taken after the
   * write's last event, and the next write waits until it is stored. A snapshot that failed is
   * tried again at the next write.
   */
  @Override
  public boolean shouldSnapshot(StockState state, StockEvent event, long sequenceNr) {
    return sequenceNr - snapshotAt >= Math.max(snapshotEvery, state.snapshotEntries());
  }

  @Override
  public SignalHandler<StockState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(
            RecoveryCompleted.instance(),
            state -> {
              recovered = true;
              snapshotAt = lastSequenceNumber(ctx) - replayed;
              logSlowRecovery(state);
            })
        .onSignal(
            SnapshotCompleted.class,
            (state, done) -> {
              snapshotAt = done.metadata().sequenceNr();
              deleteSnapshotsBefore(snapshotAt);
            })
        .onSignal(DeleteSnapshotsCompleted.class, (state, done) -> {})
        .onSignal(
            DeleteSnapshotsFailed.class,
            (state, failed) ->
                ctx.getLog()
                    .warn(
                        "stock item {}: older snapshots not deleted ({}); the next snapshot tries"
                            + " again",
                        id,
                        failed.failure().getMessage()))
        .build();
  }

  /**
   * A recovery that keeps an item's callers waiting is worth a line: how much it read, so a slow
   * one can be told apart from a busy database.
   */
  private void logSlowRecovery(StockState state) {
    long now = System.nanoTime();
    long millis = (now - recoveryStarted) / 1_000_000;
    if (millis < SLOW_RECOVERY_MILLIS) return;
    long replayMillis = (now - (snapshotRead == 0 ? recoveryStarted : snapshotRead)) / 1_000_000;
    ctx.getLog()
        .info(
            "stock item {} recovered in {} ms: snapshot at event {} with {} entries read in {} ms,"
                + " {} events replayed after it in {} ms; {} holds open",
            id,
            millis,
            snapshotAt,
            snapshotEntries,
            millis - replayMillis,
            replayed,
            replayMillis,
            state.holds().size());
  }

  private static final long SLOW_RECOVERY_MILLIS = 1_000;

  /**
   * Pekko deletes old snapshots only for its fixed-interval retention, which cannot follow the size
   * of the state; so the ledger asks the snapshot store itself, with the message that retention
   * sends (Pekko's internal protocol: recheck on a Pekko upgrade). The store's answer comes back to
   * the ledger as a {@code DeleteSnapshots…} signal.
   */
  private void deleteSnapshotsBefore(long sequenceNr) {
    var classic = Adapter.toClassic(ctx.getSystem());
    Persistence.get(classic)
        .snapshotStoreFor(snapshotPluginId(), ConfigFactory.empty())
        .tell(
            new SnapshotProtocol.DeleteSnapshots(
                persistenceId().id(),
                SnapshotSelectionCriteria.create(sequenceNr - 1, Long.MAX_VALUE)),
            Adapter.toClassic(ctx.getSelf()));
  }

  @Override
  public SnapshotAdapter<StockState> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(StockState state) {
        return StockSnapshot.of(state);
      }

      @Override
      public StockState fromJournal(Object from) {
        StockState state = ((StockSnapshot) from).toState();
        snapshotRead = System.nanoTime();
        snapshotEntries = state.snapshotEntries();
        return state;
      }
    };
  }
}
