package io.stockhold.stock;

import io.stockhold.stock.StockReply.Unavailable;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * How the rest of Stockhold talks to stock items wherever they live in the cluster. An ask that
 * gets no answer in time becomes {@code Unavailable(TIMEOUT)}: its outcome is unknown.
 */
public final class StockItems {

  private final ClusterSharding sharding;
  private final Duration askTimeout;

  public StockItems(ActorSystem<?> system, Duration askTimeout) {
    this.sharding = ClusterSharding.get(system);
    this.askTimeout = askTimeout;
  }

  public CompletionStage<StockReply> submit(StockItemId id, StockRequest request) {
    // The ask starts now; the item stops deciding the request when it ends.
    Instant answerBy = Instant.now().plus(askTimeout);
    return ask(id, replyTo -> new StockItem.Submit(request, replyTo, answerBy));
  }

  public CompletionStage<StockReply> level(StockItemId id) {
    return ask(id, StockItem.GetLevel::new);
  }

  public CompletionStage<StockReply> hold(StockItemId id, String holdId) {
    return ask(id, replyTo -> new StockItem.GetHold(holdId, replyTo));
  }

  /** The durable level and its sequence number, for a watcher to start from. */
  public CompletionStage<LevelUpdate> levelUpdate(StockItemId id) {
    return sharding
        .entityRefFor(StockItem.ENTITY_KEY, id.entityId())
        .ask(StockItem.GetLevelUpdate::new, askTimeout);
  }

  private CompletionStage<StockReply> ask(
      StockItemId id, Function<ActorRef<StockReply>, StockItem.Command> message) {
    return sharding
        .entityRefFor(StockItem.ENTITY_KEY, id.entityId())
        .ask(message::apply, askTimeout)
        .exceptionally(
            failure -> {
              Throwable cause =
                  failure instanceof CompletionException c && c.getCause() != null
                      ? c.getCause()
                      : failure;
              if (cause instanceof TimeoutException) {
                return new Unavailable(
                    Unavailable.Reason.TIMEOUT,
                    "stock item "
                        + id
                        + " did not answer within "
                        + askTimeout.toMillis()
                        + " ms; the outcome is unknown, retry with the same idempotency key");
              }
              throw new CompletionException(cause);
            });
  }
}
