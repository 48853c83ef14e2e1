package io.stockhold.transfer;

import io.stockhold.CborSerializable;
import java.time.Instant;

/**
 * What happened to a transfer, in its own journal. The items' journals say what happened to the
 * units ({@code TransferShipped} at the sending location, {@code TransferReceived} at the receiving
 * one); these say how far the transfer got, so that a crash between the two items resumes it.
 */
public sealed interface TransferEvent extends CborSerializable {

  /** The sending item was asked to ship. {@code fingerprint}: the request, to tell a retry. */
  record ShipAsked(
      String from,
      String to,
      String sku,
      long quantity,
      String fingerprint,
      String actor,
      Instant at)
      implements TransferEvent {}

  /** The sending item shipped: its units left. */
  record Shipped(Instant at) implements TransferEvent {}

  /**
   * The sending item refused (too few units free): nothing left; the transfer may be asked again.
   */
  record ShipRefused(Instant at) implements TransferEvent {}

  /** The receiving item knows the units as incoming. */
  record Announced(Instant at) implements TransferEvent {}

  /** {@code quantity} units were said to have arrived; the receiving item is being told. */
  record ReceiveAsked(long quantity, String actor, Instant at) implements TransferEvent {}

  /** The receiving item put them on hand. */
  record Received(Instant at) implements TransferEvent {}
}
