package io.stockhold.api.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.stockhold.testing.Client.Response;
import io.stockhold.testing.RunningNode;
import io.stockhold.testing.TestStore;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/**
 * A change the database does not take is a 503 the caller may retry, not a 500: here the pools'
 * table is out of reach for a moment, on PostgreSQL.
 */
class StorageFailureIT {

  @Test
  void aChangeTheDatabaseRefusesIsA503ToRetryAndTheRetrySucceeds() throws Exception {
    try (RunningNode running = RunningNode.start(TestStore.Kind.POSTGRES)) {
      String body = "{\"locations\":[\"store-1\",\"store-2\"]}";
      sql(running, "ALTER TABLE stockhold_pool RENAME TO stockhold_pool_away");
      Response refused = running.client().put("/v1/pools/north", body);
      assertEquals(503, refused.status(), refused.toString());
      assertEquals("unavailable", refused.problem());
      assertEquals("1", refused.header("Retry-After"));

      sql(running, "ALTER TABLE stockhold_pool_away RENAME TO stockhold_pool");
      Response stored = running.client().put("/v1/pools/north", body);
      assertEquals(200, stored.status(), stored.toString());
      assertEquals(200, running.client().get("/v1/pools/north").status());
    }
  }

  private static void sql(RunningNode running, String statement) throws Exception {
    try (Connection c = DriverManager.getConnection(running.store().jdbcUrl(), "postgres", "");
        Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }
}
