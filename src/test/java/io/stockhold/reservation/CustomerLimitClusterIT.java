package io.stockhold.reservation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.stockhold.cli.JournalAudit;
import io.stockhold.stock.StockAudit;
import io.stockhold.testing.Client;
import io.stockhold.testing.Client.Response;
import io.stockhold.testing.TestCluster;
import io.stockhold.testing.TestStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * One customer with a limit of 2, from 64 connections over two nodes, web and pos, single lines and
 * carts, some bought and some released: at no event of either item's journal does the customer have
 * more than 2 units held or bought, and another customer is not affected.
 */
class CustomerLimitClusterIT {

  private static final String LIMIT =
      "{\"safetyStock\":0,\"reorderPoint\":0,\"reorderQuantity\":0,\"maxPerCustomer\":2}";

  private static String line(String sku) {
    return "{\"location\":\"limit-store\",\"sku\":\"" + sku + "\",\"quantity\":1}";
  }

  private static String reservation(String channel, String customer, String... lines) {
    return "{\"channel\":\""
        + channel
        + "\",\"customerId\":\""
        + customer
        + "\",\"lines\":["
        + String.join(",", lines)
        + "]}";
  }

  @Test
  void aCustomerNeverHasMoreThanTheLimitAcrossNodesChannelsAndCarts() throws Exception {
    try (TestStore store = TestStore.create(TestStore.Kind.POSTGRES);
        TestCluster cluster = TestCluster.start(store, "customer-limit", 2)) {
      List<Integer> ports = cluster.httpPorts();
      Client first = new Client(ports.get(0));
      for (String sku : List.of("one", "two")) {
        assertEquals(200, first.stock("limit-store", sku, 1_000).status());
        Response policy = first.put("/v1/stock/limit-store/" + sku + "/policy", LIMIT);
        assertEquals(200, policy.status(), policy.toString());
      }
      CountDownLatch start = new CountDownLatch(1);
      List<Future<int[]>> outcomes = new ArrayList<>();
      try (ExecutorService shoppers = Executors.newVirtualThreadPerTaskExecutor()) {
        for (int i = 0; i < 64; i++) {
          int n = i;
          Client own = new Client(ports.get(n % 2));
          outcomes.add(
              shoppers.submit(
                  () -> {
                    start.await();
                    int[] counts = new int[2];
                    for (int round = 0; round < 5; round++) {
                      String channel = (n + round) % 2 == 0 ? "web" : "pos";
                      String body =
                          switch ((n + round) % 3) {
                            case 0 ->
                                reservation(channel, "same-shopper", line("one"), line("two"));
                            case 1 -> reservation(channel, "same-shopper", line("one"));
                            default -> reservation(channel, "same-shopper", line("two"));
                          };
                      Response r = own.post("/v1/reservations", body);
                      if (r.status() == 201) {
                        counts[0]++;
                        // Some are bought, the others given back.
                        String id = r.json().get("reservationId").asText();
                        String end = (n + round) % 4 == 0 ? "commit" : "release";
                        own.post("/v1/reservations/" + id + "/" + end, "");
                      } else {
                        assertTrue(
                            r.status() == 409 && r.problem().equals("customer-limit")
                                || r.status() == 503,
                            r.toString());
                        counts[1]++;
                      }
                    }
                    return counts;
                  }));
        }
        start.countDown();
        int held = 0;
        for (Future<int[]> f : outcomes) held += f.get()[0];
        assertTrue(held >= 1, "somebody got something");
      }
      var audits =
          JournalAudit.run(store.config().withFallback(ConfigFactory.load())).items().stream()
              .filter(a -> a.persistenceId().startsWith("StockItem|limit-store/"))
              .toList();
      assertEquals(2, audits.size());
      for (StockAudit audit : audits) {
        assertTrue(audit.violations().isEmpty(), audit.violations().toString());
        assertTrue(audit.holdsPlaced() >= 1);
      }
      // Another customer is not affected by the first one's limit.
      Response other =
          new Client(ports.get(1))
              .post("/v1/reservations", reservation("web", "other-shopper", line("one")));
      assertEquals(201, other.status(), other.toString());
    }
  }
}
