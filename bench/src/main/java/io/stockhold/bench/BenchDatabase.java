package io.stockhold.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A fresh PostgreSQL database for one bench run, {@code stockhold_bench_<random>}, shared by
 * Stockhold's journal and the baselines' tables so everyone sells on the same server. Dropped on
 * {@link #close()} — and by a shutdown hook if the run is interrupted (Ctrl-C) before that.
 */
final class BenchDatabase implements AutoCloseable {

  static final String USER = "postgres";
  static final String PASSWORD = "";
  private static final Pattern URL = Pattern.compile("(jdbc:postgresql://[^/?]+/)([^?]*)(\\?.*)?");

  private final String adminUrl;
  private final String name;
  private final String url;
  private final Thread dropOnExit;
  private boolean dropped;

  private BenchDatabase(String adminUrl, String name, String url) {
    this.adminUrl = adminUrl;
    this.name = name;
    this.url = url;
    this.dropOnExit = new Thread(this::drop, "bench-drop-database");
  }

  /**
   * Creates the database through {@code adminUrl} (a database that exists, e.g. {@code postgres}).
   */
  static BenchDatabase create(String adminUrl) throws SQLException {
    Matcher m = URL.matcher(adminUrl);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "expected jdbc:postgresql://host:port/database, got " + adminUrl);
    }
    String name =
        "stockhold_bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    String url = m.group(1) + name + (m.group(3) == null ? "" : m.group(3));
    try (Connection c = DriverManager.getConnection(adminUrl, USER, PASSWORD);
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    }
    BenchDatabase db = new BenchDatabase(adminUrl, name, url);
    Runtime.getRuntime().addShutdownHook(db.dropOnExit);
    return db;
  }

  String name() {
    return name;
  }

  String url() {
    return url;
  }

  /**
   * Refreshes the planner's statistics of every table in the bench database, as autovacuum does on
   * a server that runs it. Without them PostgreSQL guesses, and the journal's ordering query (how
   * the projections learn of new events) becomes a scan of the whole journal on every poll.
   */
  void analyze() throws SQLException {
    try (Connection c = DriverManager.getConnection(url, USER, PASSWORD);
        Statement s = c.createStatement()) {
      s.execute("ANALYZE");
    }
  }

  @Override
  public void close() {
    drop();
    try {
      Runtime.getRuntime().removeShutdownHook(dropOnExit);
    } catch (IllegalStateException e) {
      // already shutting down: the hook is running or ran
    }
  }

  private synchronized void drop() {
    if (dropped) return;
    try (Connection c = DriverManager.getConnection(adminUrl, USER, PASSWORD);
        Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      dropped = true;
    } catch (SQLException e) {
      System.err.println("could not drop the bench database " + name + ": " + e.getMessage());
    }
  }
}
