package io.stockhold.reservation;

import io.stockhold.stock.StockItemId;
import io.stockhold.stock.StockItems;
import io.stockhold.stock.StockReply;
import io.stockhold.stock.StockReply.LevelReply;
import io.stockhold.stock.StockReply.Rejected;
import io.stockhold.stock.StockReply.Rejection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * What a kit has at a location, asked of its components' items there (an item never stocked has
 * none): each component's available units and how many whole kits they make. For every transport.
 */
public final class KitStock {

  public record Component(String sku, long quantity, long available) {}

  /** {@code available}: whole kits, the fewest any component makes. */
  public record Level(long available, List<Component> components) {}

  /** A level, or the answer of the component item that could not give one (try again). */
  public sealed interface Answer {}

  public record Counted(Level level) implements Answer {}

  public record NotNow(StockReply reply) implements Answer {}

  private KitStock() {}

  public static CompletionStage<Answer> at(StockItems items, String location, Kit kit) {
    Map<String, CompletableFuture<StockReply>> asked = new HashMap<>();
    for (Kit.Component c : kit.components()) {
      asked.put(c.sku(), items.level(new StockItemId(location, c.sku())).toCompletableFuture());
    }
    return CompletableFuture.allOf(asked.values().toArray(CompletableFuture[]::new))
        .thenApply(
            done -> {
              Map<String, Long> available = new HashMap<>();
              for (Kit.Component c : kit.components()) {
                StockReply reply = asked.get(c.sku()).join();
                if (reply instanceof LevelReply l) {
                  available.put(c.sku(), l.level().available());
                } else if (reply instanceof Rejected r
                    && r.reason() == Rejection.STOCK_ITEM_NOT_FOUND) {
                  available.put(c.sku(), 0L);
                } else {
                  return new NotNow(reply);
                }
              }
              List<Component> parts = new ArrayList<>();
              for (Kit.Component c : kit.components()) {
                parts.add(new Component(c.sku(), c.quantity(), available.get(c.sku())));
              }
              return new Counted(new Level(kit.kitsFrom(available::get), parts));
            });
  }
}
