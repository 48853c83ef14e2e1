package io.stockhold.reservation;

import io.stockhold.stock.StockItemId;
import java.util.Optional;

/**
 * Reservation ids. A single-line reservation id names its stock item and hold, so any node can
 * route it without a lookup: {@code h~<location>~<sku>~<holdId>} ({@code ~} appears in neither
 * identifier). Clients treat it as opaque.
 */
public final class ReservationIds {

  private static final String SINGLE_LINE = "h";

  public record SingleLine(StockItemId item, String holdId) {}

  private ReservationIds() {}

  public static String singleLine(StockItemId item, String holdId) {
    return SINGLE_LINE + "~" + item.location() + "~" + item.sku() + "~" + holdId;
  }

  public static Optional<SingleLine> parse(String reservationId) {
    String[] parts = reservationId.split("~", -1);
    if (parts.length != 4 || !parts[0].equals(SINGLE_LINE) || !parts[3].matches("[A-Za-z0-9_-]{22}")) {
      return Optional.empty();
    }
    if (!StockItemId.isLocation(parts[1]) || !StockItemId.isSku(parts[2])) return Optional.empty();
    return Optional.of(new SingleLine(new StockItemId(parts[1], parts[2]), parts[3]));
  }
}
