package io.stockhold.reservation;

import io.stockhold.stock.StockItemId;
import java.util.Optional;

/**
 * Reservation ids, routable without a lookup. A single-line reservation is one hold at one item:
 * {@code h~<location>~<sku>~<holdId>} ({@code ~} appears in neither identifier). A multi-line
 * reservation is a {@link Reservation} entity: {@code m~<key>}. Clients treat both as opaque.
 */
public final class ReservationIds {

  private static final String SINGLE_LINE = "h";
  private static final String MULTI_LINE = "m";
  private static final String KEY = "[A-Za-z0-9_-]{22}";

  /** Where a reservation id leads. */
  public sealed interface Route {}

  public record SingleLine(StockItemId item, String holdId) implements Route {}

  public record MultiLine(String key) implements Route {}

  private ReservationIds() {}

  public static String singleLine(StockItemId item, String holdId) {
    return SINGLE_LINE + "~" + item.location() + "~" + item.sku() + "~" + holdId;
  }

  public static String multiLine(String key) {
    return MULTI_LINE + "~" + key;
  }

  public static Optional<Route> parse(String reservationId) {
    String[] parts = reservationId.split("~", -1);
    if (parts.length == 2 && parts[0].equals(MULTI_LINE) && parts[1].matches(KEY)) {
      return Optional.of(new MultiLine(parts[1]));
    }
    if (parts.length != 4 || !parts[0].equals(SINGLE_LINE) || !parts[3].matches(KEY)) {
      return Optional.empty();
    }
    if (!StockItemId.isLocation(parts[1]) || !StockItemId.isSku(parts[2])) return Optional.empty();
    return Optional.of(new SingleLine(new StockItemId(parts[1], parts[2]), parts[3]));
  }
}
