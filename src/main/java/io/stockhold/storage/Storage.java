package io.stockhold.storage;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;
import org.slf4j.LoggerFactory;

/**
 * Where the journal lives: the embedded H2 files under {@code stockhold.data-dir} when {@code
 * stockhold.db.url} is empty, PostgreSQL otherwise. The one place that turns that choice into
 * persistence-jdbc settings.
 */
public record Storage(
    String description, String url, String user, String password, String profile, String driver) {

  public static Storage from(Config config) {
    String url = config.getString("stockhold.db.url");
    if (url.isBlank()) {
      Path dir = Path.of(config.getString("stockhold.data-dir")).toAbsolutePath().normalize();
      return new Storage(
          "embedded H2 in " + dir,
          // WRITE_DELAY=0: a commit reaches the file before the reply, so a killed process loses
          // nothing acknowledged (H2's default batches commits for half a second).
          "jdbc:h2:file:" + dir.resolve("stockhold") + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0",
          "sa",
          "",
          "slick.jdbc.H2Profile$",
          "org.h2.Driver");
    }
    if (url.startsWith("jdbc:postgresql:")) {
      String shown = url.contains("?") ? url.substring(0, url.indexOf('?')) : url;
      return new Storage(
          "PostgreSQL " + shown,
          url,
          config.getString("stockhold.db.user"),
          config.getString("stockhold.db.password"),
          "slick.jdbc.PostgresProfile$",
          "org.postgresql.Driver");
    }
    throw new IllegalArgumentException(
        "stockhold.db.url (STOCKHOLD_DB_URL) must be a jdbc:postgresql: URL, or empty for the"
            + " embedded store; got "
            + url);
  }

  public boolean embedded() {
    return url.startsWith("jdbc:h2:");
  }

  /** The embedded store's file, which H2 creates on the first connection; empty on PostgreSQL. */
  public Optional<Path> embeddedFile() {
    return embedded()
        ? Optional.of(Path.of(url.substring("jdbc:h2:file:".length(), url.indexOf(';')) + ".mv.db"))
        : Optional.empty();
  }

  /** The persistence-jdbc settings for this store, to lay over the application config. */
  public Config asConfig() {
    if (embedded()) {
      try {
        Files.createDirectories(embeddedFile().orElseThrow().getParent());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create the data directory", e);
      }
    }
    Map<String, Object> settings = new HashMap<>();
    // The same database twice: the journal's writes, and the queries that read it back
    // (projections), each with a pool of its own so readers never starve the writers.
    for (String pool : List.of("stockhold", "stockhold-read")) {
      String root = "pekko-persistence-jdbc.shared-databases." + pool + ".";
      settings.put(root + "profile", profile);
      settings.put(root + "db.url", url);
      settings.put(root + "db.user", user);
      settings.put(root + "db.password", password);
      settings.put(root + "db.driver", driver);
    }
    queryConnectionProperties()
        .forEach(
            (key, value) ->
                settings.put(
                    "pekko-persistence-jdbc.shared-databases.stockhold-read.db.properties." + key,
                    value));
    // On PostgreSQL a write of many events is one statement, not one per event, and a slice's
    // events are found by their tag rows, not by reading every event.
    if (!embedded()) {
      settings.put("jdbc-journal.dao", PostgresJournalDao.class.getName());
      settings.put("jdbc-read-journal.dao", PostgresReadJournalDao.class.getName());
    }
    settings.put("pekko.projection.jdbc.dialect", embedded() ? "h2-dialect" : "postgres-dialect");
    return ConfigFactory.parseMap(settings);
  }

  /**
   * Driver properties for connections that query the journal (projections, history, lag).
   * PostgreSQL caches a generic plan for a prepared statement after its fifth run; a projection
   * polling a young journal fixes that plan while the tables are nearly empty, and the
   * events-by-tag join then stays a nested loop over both tables (seconds per 500 events) until
   * autovacuum re-analyzes. Planning each query for its parameters costs well under a millisecond.
   */
  public Map<String, String> queryConnectionProperties() {
    return embedded() ? Map.of() : Map.of("options", "-c plan_cache_mode=force_custom_plan");
  }

  /**
   * Creates the journal's tables where missing, with persistence-jdbc's own DDL; idempotent. The
   * plugin picks its current schema or its legacy one by the journal's DAO name, and the journal on
   * PostgreSQL writes through {@link PostgresJournalDao}: so the DDL reads {@code
   * stockhold.journal-schema}, which names the plugin's DAO and the journal's database.
   */
  public static void createTables(ClassicActorSystemProvider system) throws Exception {
    SchemaUtils.createIfNotExists("stockhold.journal-schema", system)
        .toCompletableFuture()
        .get(60, TimeUnit.SECONDS);
  }

  /**
   * What an operator should hear about the database at start-up, if anything. The projections learn
   * of new events by asking for the journal's orderings above the last one seen; with current
   * statistics that is a short walk of the ordering index, without them PostgreSQL may plan a scan
   * of the whole journal, several times a second, slower as the journal grows. Autovacuum keeps the
   * statistics current; with it off, nothing does.
   */
  public Optional<String> statisticsWarning() throws SQLException {
    if (embedded()) return Optional.empty();
    try (Connection c = connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW autovacuum")) {
      rs.next();
      return statisticsWarning(rs.getString(1));
    }
  }

  static Optional<String> statisticsWarning(String autovacuum) {
    if (!"off".equalsIgnoreCase(autovacuum.trim())) return Optional.empty();
    return Optional.of(
        "PostgreSQL runs with autovacuum off: run ANALYZE on event_journal and event_tag regularly"
            + " (hourly is plenty), or the projections' polls for new events may scan the whole"
            + " journal");
  }

  /** A plain JDBC connection, for tools and health checks. */
  public Connection connect() throws SQLException {
    return DriverManager.getConnection(url, user, password);
  }

  /** Held while a node creates its tables; closing it lets the next node go. */
  public interface SchemaLock extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Waits until no other node is creating tables in this database, then keeps the others waiting
   * until closed. Nodes of a new cluster start together, and PostgreSQL's {@code CREATE TABLE IF
   * NOT EXISTS} is not safe against itself: two at once can both find the table missing, and one
   * fails on a duplicate type name (a node then exits at its first start). A PostgreSQL advisory
   * lock, held by a connection of its own; the embedded store has one process and needs none. A
   * node that waits 2 minutes gives up (and, under serve, exits to be started again).
   */
  public SchemaLock lockSchema() throws SQLException {
    if (embedded()) return () -> {};
    Connection c = connect();
    try (Statement s = c.createStatement()) {
      // Asked again and again rather than waited for in one statement: a waiting statement is an
      // open transaction, and the journal's CREATE INDEX CONCURRENTLY, run by the node holding
      // the lock, waits for every open transaction to end — so it would wait for its waiters.
      long giveUp = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      while (true) {
        try (ResultSet r = s.executeQuery("SELECT pg_try_advisory_lock(" + SCHEMA_LOCK + ")")) {
          r.next();
          if (r.getBoolean(1)) break;
        }
        if (System.nanoTime() > giveUp) {
          throw new SQLException("another node has been creating the tables for 2 minutes");
        }
        Thread.sleep(100);
      }
    } catch (SQLException e) {
      c.close();
      throw e;
    } catch (InterruptedException e) {
      c.close();
      Thread.currentThread().interrupt();
      throw new SQLException("interrupted while waiting for another node to create the tables", e);
    }
    return () -> {
      // Closing the session releases the lock, whatever became of the unlock.
      try (c) {
        if (c.isClosed()) return;
        try (Statement s = c.createStatement()) {
          s.execute("SELECT pg_advisory_unlock(" + SCHEMA_LOCK + ")");
        }
      } catch (SQLException e) {
        LoggerFactory.getLogger(Storage.class)
            .warn(
                "Releasing the schema lock: {}; the closed connection releases it", e.getMessage());
      }
    };
  }

  /** The advisory lock's key: "STOCKHLD" in ASCII, so a DBA can tell it from others. */
  private static final long SCHEMA_LOCK = 0x53544f434b484c44L;
}
