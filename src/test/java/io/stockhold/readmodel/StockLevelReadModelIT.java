package io.stockhold.readmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.stockhold.node.StockholdNode;
import io.stockhold.testing.Client;
import io.stockhold.testing.Client.Response;
import io.stockhold.testing.TestNodes;
import io.stockhold.testing.TestStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The stock list (read model) catches up with the items after a burst, and pages stably. */
class StockLevelReadModelIT {

  @ParameterizedTest
  @EnumSource(TestStore.Kind.class)
  void theListAgreesWithTheItemsAfterABurst(TestStore.Kind kind) throws Exception {
    try (TestStore store = TestStore.create(kind);
        StockholdNode node = TestNodes.start(store)) {
      Client client = new Client(node.httpPort());
      List<String> skus = new ArrayList<>();
      for (int i = 0; i < 30; i++) skus.add(String.format("sku-%02d", i));
      for (String sku : skus) client.stock(i(sku) % 2 == 0 ? "north" : "south", sku, 20);
      client.put(
          "/v1/stock/north/sku-00/policy",
          "{\"safetyStock\":0,\"reorderPoint\":18,\"reorderQuantity\":50}");
      try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
        List<Future<?>> work = new ArrayList<>();
        for (int n = 0; n < 300; n++) {
          String sku = skus.get(n % skus.size());
          String location = i(sku) % 2 == 0 ? "north" : "south";
          int quantity = 1 + n % 3;
          boolean commit = n % 4 == 0;
          work.add(
              pool.submit(
                  () -> {
                    Response r = client.reserve("web", location, sku, quantity, 600L, null);
                    if (r.status() == 201 && commit) {
                      client.post(
                          "/v1/reservations/" + r.json().get("reservationId").asText() + "/commit",
                          null);
                    }
                  }));
        }
        for (Future<?> f : work) f.get();
      }
      Map<String, String> truth = new TreeMap<>();
      for (String sku : skus) {
        String location = i(sku) % 2 == 0 ? "north" : "south";
        truth.put(location + "/" + sku, client.level(location, sku).body());
      }

      Map<String, String> listed = new TreeMap<>();
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (true) {
        listed.clear();
        String cursor = null;
        int pages = 0;
        do {
          Response page =
              client.get("/v1/stock?limit=7" + (cursor == null ? "" : "&cursor=" + cursor));
          assertEquals(200, page.status(), page.toString());
          for (JsonNode item : page.json().get("items")) {
            String key = item.get("location").asText() + "/" + item.get("sku").asText();
            assertTrue(listed.put(key, item.toString()) == null, key + " listed twice");
          }
          cursor =
              page.json().get("nextCursor").isNull()
                  ? null
                  : page.json().get("nextCursor").asText();
          pages++;
        } while (cursor != null);
        if (listed.equals(truth) || System.nanoTime() > deadline) {
          assertEquals(truth, listed, "the read model caught up within 30 s");
          assertEquals(5, pages, "30 items, 7 a page");
          break;
        }
        Thread.sleep(250);
      }

      JsonNode north = client.get("/v1/stock?location=north").json().get("items");
      assertEquals(15, north.size());
      for (JsonNode item : north) assertEquals("north", item.get("location").asText());
      JsonNode low = client.get("/v1/stock?lowStock=true").json().get("items");
      for (JsonNode item : low) {
        assertTrue(
            item.get("reorderPoint").asLong() > 0
                && item.get("available").asLong() <= item.get("reorderPoint").asLong(),
            item.toString());
      }
      assertEquals(
          client.level("north", "sku-00").json().get("available").asLong() <= 18 ? 1 : 0,
          low.size());

      assertEquals(400, client.get("/v1/stock?limit=0").status());
      assertEquals(400, client.get("/v1/stock?limit=1001").status());
      assertEquals(400, client.get("/v1/stock?lowStock=yes").status());
      assertEquals(400, client.get("/v1/stock?cursor=zzzz").status());
      assertEquals(
          "#/query/location",
          client.get("/v1/stock?location=a.b").json().get("errors").get(0).get("pointer").asText());
    }
  }

  private static int i(String sku) {
    return Integer.parseInt(sku.substring(4));
  }
}
