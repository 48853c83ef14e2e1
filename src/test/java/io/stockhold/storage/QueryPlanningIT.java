package io.stockhold.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.stockhold.readmodel.StockLevelProjection;
import io.stockhold.testing.TestStore;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * How the journal's queries are planned on PostgreSQL. The connections that query the journal plan
 * each statement for its parameters: without it, a plan cached while the journal was empty kept
 * events-by-tag a nested loop over both tables, and the projections fell minutes behind after a
 * burst. And the planner needs statistics, which a node warns about when nothing keeps them.
 */
class QueryPlanningIT {

  @Test
  void journalQueriesAndTheReadModelPlanEachStatement() throws Exception {
    try (TestStore store = TestStore.create(TestStore.Kind.POSTGRES)) {
      Storage storage = Storage.from(store.config().withFallback(ConfigFactory.load()));

      // The read journal's pool, as persistence-jdbc opens it: URL plus driver properties.
      Config readPool =
          storage.asConfig().getConfig("pekko-persistence-jdbc.shared-databases.stockhold-read.db");
      Properties properties = new Properties();
      properties.setProperty("user", readPool.getString("user"));
      properties.setProperty("password", readPool.getString("password"));
      readPool
          .getConfig("properties")
          .entrySet()
          .forEach(e -> properties.setProperty(e.getKey(), e.getValue().unwrapped().toString()));
      try (Connection c = DriverManager.getConnection(readPool.getString("url"), properties)) {
        assertEquals("force_custom_plan", planCacheMode(c));
      }

      try (var readModel = StockLevelProjection.dataSource(storage, 1);
          Connection c = readModel.getConnection()) {
        assertEquals("force_custom_plan", planCacheMode(c));
      }

      // The journal's writes keep PostgreSQL's default.
      try (Connection c = storage.connect()) {
        assertEquals("auto", planCacheMode(c));
      }
    }
  }

  /**
   * How the projections learn of new events: the orderings above the last one seen. Without
   * statistics PostgreSQL plans that as a scan of the whole journal and a sort; with them, a short
   * walk of the ordering index. Autovacuum keeps them current, so a node warns when it is off.
   */
  @Test
  void theOrderingPollNeedsStatisticsAndTheNodeWarnsWhenNothingKeepsThem() throws Exception {
    assertTrue(Storage.statisticsWarning("off").orElseThrow().contains("ANALYZE"));
    assertTrue(Storage.statisticsWarning("on").isEmpty());

    try (TestStore store = TestStore.create(TestStore.Kind.POSTGRES)) {
      Storage storage = Storage.from(store.config().withFallback(ConfigFactory.load()));
      try (Connection c = storage.connect();
          Statement s = c.createStatement()) {
        assertEquals(autovacuum(s).equals("off"), storage.statisticsWarning().isPresent());

        s.execute("SET plan_cache_mode = force_custom_plan"); // as the query connections run
        // The journal's shape (persistence-jdbc's event_journal): the planner's guess depends on
        // it.
        s.execute(
            """
            CREATE TABLE journal_poll (
              ordering BIGSERIAL, persistence_id VARCHAR(255) NOT NULL, sequence_number BIGINT NOT NULL,
              deleted BOOLEAN DEFAULT FALSE NOT NULL, writer VARCHAR(255) NOT NULL, write_timestamp BIGINT,
              adapter_manifest VARCHAR(255), event_ser_id INTEGER NOT NULL, event_ser_manifest VARCHAR(255) NOT NULL,
              event_payload BYTEA NOT NULL, meta_ser_id INTEGER, meta_ser_manifest VARCHAR(255), meta_payload BYTEA,
              PRIMARY KEY (persistence_id, sequence_number));
            CREATE UNIQUE INDEX journal_poll_ordering ON journal_poll (ordering)\
            """);
        s.execute(
            """
            INSERT INTO journal_poll (persistence_id, sequence_number, writer, event_ser_id, event_ser_manifest, event_payload)
            SELECT 'StockItem|hot/item', g, 'w', 33, 'HoldPlaced', decode(repeat('ab', 180), 'hex')
            FROM generate_series(1, 20000) g\
            """);
        String poll =
            "EXPLAIN SELECT ordering FROM journal_poll WHERE ordering > 19000 ORDER BY ordering"
                + " LIMIT 10000";
        String without = plan(s, poll);
        s.execute("ANALYZE journal_poll");
        String with = plan(s, poll);
        assertTrue(without.contains("Seq Scan"), "no statistics: " + without);
        assertTrue(
            with.contains("journal_poll_ordering") && !with.contains("Seq Scan"),
            "after ANALYZE: " + with);
      }
    }
  }

  private static String plan(Statement s, String explain) throws Exception {
    StringBuilder plan = new StringBuilder();
    try (ResultSet rs = s.executeQuery(explain)) {
      while (rs.next()) plan.append(rs.getString(1)).append('\n');
    }
    return plan.toString();
  }

  private static String autovacuum(Statement s) throws Exception {
    try (ResultSet rs = s.executeQuery("SHOW autovacuum")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static String planCacheMode(Connection c) throws Exception {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW plan_cache_mode")) {
      rs.next();
      return rs.getString(1);
    }
  }
}
