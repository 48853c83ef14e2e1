package io.stockhold.reservation;

import io.stockhold.stock.StockItemId;

/** One line of a reservation: units of one stock item. */
public record ReservationLine(String location, String sku, long quantity) {
  public StockItemId item() {
    return new StockItemId(location, sku);
  }
}
