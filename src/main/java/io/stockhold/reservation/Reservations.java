package io.stockhold.reservation;

import io.stockhold.reservation.ReservationReply.NotNow;
import io.stockhold.stock.StockReply.Unavailable;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/** How transports talk to multi-line reservations, wherever they live in the cluster. */
public final class Reservations {

  private final ClusterSharding sharding;
  private final Duration askTimeout;

  /** {@code askTimeout} must cover two journal writes and the slowest item's answer. */
  public Reservations(ActorSystem<?> system, Duration askTimeout) {
    this.sharding = ClusterSharding.get(system);
    this.askTimeout = askTimeout;
  }

  public CompletionStage<ReservationReply> create(
      String key,
      String channel,
      List<ReservationLine> lines,
      long ttlSeconds,
      String fingerprint,
      String actor,
      String customerId) {
    return ask(
        key,
        r -> new Reservation.Create(channel, lines, ttlSeconds, fingerprint, actor, customerId, r));
  }

  public CompletionStage<ReservationReply> get(String key) {
    return ask(key, Reservation.Get::new);
  }

  public CompletionStage<ReservationReply> commit(String key) {
    return ask(key, Reservation.Commit::new);
  }

  public CompletionStage<ReservationReply> release(String key) {
    return ask(key, Reservation.Release::new);
  }

  public CompletionStage<ReservationReply> extend(String key, long ttlSeconds) {
    return ask(key, r -> new Reservation.Extend(ttlSeconds, r));
  }

  private CompletionStage<ReservationReply> ask(
      String key, Function<ActorRef<ReservationReply>, Reservation.Command> message) {
    return sharding
        .entityRefFor(Reservation.ENTITY_KEY, key)
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
                    "reservation "
                        + key
                        + " did not answer within "
                        + askTimeout.toMillis()
                        + " ms; the outcome is unknown, retry with the same idempotency key");
              }
              throw new CompletionException(cause);
            });
  }
}
