package io.stockhold.stock;

import io.stockhold.CborSerializable;

/**
 * A stock item's quantities as of its event {@code sequenceNr}, published to whoever watches its
 * location. Watchers keep the update with the highest {@code sequenceNr} per item, so updates
 * arriving by different paths (a read, the topic) settle on the latest. {@code sequenceNr} 0 is an
 * item that was never stocked. {@code incoming}: units on their way; {@code backordered}: units
 * waiting holds claim.
 */
public record LevelUpdate(
    String location,
    String sku,
    long onHand,
    long reserved,
    long available,
    long sequenceNr,
    long incoming,
    long backordered)
    implements CborSerializable {

  public LevelUpdate(
      String location, String sku, long onHand, long reserved, long available, long sequenceNr) {
    this(location, sku, onHand, reserved, available, sequenceNr, 0, 0);
  }

  public StockItemId item() {
    return new StockItemId(location, sku);
  }
}
