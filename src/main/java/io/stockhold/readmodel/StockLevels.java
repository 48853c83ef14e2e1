package io.stockhold.readmodel;

import io.stockhold.stock.LevelUpdate;
import io.stockhold.stock.StockItemId;
import io.stockhold.stock.StockReply.Level;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import javax.sql.DataSource;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;

/**
 * Queries over the stock-level read model, ordered by (location, sku) with a cursor that stays
 * stable while rows change. The read model trails the items by the projection's lag.
 */
public final class StockLevels {

  public record Row(StockItemId item, Level level) {}

  /** {@code next} is the cursor of the following page, or empty on the last page. */
  public record Page(List<Row> rows, Optional<String> next) {}

  private final DataSource dataSource;
  private final Executor blocking;

  public StockLevels(ActorSystem<?> system, DataSource dataSource) {
    this.dataSource = dataSource;
    this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
  }

  public static String cursor(StockItemId after) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString((after.location() + "\n" + after.sku()).getBytes(StandardCharsets.UTF_8));
  }

  /** The item a cursor points after; empty when it is not one this class gave out. */
  public static Optional<StockItemId> parseCursor(String cursor) {
    try {
      String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      int newline = text.indexOf('\n');
      return newline < 0
          ? Optional.empty()
          : StockItemId.parse(text.substring(0, newline) + "/" + text.substring(newline + 1));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** A page of levels at {@code locations} (every location when empty), after {@code after}. */
  public CompletionStage<Page> list(
      Set<String> locations, boolean lowStockOnly, int limit, Optional<StockItemId> after) {
    return CompletableFuture.supplyAsync(
        () -> query(locations, lowStockOnly, limit, after), blocking);
  }

  /**
   * Every item at {@code location} with the sequence number of the event its row reflects, for a
   * watcher to start from; at most {@code limit} rows.
   */
  public CompletionStage<List<LevelUpdate>> atLocation(String location, int limit) {
    return CompletableFuture.supplyAsync(
        () -> {
          String sql =
              "SELECT sku, on_hand, reserved, available, sequence_nr, incoming, backordered FROM"
                  + " stock_level WHERE location = ? ORDER BY sku LIMIT ?";
          try (Connection c = dataSource.getConnection();
              PreparedStatement q = c.prepareStatement(sql)) {
            q.setString(1, location);
            q.setInt(2, limit);
            List<LevelUpdate> rows = new ArrayList<>();
            try (ResultSet rs = q.executeQuery()) {
              while (rs.next()) {
                rows.add(
                    new LevelUpdate(
                        location,
                        rs.getString(1),
                        rs.getLong(2),
                        rs.getLong(3),
                        rs.getLong(4),
                        rs.getLong(5),
                        rs.getLong(6),
                        rs.getLong(7)));
              }
            }
            return rows;
          } catch (SQLException e) {
            throw new IllegalStateException("stock_level query failed", e);
          }
        },
        blocking);
  }

  private Page query(
      Set<String> locations, boolean lowStockOnly, int limit, Optional<StockItemId> after) {
    StringBuilder sql =
        new StringBuilder(
            "SELECT location, sku, on_hand, reserved, available, safety_stock, "
                + "reorder_point, reorder_quantity, incoming, backordered FROM stock_level"
                + " WHERE 1 = 1");
    List<Object> args = new ArrayList<>();
    if (!locations.isEmpty()) {
      sql.append(" AND location IN (")
          .append(String.join(", ", Collections.nCopies(locations.size(), "?")))
          .append(")");
      args.addAll(new TreeSet<>(locations));
    }
    if (lowStockOnly) sql.append(" AND reorder_point > 0 AND available <= reorder_point");
    after.ifPresent(
        a -> {
          sql.append(" AND (location > ? OR (location = ? AND sku > ?))");
          args.add(a.location());
          args.add(a.location());
          args.add(a.sku());
        });
    sql.append(" ORDER BY location, sku LIMIT ?");
    args.add(limit + 1);
    try (Connection c = dataSource.getConnection();
        PreparedStatement q = c.prepareStatement(sql.toString())) {
      for (int i = 0; i < args.size(); i++) q.setObject(i + 1, args.get(i));
      List<Row> rows = new ArrayList<>();
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          rows.add(
              new Row(
                  new StockItemId(rs.getString(1), rs.getString(2)),
                  new Level(
                      rs.getLong(3),
                      rs.getLong(4),
                      rs.getLong(5),
                      rs.getLong(6),
                      rs.getLong(7),
                      rs.getLong(8),
                      Map.of(),
                      rs.getLong(9),
                      rs.getLong(10),
                      List.of())));
        }
      }
      if (rows.size() <= limit) return new Page(rows, Optional.empty());
      List<Row> page = rows.subList(0, limit);
      return new Page(List.copyOf(page), Optional.of(cursor(page.get(limit - 1).item())));
    } catch (SQLException e) {
      throw new IllegalStateException("stock_level query failed", e);
    }
  }
}
