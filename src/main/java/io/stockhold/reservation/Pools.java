package io.stockhold.reservation;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import javax.sql.DataSource;

/**
 * The pools, cluster-wide: a table in the journal's database is the truth, and every node keeps all
 * of it in memory, read again every few seconds ({@link #refresh}). A pool this node does not know
 * yet (made on another node moments ago) is looked up in the table before it is called unknown; a
 * change to a pool's locations reaches the other nodes within one refresh.
 */
public final class Pools {

  private static final String CREATE_TABLE =
      """
      CREATE TABLE IF NOT EXISTS stockhold_pool (
        pool_id VARCHAR(64) PRIMARY KEY,
        locations VARCHAR(4000) NOT NULL,
        updated_at BIGINT NOT NULL)\
      """;

  private final DataSource database;
  private final Executor blocking;
  private final Clock clock;
  private final Map<String, Pool> known = new ConcurrentHashMap<>();

  private Pools(DataSource database, Executor blocking, Clock clock) {
    this.database = database;
    this.blocking = blocking;
    this.clock = clock;
  }

  /** The pool table (created when missing) and every pool in it. */
  public static Pools open(DataSource database, Executor blocking, Clock clock)
      throws SQLException {
    try (Connection c = database.getConnection();
        Statement s = c.createStatement()) {
      s.execute(CREATE_TABLE);
    }
    Pools pools = new Pools(database, blocking, clock);
    pools.refresh();
    return pools;
  }

  /** Reads every pool again: what other nodes made, changed or deleted since the last time. */
  public void refresh() throws SQLException {
    Map<String, Pool> read = new HashMap<>();
    try (Connection c = database.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pool_id, locations FROM stockhold_pool")) {
      while (rs.next()) read.put(rs.getString(1), pool(rs.getString(1), rs.getString(2)));
    }
    known.keySet().retainAll(read.keySet());
    known.putAll(read);
  }

  /** The pool, from memory, or from the table when this node has not seen it yet. */
  public CompletionStage<Optional<Pool>> get(String poolId) {
    Pool pool = known.get(poolId);
    if (pool != null) return CompletableFuture.completedFuture(Optional.of(pool));
    return CompletableFuture.supplyAsync(() -> read(poolId), blocking);
  }

  /** Creates or replaces {@code pool}. */
  public CompletionStage<Pool> put(Pool pool) {
    return CompletableFuture.supplyAsync(
        () -> {
          String locations = String.join(",", pool.locations());
          long now = clock.millis();
          try (Connection c = database.getConnection()) {
            c.setAutoCommit(true);
            // Update, else insert; a second node inserting the same new pool at once makes the
            // insert fail, and the update then finds its row.
            for (int attempt = 0; !store(c, pool.poolId(), locations, now); attempt++) {
              if (attempt == 1) throw new SQLException("pool " + pool.poolId() + " kept moving");
            }
          } catch (SQLException e) {
            throw new IllegalStateException("could not store pool " + pool.poolId(), e);
          }
          known.put(pool.poolId(), pool);
          return pool;
        },
        blocking);
  }

  /** Deletes the pool; false when there was none. */
  public CompletionStage<Boolean> delete(String poolId) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (Connection c = database.getConnection();
              PreparedStatement d =
                  c.prepareStatement("DELETE FROM stockhold_pool WHERE pool_id = ?")) {
            d.setString(1, poolId);
            boolean deleted = d.executeUpdate() > 0;
            known.remove(poolId);
            return deleted;
          } catch (SQLException e) {
            throw new IllegalStateException("could not delete pool " + poolId, e);
          }
        },
        blocking);
  }

  private static boolean store(Connection c, String poolId, String locations, long now)
      throws SQLException {
    try (PreparedStatement u =
        c.prepareStatement(
            "UPDATE stockhold_pool SET locations = ?, updated_at = ? WHERE pool_id = ?")) {
      u.setString(1, locations);
      u.setLong(2, now);
      u.setString(3, poolId);
      if (u.executeUpdate() > 0) return true;
    }
    try (PreparedStatement i =
        c.prepareStatement(
            "INSERT INTO stockhold_pool (pool_id, locations, updated_at) VALUES (?, ?, ?)")) {
      i.setString(1, poolId);
      i.setString(2, locations);
      i.setLong(3, now);
      i.executeUpdate();
      return true;
    } catch (SQLException duplicate) {
      return false;
    }
  }

  private Optional<Pool> read(String poolId) {
    try (Connection c = database.getConnection();
        PreparedStatement q =
            c.prepareStatement("SELECT locations FROM stockhold_pool WHERE pool_id = ?")) {
      q.setString(1, poolId);
      try (ResultSet rs = q.executeQuery()) {
        if (!rs.next()) return Optional.empty();
        Pool pool = pool(poolId, rs.getString(1));
        known.put(poolId, pool);
        return Optional.of(pool);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("could not read pool " + poolId, e);
    }
  }

  private static Pool pool(String poolId, String locations) {
    return new Pool(poolId, Arrays.asList(locations.split(",")));
  }
}
