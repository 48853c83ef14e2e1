package io.stockhold.reservation;

import io.stockhold.stock.StockItemId;

/**
 * One line of a reservation: units of one stock item ({@code location}), or, as asked, of a pool
 * ({@code pool}, then {@code location} is null until the line is allocated). A line allocated from
 * a pool keeps the pool's name, so the reservation shows it as the one line it was asked as. {@code
 * split}: whether a pool line may take its units from several locations (null: yes).
 */
public record ReservationLine(
    String location, String sku, long quantity, String pool, Boolean split) {

  public ReservationLine(String location, String sku, long quantity) {
    this(location, sku, quantity, null, null);
  }

  /** A line naming a pool, as asked. */
  public static ReservationLine fromPool(String pool, String sku, long quantity, Boolean split) {
    return new ReservationLine(null, sku, quantity, pool, split);
  }

  /** Whether this line still has to be allocated to locations. */
  public boolean unallocated() {
    return location == null;
  }

  public boolean maySplit() {
    return split == null || split;
  }

  public StockItemId item() {
    return new StockItemId(location, sku);
  }
}
