package io.stockhold.stock;

import io.stockhold.stock.StockState.BatchDecision;
import java.time.Instant;
import java.util.List;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The journaled side of a stock item: the child of its {@link StockItem} gate. It takes one batch
 * of requests at a time, decides them against its state, persists the resulting events in one
 * atomic write and answers the gate once, after the write.
 */
public final class StockLedger
    extends EventSourcedBehaviorWithEnforcedReplies<StockLedger.Command, StockEvent, StockState> {

  /** Only the gate talks to its ledger, on the same node. */
  public sealed interface Command extends NoSerializationVerificationNeeded {}

  /** Decide {@code requests} in order at {@code now}; an empty batch just expires what is due. */
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

  public static Behavior<Command> create(StockItemId id, int snapshotEvery, int tagCount) {
    return Behaviors.setup(ctx -> new StockLedger(ctx, id, snapshotEvery, tagCount));
  }

  private final ActorContext<Command> ctx;
  private final StockItemId id;
  private final int snapshotEvery;
  private final java.util.Set<String> tags;

  private StockLedger(ActorContext<Command> ctx, StockItemId id, int snapshotEvery, int tagCount) {
    super(persistenceId(id));
    this.ctx = ctx;
    this.id = id;
    this.snapshotEvery = snapshotEvery;
    this.tags = java.util.Set.of(StockTags.tagFor(persistenceId(id).id(), tagCount));
  }

  /** Every event of an item carries its slice's tag, for the projections. */
  @Override
  public java.util.Set<String> tagsFor(StockEvent event) {
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
    BatchDecision decision = state.decideBatch(cmd.requests(), cmd.now());
    if (decision.events().isEmpty()) {
      return Effect().reply(cmd.replyTo(), new Decided(decision.replies(), state, lastSequenceNumber(ctx)));
    }
    return Effect()
        .persist(decision.events())
        .thenReply(cmd.replyTo(), after -> new Decided(decision.replies(), after, lastSequenceNumber(ctx)));
  }

  @Override
  public EventHandler<StockState, StockEvent> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(StockState::apply);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(snapshotEvery, 2);
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
        return ((StockSnapshot) from).toState();
      }
    };
  }
}
