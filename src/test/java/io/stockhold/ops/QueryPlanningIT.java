package io.stockhold.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import io.stockhold.readmodel.StockLevelProjection;
import io.stockhold.testing.TestStore;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * The connections that query the journal plan each statement for its parameters on PostgreSQL.
 * Without it, a plan cached while the journal was empty kept events-by-tag a nested loop over
 * both tables, and the projections fell minutes behind after a burst.
 */
class QueryPlanningIT {

  @Test
  void journalQueriesAndTheReadModelPlanEachStatement() throws Exception {
    try (TestStore store = TestStore.create(TestStore.Kind.POSTGRES)) {
      Storage storage = Storage.from(store.config().withFallback(
          com.typesafe.config.ConfigFactory.load()));

      // The read journal's pool, as persistence-jdbc opens it: URL plus driver properties.
      Config readPool = storage.asConfig()
          .getConfig("pekko-persistence-jdbc.shared-databases.stockhold-read.db");
      Properties properties = new Properties();
      properties.setProperty("user", readPool.getString("user"));
      properties.setProperty("password", readPool.getString("password"));
      readPool.getConfig("properties").entrySet()
          .forEach(e -> properties.setProperty(e.getKey(), e.getValue().unwrapped().toString()));
      try (Connection c = DriverManager.getConnection(readPool.getString("url"), properties)) {
        assertEquals("force_custom_plan", planCacheMode(c));
      }

      try (var readModel = StockLevelProjection.dataSource(storage, 1); Connection c = readModel.getConnection()) {
        assertEquals("force_custom_plan", planCacheMode(c));
      }

      // The journal's writes keep PostgreSQL's default.
      try (Connection c = storage.connect()) {
        assertEquals("auto", planCacheMode(c));
      }
    }
  }

  private static String planCacheMode(Connection c) throws Exception {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW plan_cache_mode")) {
      rs.next();
      return rs.getString(1);
    }
  }
}
