package io.stockhold.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.stockhold.cli.JournalAudit;
import io.stockhold.node.StockholdNode;
import io.stockhold.testing.Client;
import io.stockhold.testing.Client.Response;
import io.stockhold.testing.TestNodes;
import io.stockhold.testing.TestStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * One hot item, 64 connections hammering it on PostgreSQL: the books balance afterwards, checked
 * from the journal. Group commit must not trade correctness for speed.
 */
class HotItemIT {

  @Test
  void theBooksBalanceAfterAFloodOnOneItem() throws Exception {
    try (TestStore store = TestStore.create(TestStore.Kind.POSTGRES)) {
      long units = 600;
      AtomicInteger acknowledged = new AtomicInteger();
      AtomicInteger soldOut = new AtomicInteger();
      AtomicInteger unknown = new AtomicInteger();
      AtomicLong committedUnits = new AtomicLong();
      try (StockholdNode node = TestNodes.start(store)) {
        Client admin = new Client(node.httpPort());
        admin.stock("hot", "console", units);
        admin.put(
            "/v1/stock/hot/console/policy",
            "{\"safetyStock\":5,\"reorderPoint\":100,\"reorderQuantity\":500}");
        long deadline = System.nanoTime() + 6_000_000_000L;
        List<Future<?>> workers = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
          for (int w = 0; w < 64; w++) {
            Client own = new Client(node.httpPort());
            int worker = w;
            workers.add(
                pool.submit(
                    () -> {
                      for (int i = 0; System.nanoTime() < deadline; i++) {
                        Response r;
                        try {
                          r = own.reserve("web", "hot", "console", 1 + i % 2, 600L, null);
                        } catch (RuntimeException e) {
                          unknown.incrementAndGet();
                          continue;
                        }
                        switch (r.status()) {
                          case 201 -> {
                            acknowledged.incrementAndGet();
                            if ((worker + i) % 3 == 0) {
                              String id = r.json().get("reservationId").asText();
                              if (own.post("/v1/reservations/" + id + "/commit", null).status()
                                  == 200) {
                                committedUnits.addAndGet(1 + i % 2);
                              }
                            }
                          }
                          case 409 -> soldOut.incrementAndGet();
                          default -> unknown.incrementAndGet();
                        }
                      }
                      return null;
                    }));
          }
          for (Future<?> f : workers) f.get();
        }
        JsonNode level = admin.level("hot", "console").json();
        long onHand = level.get("onHand").asLong();
        long reserved = level.get("reserved").asLong();
        assertEquals(
            Math.max(0, onHand - reserved - 5),
            level.get("available").asLong(),
            "available formula");
        assertEquals(units - committedUnits.get(), onHand);
        System.out.printf(
            "hot item: %d holds acknowledged, %d sold out, %d unknown; onHand %d, reserved %d%n",
            acknowledged.get(), soldOut.get(), unknown.get(), onHand, reserved);
        assertTrue(soldOut.get() > 0, "the flood outran the stock");
      }
      JournalAudit.Report report =
          JournalAudit.run(store.config().withFallback(ConfigFactory.load()));
      assertTrue(report.clean(), report.violations().toString());
      StockAudit item = report.items().get(0);
      assertTrue(
          item.holdsPlaced() >= acknowledged.get(), "every acknowledged reservation is a hold");
      assertTrue(
          item.holdsPlaced() - acknowledged.get() <= unknown.get(),
          (item.holdsPlaced() - acknowledged.get())
              + " holds nobody was told of, "
              + unknown.get()
              + " unknown outcomes");
      assertEquals(committedUnits.get(), item.unitsCommitted());
    }
  }
}
