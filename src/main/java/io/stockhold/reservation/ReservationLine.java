package io.stockhold.reservation;

import io.stockhold.stock.StockItemId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One line of a reservation: units of one stock item ({@code location}), or, as asked, of a pool
 * ({@code pool}, then {@code location} is null until the line is allocated). A line allocated from
 * a pool keeps the pool's name, so the reservation shows it as the one line it was asked as. {@code
 * split}: whether a pool line may take its units from several locations (null: yes). {@code
 * allowBackorder}: whether the line may wait for units the item does not have (null: no). {@code
 * kit}: the kit whose component this line holds (null: the line was asked as it is).
 */
public record ReservationLine(
    String location,
    String sku,
    long quantity,
    String pool,
    Boolean split,
    Boolean allowBackorder,
    String kit) {

  public ReservationLine(
      String location,
      String sku,
      long quantity,
      String pool,
      Boolean split,
      Boolean allowBackorder) {
    this(location, sku, quantity, pool, split, allowBackorder, null);
  }

  public ReservationLine(String location, String sku, long quantity, String pool, Boolean split) {
    this(location, sku, quantity, pool, split, null, null);
  }

  public ReservationLine(String location, String sku, long quantity) {
    this(location, sku, quantity, null, null, null, null);
  }

  /**
   * This line's units of {@code component}, as a line of its own at the same place, marked as
   * coming from the kit this line named.
   */
  public ReservationLine component(Kit.Component component) {
    return new ReservationLine(
        location, component.sku(), quantity * component.quantity(), pool, split, null, sku);
  }

  /**
   * This line and {@code other} (the same SKU at the same place) as one: their units together, of
   * their kit when both hold the same kit's component, of none otherwise.
   */
  ReservationLine and(ReservationLine other) {
    String together = java.util.Objects.equals(kit, other.kit) ? kit : null;
    return new ReservationLine(
        location, sku, quantity + other.quantity, pool, split, allowBackorder, together);
  }

  /** Where the line takes its units: a location or a pool. */
  String place() {
    return pool != null ? "pool:" + pool : location;
  }

  /** A location line that may wait for stock. */
  public static ReservationLine backorderable(String location, String sku, long quantity) {
    return new ReservationLine(location, sku, quantity, null, null, true);
  }

  public boolean mayWait() {
    return allowBackorder != null && allowBackorder;
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

  /**
   * A line as its caller asked it: of a location, or of a pool with where its units came from.
   * {@code allowBackorder}: true when the line may wait for stock, null otherwise; {@code kit}: the
   * kit it holds a component of.
   */
  public record Asked(
      String location,
      String pool,
      String sku,
      long quantity,
      List<Allocation> allocations,
      Boolean allowBackorder,
      String kit) {}

  /** Units of a pool line that one location gives. */
  public record Allocation(String location, long quantity) {}

  /**
   * {@code held} as asked: each location line as it is, the lines allocated from one pool line (one
   * per location) back into that line, in the order first seen.
   */
  public static List<Asked> asAsked(List<ReservationLine> held) {
    Map<String, List<ReservationLine>> byPoolLine = new LinkedHashMap<>();
    List<Object> order = new ArrayList<>();
    for (ReservationLine l : held) {
      if (l.pool() == null) {
        order.add(l);
        continue;
      }
      String key = l.pool() + "/" + l.sku();
      if (!byPoolLine.containsKey(key)) order.add(key);
      byPoolLine.computeIfAbsent(key, k -> new ArrayList<>()).add(l);
    }
    List<Asked> out = new ArrayList<>();
    for (Object o : order) {
      if (o instanceof ReservationLine l) {
        out.add(
            new Asked(
                l.location(),
                null,
                l.sku(),
                l.quantity(),
                null,
                l.mayWait() ? true : null,
                l.kit()));
        continue;
      }
      List<ReservationLine> parts = byPoolLine.get((String) o);
      out.add(
          new Asked(
              null,
              parts.get(0).pool(),
              parts.get(0).sku(),
              parts.stream().mapToLong(ReservationLine::quantity).sum(),
              parts.stream().map(p -> new Allocation(p.location(), p.quantity())).toList(),
              null,
              parts.get(0).kit()));
    }
    return out;
  }
}
