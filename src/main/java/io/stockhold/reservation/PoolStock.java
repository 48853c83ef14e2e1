package io.stockhold.reservation;

import io.stockhold.stock.StockItemId;
import io.stockhold.stock.StockItems;
import io.stockhold.stock.StockReply;
import io.stockhold.stock.StockReply.Level;
import io.stockhold.stock.StockReply.LevelReply;
import io.stockhold.stock.StockState;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * What a pool's locations have, asked of the items themselves (never of the read model, which may
 * trail them): for allocating pool lines and for {@code GET /v1/pools/{pool}/stock/{sku}}.
 */
public final class PoolStock {

  /** One location's share of a pool's stock. */
  public record AtLocation(String location, long available) {}

  /** A pool's stock of one SKU: the sum, and each location's. */
  public record Summary(String pool, String sku, long available, List<AtLocation> locations) {}

  private final StockItems items;

  public PoolStock(StockItems items) {
    this.items = items;
  }

  /**
   * Each location's available units of {@code sku}, in the pool's order: for {@code channel}, or
   * (null) for anyone, units kept for channels included.
   */
  public CompletionStage<Summary> of(Pool pool, String sku, String channel) {
    List<StockItemId> items = new ArrayList<>();
    for (String location : pool.locations()) items.add(new StockItemId(location, sku));
    return availableAt(items, channel)
        .thenApply(
            available -> {
              List<AtLocation> locations = new ArrayList<>();
              available.forEach(
                  (item, units) -> locations.add(new AtLocation(item.location(), units)));
              long total = locations.stream().mapToLong(AtLocation::available).sum();
              return new Summary(pool.poolId(), sku, total, List.copyOf(locations));
            });
  }

  /** What every item a pool line could take from has for {@code channel}. */
  public CompletionStage<Map<StockItemId, Long>> forLines(
      List<ReservationLine> lines, Map<String, Pool> pools, String channel) {
    Set<StockItemId> wanted = new LinkedHashSet<>();
    for (ReservationLine line : lines) {
      if (!line.unallocated()) continue;
      for (String location : pools.get(line.pool()).locations()) {
        wanted.add(new StockItemId(location, line.sku()));
      }
    }
    return availableAt(wanted, channel);
  }

  /** Asks every item at once; the answers in the order given. */
  private CompletionStage<Map<StockItemId, Long>> availableAt(
      Collection<StockItemId> wanted, String channel) {
    Map<StockItemId, CompletableFuture<Long>> asked = new LinkedHashMap<>();
    for (StockItemId item : wanted) asked.put(item, available(item, channel));
    return CompletableFuture.allOf(asked.values().toArray(CompletableFuture[]::new))
        .thenApply(
            done -> {
              Map<StockItemId, Long> answers = new LinkedHashMap<>();
              asked.forEach((item, units) -> answers.put(item, units.join()));
              return answers;
            });
  }

  /**
   * The units {@code channel} may take at one item now; an item never stocked, or one that does not
   * answer in time, has none to offer.
   */
  private CompletableFuture<Long> available(StockItemId item, String channel) {
    return items
        .level(item)
        .thenApply(
            (StockReply reply) ->
                reply instanceof LevelReply l ? forChannel(l.level(), channel) : 0L)
        .exceptionally(failed -> 0L)
        .toCompletableFuture();
  }

  private static long forChannel(Level level, String channel) {
    Map<String, Long> byChannel = level.availableByChannel();
    if (channel == null || byChannel.isEmpty()) return level.available();
    Long own = byChannel.get(channel);
    return own != null ? own : byChannel.getOrDefault(StockState.OTHER_CHANNELS, 0L);
  }
}
