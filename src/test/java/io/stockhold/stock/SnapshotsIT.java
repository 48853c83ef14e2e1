package io.stockhold.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.stockhold.node.StockholdNode;
import io.stockhold.testing.Client;
import io.stockhold.testing.Client.Response;
import io.stockhold.testing.TestNodes;
import io.stockhold.testing.TestStore;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Snapshots in PostgreSQL's snapshot store: a busy item snapshots less often as its state grows,
 * keeps only its newest snapshot, and a restarted node recovers the same books from it.
 */
class SnapshotsIT {

  private static final StockItemId ITEM = new StockItemId("snap", "sku-1");
  private static final String PID = StockLedger.persistenceId(ITEM).id();

  @Test
  void aBusyItemKeepsOnlyItsNewestSnapshotAndRecoversFromIt() throws Exception {
    try (TestStore store = TestStore.create(TestStore.Kind.POSTGRES)) {
      Config overrides = ConfigFactory.parseString("stockhold.stock-item.snapshot-every = 100");
      List<String> released = new ArrayList<>();
      JsonNode before;
      try (StockholdNode node = TestNodes.start(store, overrides)) {
        Client admin = new Client(node.httpPort());
        assertEquals(200, admin.stock(ITEM.location(), ITEM.sku(), 1_000_000).status());
        // 800 reservations, each released: 1,600 events that leave 800 finished holds remembered.
        // A snapshot every 100 events would write 16 snapshots of up to 800 entries; the item
        // snapshots at about 100, 200, 400, 800 and 1,600 events instead.
        List<Future<List<String>>> workers = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
          for (int w = 0; w < 8; w++) {
            Client own = new Client(node.httpPort());
            workers.add(
                pool.submit(
                    () -> {
                      List<String> ids = new ArrayList<>();
                      for (int i = 0; i < 100; i++) {
                        Response r = own.reserve("web", ITEM.location(), ITEM.sku(), 1, 600L, null);
                        assertEquals(201, r.status(), r.toString());
                        String id = r.json().get("reservationId").asText();
                        assertEquals(
                            200, own.post("/v1/reservations/" + id + "/release", null).status());
                        ids.add(id);
                      }
                      return ids;
                    }));
          }
          for (Future<List<String>> f : workers) released.addAll(f.get());
        }
        before = admin.level(ITEM.location(), ITEM.sku()).json();
        assertEquals(0, before.get("reserved").asLong());

        long events =
            scalar(
                store, "SELECT max(sequence_number) FROM event_journal WHERE persistence_id = ?");
        assertTrue(events >= 1601, "events " + events);
        // The delete follows the save: wait for the store to hold just one snapshot.
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (scalar(store, "SELECT count(*) FROM snapshot WHERE persistence_id = ?") != 1
            && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
        assertEquals(
            1,
            scalar(store, "SELECT count(*) FROM snapshot WHERE persistence_id = ?"),
            "snapshots kept");
        long newest =
            scalar(store, "SELECT max(sequence_number) FROM snapshot WHERE persistence_id = ?");
        // 800 finished holds are remembered: the newest snapshot is at least that far in, and no
        // more than that many events are left to replay.
        assertTrue(newest >= 800, "newest snapshot at " + newest);
        assertTrue(
            events - newest <= Math.max(100, released.size()),
            "events after it: " + (events - newest));
      }

      try (StockholdNode node = TestNodes.start(store, overrides)) {
        Client admin = new Client(node.httpPort());
        assertEquals(before, admin.level(ITEM.location(), ITEM.sku()).json());
        assertEquals(
            201, admin.reserve("web", ITEM.location(), ITEM.sku(), 1, 600L, null).status());
      }
    }
  }

  private static long scalar(TestStore store, String sql) throws Exception {
    try (Connection c = DriverManager.getConnection(store.jdbcUrl(), "postgres", "");
        PreparedStatement s = c.prepareStatement(sql)) {
      s.setString(1, PID);
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }
}
