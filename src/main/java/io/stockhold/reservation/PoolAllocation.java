package io.stockhold.reservation;

import io.stockhold.reservation.ReservationReply.ShortLine;
import io.stockhold.stock.StockItemId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a reservation's pool lines into lines of locations, from what each location's item says it
 * has: the first location in the pool's order that has the whole line, else (unless the line says
 * {@code split: false}) as many units as each has, in that order, until the line is filled. Lines
 * are allocated in the order asked, each from what the earlier ones left, so two lines of one cart
 * never count the same unit twice. Pure: the items' answers come in, the lines go out.
 */
public final class PoolAllocation {

  private PoolAllocation() {}

  /**
   * The lines to hold: every line of a location as it was, every pool line as one line per location
   * giving at least one unit (each carrying the pool's name); or, when a pool line cannot be
   * filled, those pool lines with what their pool had.
   */
  public sealed interface Result {}

  public record Allocated(List<ReservationLine> lines) implements Result {}

  public record Short(List<ShortLine> lines) implements Result {}

  /**
   * {@code pools}: every pool the lines name; {@code available}: what each item of those pools said
   * it has (an item missing or never stocked has nothing).
   */
  public static Result allocate(
      List<ReservationLine> asked, Map<String, Pool> pools, Map<StockItemId, Long> available) {
    Map<StockItemId, Long> left = new HashMap<>(available);
    List<ReservationLine> lines = new ArrayList<>();
    List<ShortLine> shortLines = new ArrayList<>();
    for (ReservationLine line : asked) {
      if (!line.unallocated()) {
        left.merge(line.item(), -line.quantity(), Long::sum);
        lines.add(line);
        continue;
      }
      Pool pool = pools.get(line.pool());
      List<ReservationLine> taken = take(line, pool, left);
      if (taken == null) {
        long total = 0;
        for (String location : pool.locations()) {
          total += Math.max(0, left.getOrDefault(new StockItemId(location, line.sku()), 0L));
        }
        shortLines.add(ShortLine.ofPool(line.pool(), line.sku(), line.quantity(), total));
        continue;
      }
      for (ReservationLine t : taken) left.merge(t.item(), -t.quantity(), Long::sum);
      lines.addAll(taken);
    }
    return shortLines.isEmpty() ? new Allocated(lines) : new Short(shortLines);
  }

  /** Where {@code line}'s units come from, or null when the pool cannot give them. */
  private static List<ReservationLine> take(
      ReservationLine line, Pool pool, Map<StockItemId, Long> left) {
    for (String location : pool.locations()) {
      if (left.getOrDefault(new StockItemId(location, line.sku()), 0L) >= line.quantity()) {
        return List.of(allocated(line, location, line.quantity()));
      }
    }
    if (!line.maySplit()) return null;
    List<ReservationLine> parts = new ArrayList<>();
    long needed = line.quantity();
    for (String location : pool.locations()) {
      long has = left.getOrDefault(new StockItemId(location, line.sku()), 0L);
      if (has <= 0) continue;
      long part = Math.min(has, needed);
      parts.add(allocated(line, location, part));
      needed -= part;
      if (needed == 0) return parts;
    }
    return null;
  }

  private static ReservationLine allocated(ReservationLine line, String location, long quantity) {
    return new ReservationLine(location, line.sku(), quantity, line.pool(), null, null, line.kit());
  }
}
