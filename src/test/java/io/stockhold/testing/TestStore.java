package io.stockhold.testing;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A journal of a test's own: a fresh H2 directory, or a fresh PostgreSQL database on 127.0.0.1:5432
 * (never the default one). {@link #close()} removes it.
 */
public final class TestStore implements AutoCloseable {

  public enum Kind {
    H2,
    POSTGRES
  }

  private static final String PG_ADMIN_URL = "jdbc:postgresql://127.0.0.1:5432/postgres";
  private static final String PG_USER = "postgres";

  private final Kind kind;
  private final Path dataDir;
  private final String database;

  private TestStore(Kind kind, Path dataDir, String database) {
    this.kind = kind;
    this.dataDir = dataDir;
    this.database = database;
  }

  public static TestStore create(Kind kind) {
    try {
      Path dir = Files.createTempDirectory("stockhold-test");
      if (kind == Kind.H2) return new TestStore(kind, dir, null);
      String db =
          "stockhold_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
      try (Connection c = DriverManager.getConnection(PG_ADMIN_URL, PG_USER, "");
          Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE " + db);
      }
      return new TestStore(kind, dir, db);
    } catch (IOException | SQLException e) {
      throw new IllegalStateException(
          "cannot create a test store (" + kind + "); is PostgreSQL up on 127.0.0.1:5432?", e);
    }
  }

  public Kind kind() {
    return kind;
  }

  public Path dataDir() {
    return dataDir;
  }

  public String jdbcUrl() {
    return kind == Kind.H2 ? "" : "jdbc:postgresql://127.0.0.1:5432/" + database;
  }

  /**
   * The stockhold.* settings that point a node (or verify) at this store, and the master key: every
   * test node is started with these, and a node on PostgreSQL without a master key refuses to
   * start.
   */
  public Config config() {
    return ConfigFactory.parseMap(
        Map.of(
            "stockhold.data-dir",
            dataDir.toString(),
            "stockhold.db.url",
            jdbcUrl(),
            "stockhold.db.user",
            PG_USER,
            "stockhold.db.password",
            "",
            "stockhold.auth.master-key",
            TestKeys.MASTER));
  }

  /** The same settings as environment variables, for a node in its own process. */
  public Map<String, String> environment() {
    return Map.of(
        "STOCKHOLD_DATA_DIR",
        dataDir.toString(),
        "STOCKHOLD_DB_URL",
        jdbcUrl(),
        "STOCKHOLD_DB_USER",
        PG_USER,
        "STOCKHOLD_DB_PASSWORD",
        "",
        "STOCKHOLD_MASTER_KEY",
        TestKeys.MASTER);
  }

  @Override
  public void close() {
    if (database != null) {
      try (Connection c = DriverManager.getConnection(PG_ADMIN_URL, PG_USER, "");
          Statement s = c.createStatement()) {
        s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
      } catch (SQLException e) {
        throw new IllegalStateException("cannot drop test database " + database, e);
      }
    }
    try (Stream<Path> files = Files.walk(dataDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temp directory; nothing else depends on it
    }
  }
}
