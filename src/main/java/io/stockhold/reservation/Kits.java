package io.stockhold.reservation;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import javax.sql.DataSource;

/**
 * The kits, cluster-wide: a table in the journal's database is the truth, and every node keeps all
 * of it in memory, read again every few seconds ({@link #refresh}). Unlike a pool, a kit is looked
 * up on every reservation line and stock read, so only memory is asked: a kit made on another node
 * is known here within one refresh.
 */
public final class Kits {

  private static final String CREATE_TABLE =
      """
      CREATE TABLE IF NOT EXISTS stockhold_kit (
        sku VARCHAR(64) PRIMARY KEY,
        components VARCHAR(4000) NOT NULL,
        updated_at BIGINT NOT NULL)\
      """;

  private final DataSource database;
  private final Executor blocking;
  private final Clock clock;
  private final Map<String, Kit> known = new ConcurrentHashMap<>();

  private Kits(DataSource database, Executor blocking, Clock clock) {
    this.database = database;
    this.blocking = blocking;
    this.clock = clock;
  }

  /** The kit table (created when missing) and every kit in it. */
  public static Kits open(DataSource database, Executor blocking, Clock clock) throws SQLException {
    try (Connection c = database.getConnection();
        Statement s = c.createStatement()) {
      s.execute(CREATE_TABLE);
    }
    Kits kits = new Kits(database, blocking, clock);
    kits.refresh();
    return kits;
  }

  /** Reads every kit again: what other nodes made or changed since the last time. */
  public void refresh() throws SQLException {
    Map<String, Kit> read = new HashMap<>();
    try (Connection c = database.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT sku, components FROM stockhold_kit")) {
      while (rs.next()) read.put(rs.getString(1), kit(rs.getString(1), rs.getString(2)));
    }
    known.keySet().retainAll(read.keySet());
    known.putAll(read);
  }

  /** The kit sold under {@code sku}, if it is one. */
  public Optional<Kit> get(String sku) {
    return Optional.ofNullable(known.get(sku));
  }

  /** A kit that lists {@code sku} among its components, if any. */
  public Optional<Kit> containing(String sku) {
    for (Kit kit : known.values()) {
      for (Kit.Component c : kit.components()) if (c.sku().equals(sku)) return Optional.of(kit);
    }
    return Optional.empty();
  }

  /** Creates or replaces {@code kit}. */
  public CompletionStage<Kit> put(Kit kit) {
    return CompletableFuture.supplyAsync(
        () -> {
          String components = text(kit);
          long now = clock.millis();
          try (Connection c = database.getConnection()) {
            c.setAutoCommit(true);
            // Update, else insert; a second node inserting the same new kit at once makes the
            // insert fail, and the update then finds its row.
            for (int attempt = 0; !store(c, kit.sku(), components, now); attempt++) {
              if (attempt == 1) throw new SQLException("kit " + kit.sku() + " kept moving");
            }
          } catch (SQLException e) {
            throw new IllegalStateException("could not store kit " + kit.sku(), e);
          }
          known.put(kit.sku(), kit);
          return kit;
        },
        blocking);
  }

  private static boolean store(Connection c, String sku, String components, long now)
      throws SQLException {
    try (PreparedStatement u =
        c.prepareStatement(
            "UPDATE stockhold_kit SET components = ?, updated_at = ? WHERE sku = ?")) {
      u.setString(1, components);
      u.setLong(2, now);
      u.setString(3, sku);
      if (u.executeUpdate() > 0) return true;
    }
    try (PreparedStatement i =
        c.prepareStatement(
            "INSERT INTO stockhold_kit (sku, components, updated_at) VALUES (?, ?, ?)")) {
      i.setString(1, sku);
      i.setString(2, components);
      i.setLong(3, now);
      i.executeUpdate();
      return true;
    } catch (SQLException duplicate) {
      return false;
    }
  }

  /** {@code sku*quantity,…}: SKUs never contain {@code *} or {@code ,}. */
  private static String text(Kit kit) {
    List<String> parts = new ArrayList<>();
    for (Kit.Component c : kit.components()) parts.add(c.sku() + "*" + c.quantity());
    return String.join(",", parts);
  }

  private static Kit kit(String sku, String components) {
    List<Kit.Component> parts = new ArrayList<>();
    for (String part : components.split(",")) {
      int star = part.lastIndexOf('*');
      parts.add(
          new Kit.Component(part.substring(0, star), Long.parseLong(part.substring(star + 1))));
    }
    return new Kit(sku, parts);
  }
}
