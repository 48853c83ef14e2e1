package io.stockhold.reservation;

import io.stockhold.CborSerializable;
import io.stockhold.reservation.ReservationReply.ShortLine;
import java.time.Instant;
import java.util.List;

/**
 * What a multi-line reservation decided. Each decision is journaled before its item requests are
 * sent, so a restarted reservation knows what to finish. Class names are serializer manifests.
 */
public sealed interface ReservationEvent extends CborSerializable {

  Instant occurredAt();

  /** Attempt {@code attempt} to hold every line until {@code expiresAt} began. */
  /**
   * {@code actor}: who asked for the reservation and owns it (null in events journaled before keys
   * existed: the master's, then); {@code customerId}: whom the units are for (null: not said).
   */
  record HoldsRequested(
      int attempt,
      String channel,
      List<ReservationLine> lines,
      Instant expiresAt,
      String fingerprint,
      Instant occurredAt,
      String actor,
      String customerId)
      implements ReservationEvent {
    public HoldsRequested(
        int attempt,
        String channel,
        List<ReservationLine> lines,
        Instant expiresAt,
        String fingerprint,
        Instant occurredAt,
        String actor) {
      this(attempt, channel, lines, expiresAt, fingerprint, occurredAt, actor, null);
    }

    public HoldsRequested(
        int attempt,
        String channel,
        List<ReservationLine> lines,
        Instant expiresAt,
        String fingerprint,
        Instant occurredAt) {
      this(attempt, channel, lines, expiresAt, fingerprint, occurredAt, null, null);
    }
  }

  /** Every line is held. */
  record AllHeld(Instant occurredAt) implements ReservationEvent {}

  /**
   * Every line is held or waits for stock (a backorder), and at least one waits: the reservation
   * waits, without a deadline, until every line is held.
   */
  record SomeWaiting(Instant occurredAt) implements ReservationEvent {}

  /** The last waiting line was filled: the reservation is held until {@code expiresAt}. */
  record AllFilled(Instant expiresAt, Instant occurredAt) implements ReservationEvent {}

  /** A line could not be held: the attempt is given up and its holds are being released. */
  record HoldsRefused(List<ShortLine> shortLines, boolean unavailable, Instant occurredAt)
      implements ReservationEvent {}

  /** The refused attempt's holds are all released. */
  record HoldsReturned(Instant occurredAt) implements ReservationEvent {}

  record DeadlineExtended(Instant expiresAt, Instant occurredAt) implements ReservationEvent {}

  /** Commit, release or expiry was decided; the lines are being told. */
  record Finishing(ReservationState.End end, Instant occurredAt) implements ReservationEvent {}

  /** Every line has confirmed the end. */
  record Finished(Instant occurredAt) implements ReservationEvent {}
}
