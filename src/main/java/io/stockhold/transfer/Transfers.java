package io.stockhold.transfer;

import io.stockhold.stock.StockReply.Unavailable;
import io.stockhold.transfer.TransferReply.NotNow;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/** How transports talk to transfers, wherever they live in the cluster. */
public final class Transfers {

  /**
   * What a transfer id may look like: the shop's own transfer number. It names the transfer's
   * incoming entry at the receiving location too.
   */
  public static final Pattern TRANSFER_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,99}");

  private final ClusterSharding sharding;
  private final Duration askTimeout;

  /** {@code askTimeout} must cover two journal writes and an item's answer. */
  public Transfers(ActorSystem<?> system, Duration askTimeout) {
    this.sharding = ClusterSharding.get(system);
    this.askTimeout = askTimeout;
  }

  public CompletionStage<TransferReply> ship(
      String transferId, String from, String to, String sku, long quantity, String actor) {
    return ask(transferId, r -> new Transfer.Ship(from, to, sku, quantity, actor, r));
  }

  public CompletionStage<TransferReply> receive(String transferId, long quantity, String actor) {
    return ask(transferId, r -> new Transfer.Receive(quantity, actor, r));
  }

  public CompletionStage<TransferReply> get(String transferId) {
    return ask(transferId, Transfer.Get::new);
  }

  private CompletionStage<TransferReply> ask(
      String transferId, Function<ActorRef<TransferReply>, Transfer.Command> message) {
    return sharding
        .entityRefFor(Transfer.ENTITY_KEY, transferId)
        .ask(message::apply, askTimeout)
        .exceptionally(
            failure -> {
              Throwable cause =
                  failure instanceof CompletionException c && c.getCause() != null
                      ? c.getCause()
                      : failure;
              if (cause instanceof TimeoutException) {
                return new NotNow(
                    Unavailable.Reason.TIMEOUT,
                    "transfer "
                        + transferId
                        + " did not answer within "
                        + askTimeout.toMillis()
                        + " ms; it goes on, and a retry with the same id learns how it ended");
              }
              throw new CompletionException(cause);
            });
  }
}
