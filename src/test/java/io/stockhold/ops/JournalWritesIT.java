package io.stockhold.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.stockhold.stock.StockTags;
import io.stockhold.testing.Client;
import io.stockhold.testing.TestNodes;
import io.stockhold.testing.TestStore;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The journal as PostgreSQL holds it after many items wrote batches at once through {@link
 * PostgresJournalDao}: every event once, in sequence order, each with exactly its slice's tag
 * pointing at it, and the books of every item balanced.
 */
class JournalWritesIT {

  @Test
  void batchesOfEventsLandWithTheirTagsInSequenceOrder() throws Exception {
    try (TestStore store = TestStore.create(TestStore.Kind.POSTGRES)) {
      int tagCount;
      int acknowledged = 0;
      try (StockholdNode node = TestNodes.start(store)) {
        assertEquals(PostgresJournalDao.class.getName(),
            node.system().settings().config().getString("jdbc-journal.dao"));
        tagCount = StockTags.count(node.system().settings().config());
        Client admin = new Client(node.httpPort());
        for (int i = 0; i < 3; i++) admin.stock("north", "sku-" + i, 10_000);
        // 32 buyers on three items: each item's writes carry many events.
        List<Future<Integer>> buyers = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
          for (int b = 0; b < 32; b++) {
            Client own = new Client(node.httpPort());
            int buyer = b;
            buyers.add(pool.submit(() -> {
              int held = 0;
              for (int i = 0; i < 40; i++) {
                if (own.reserve("web", "north", "sku-" + (buyer + i) % 3, 1, 600L, null).status() == 201) held++;
              }
              return held;
            }));
          }
          for (Future<Integer> f : buyers) acknowledged += f.get();
        }
      }
      assertEquals(32 * 40, acknowledged);

      try (Connection c = DriverManager.getConnection(store.jdbcUrl(), "postgres", "");
          Statement s = c.createStatement()) {
        // Each stock item's events: orderings rise with sequence numbers, no sequence number is
        // missing, and each event has one tag row, its slice's.
        Map<String, Long> lastSeq = new HashMap<>();
        Map<String, Long> lastOrdering = new HashMap<>();
        long events = 0;
        try (ResultSet rs = s.executeQuery("""
            SELECT j.persistence_id, j.sequence_number, j.ordering, count(t.tag), min(t.tag), max(t.tag)
            FROM event_journal j LEFT JOIN event_tag t ON t.event_id = j.ordering
            WHERE j.persistence_id LIKE 'StockItem|%'
            GROUP BY j.persistence_id, j.sequence_number, j.ordering
            ORDER BY j.persistence_id, j.sequence_number""")) {
          while (rs.next()) {
            String pid = rs.getString(1);
            long seq = rs.getLong(2);
            long ordering = rs.getLong(3);
            assertEquals(lastSeq.getOrDefault(pid, 0L) + 1, seq, pid);
            assertTrue(ordering > lastOrdering.getOrDefault(pid, 0L), pid + " #" + seq + " ordering " + ordering);
            assertEquals(1, rs.getLong(4), pid + " #" + seq + " tag rows");
            assertEquals(StockTags.tagFor(pid, tagCount), rs.getString(5));
            lastSeq.put(pid, seq);
            lastOrdering.put(pid, ordering);
            events++;
          }
        }
        assertEquals(3, lastSeq.size());
        // three stockings, one hold per acknowledged reservation
        assertTrue(events >= 3 + acknowledged, "events " + events);
        try (ResultSet rs = s.executeQuery("SELECT count(*) FROM event_tag t"
            + " LEFT JOIN event_journal j ON j.ordering = t.event_id WHERE j.ordering IS NULL")) {
          rs.next();
          assertEquals(0, rs.getLong(1), "tag rows without their event");
        }
      }

      JournalAudit.Report report = JournalAudit.run(store.config().withFallback(ConfigFactory.load()));
      assertTrue(report.clean(), report.violations().toString());
      assertEquals(acknowledged, report.items().stream().mapToLong(i -> i.holdsPlaced()).sum());
    }
  }
}
