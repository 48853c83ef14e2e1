package io.stockhold.transfer;

import io.stockhold.CborSerializable;
import io.stockhold.stock.StockItemId;
import io.stockhold.transfer.TransferEvent.Announced;
import io.stockhold.transfer.TransferEvent.ReceiveAsked;
import io.stockhold.transfer.TransferEvent.Received;
import io.stockhold.transfer.TransferEvent.ShipAsked;
import io.stockhold.transfer.TransferEvent.ShipRefused;
import io.stockhold.transfer.TransferEvent.Shipped;
import java.time.Instant;

/**
 * How far a transfer got. {@code receivedQuantity} is set once a receipt was asked; {@code
 * announced}: the receiving item knows the units as incoming, expected from {@code shippedAt} on.
 */
public record TransferState(
    String transferId,
    Phase phase,
    String from,
    String to,
    String sku,
    long quantity,
    String fingerprint,
    boolean announced,
    Long receivedQuantity,
    Instant shippedAt)
    implements CborSerializable {

  public enum Phase {
    /** Never asked, or refused: there is no transfer (yet). */
    NONE,
    /** The sending item is being asked to ship. */
    SHIPPING,
    /** Shipped: the units are on their way (announced at the receiving item, or being). */
    IN_TRANSIT,
    /** The receiving item is being told what arrived. */
    RECEIVING,
    RECEIVED
  }

  public static TransferState empty(String transferId) {
    return new TransferState(transferId, Phase.NONE, null, null, null, 0, null, false, null, null);
  }

  public StockItemId sending() {
    return new StockItemId(from, sku);
  }

  public StockItemId receiving() {
    return new StockItemId(to, sku);
  }

  /** Whether a step is unfinished: an item still has to be told something. */
  public boolean busy() {
    return phase == Phase.SHIPPING
        || phase == Phase.RECEIVING
        || (phase == Phase.IN_TRANSIT && !announced);
  }

  public TransferState apply(TransferEvent event) {
    return switch (event) {
      case ShipAsked e ->
          new TransferState(
              transferId,
              Phase.SHIPPING,
              e.from(),
              e.to(),
              e.sku(),
              e.quantity(),
              e.fingerprint(),
              false,
              null,
              null);
      case Shipped e -> with(Phase.IN_TRANSIT, false, null, e.at());
      case ShipRefused e -> with(Phase.NONE, false, null, null);
      case Announced e -> with(phase, true, receivedQuantity, shippedAt);
      case ReceiveAsked e -> with(Phase.RECEIVING, announced, e.quantity(), shippedAt);
      case Received e -> with(Phase.RECEIVED, true, receivedQuantity, shippedAt);
    };
  }

  private TransferState with(
      Phase phase, boolean announced, Long receivedQuantity, Instant shippedAt) {
    return new TransferState(
        transferId,
        phase,
        from,
        to,
        sku,
        quantity,
        fingerprint,
        announced,
        receivedQuantity,
        shippedAt);
  }
}
