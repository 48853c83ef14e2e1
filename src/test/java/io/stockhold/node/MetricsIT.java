package io.stockhold.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.stockhold.api.grpc.v1.PointOfSaleClient;
import io.stockhold.api.grpc.v1.Pos;
import io.stockhold.testing.Client;
import io.stockhold.testing.TestKeys;
import io.stockhold.testing.TestNodes;
import io.stockhold.testing.TestStore;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.junit.jupiter.api.Test;

/** {@code /metrics} on the management port, after real traffic through the HTTP API. */
class MetricsIT {

  @Test
  void metricsAreServedAsPrometheusTextAfterTraffic() throws Exception {
    try (TestStore store = TestStore.create(TestStore.Kind.H2);
        StockholdNode node =
            TestNodes.start(
                store,
                ConfigFactory.parseString("stockhold.metrics.shard-poll-interval = 200ms"))) {
      Client api = new Client(node.httpPort());
      assertEquals(200, api.stock("metrics", "sku-1", 10).status());
      for (int i = 0; i < 12; i++) api.reserve("web", "metrics", "sku-1", 1, 60L, "m-" + i);
      assertEquals(
          404, api.get("/v1/reservations/h~metrics~sku-1~AAAAAAAAAAAAAAAAAAAAAA").status());
      // two gRPC calls: one answered, one NOT_FOUND (an item never stocked)
      PointOfSaleClient pos =
          PointOfSaleClient.create(
              GrpcClientSettings.connectToServiceAt("127.0.0.1", node.httpPort(), node.system())
                  .withTls(false)
                  .withCallCredentials(TestKeys.grpc(TestKeys.MASTER)),
              node.system());
      try {
        pos.getStock(Pos.StockRef.newBuilder().setLocation("metrics").setSku("sku-1").build())
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
        pos.getStock(Pos.StockRef.newBuilder().setLocation("metrics").setSku("none").build())
            .toCompletableFuture()
            .handle((ok, failed) -> failed)
            .get(10, TimeUnit.SECONDS);
      } finally {
        pos.close().toCompletableFuture().get(10, TimeUnit.SECONDS);
      }

      Client management = new Client(node.managementPort());
      // The shard counts are polled, and each ERP slice reports its lag once it has started (the
      // slices start on their own, after the node is up): wait for a scrape that has both.
      Client.Response scrape =
          awaitScrape(
              management,
              body ->
                  body.contains("stockhold_sharding_entities{entity=\"StockItem\"} 1")
                      && body.contains("stockhold_erp_lag_seconds{slice=\"stock-3\"}"));
      assertEquals(200, scrape.status());
      assertTrue(scrape.contentType().startsWith("text/plain"), scrape.contentType());
      assertTrue(scrape.contentType().contains("version=0.0.4"), scrape.contentType());
      String text = scrape.body();

      // 10 held, 2 refused: by route template and status class, never by raw path.
      assertEquals(
          10,
          count(
              text,
              "http_server_requests_seconds_count{method=\"POST\",outcome=\"SUCCESS\",status=\"201\",uri=\"/v1/reservations\"}"));
      assertEquals(
          2,
          count(
              text,
              "http_server_requests_seconds_count{method=\"POST\",outcome=\"CLIENT_ERROR\",status=\"409\",uri=\"/v1/reservations\"}"));
      assertEquals(
          1,
          count(
              text,
              "http_server_requests_seconds_count{method=\"GET\",outcome=\"CLIENT_ERROR\",status=\"404\",uri=\"/v1/reservations/{reservationId}\"}"));
      assertEquals(
          1,
          count(text, "stockhold_grpc_requests_seconds_count{method=\"GetStock\",status=\"0\"}"));
      assertEquals(
          1,
          count(text, "stockhold_grpc_requests_seconds_count{method=\"GetStock\",status=\"5\"}"),
          "NOT_FOUND");
      assertTrue(
          !text.contains("AAAAAAAAAAAAAAAAAAAAAA") && !text.contains("sku-1"),
          "a raw path leaked into a label");
      assertTrue(
          text.contains("stockhold_reservation_latency_seconds_bucket{outcome=\"2xx\",le="),
          "latency histogram");
      assertTrue(
          text.contains(
              "http_server_requests_seconds_bucket{method=\"POST\",outcome=\"SUCCESS\",status=\"201\",uri=\"/v1/reservations\",le="),
          "request histogram");
      assertTrue(
          text.contains(
              "stockhold_grpc_requests_seconds_bucket{method=\"GetStock\",status=\"0\",le="),
          "gRPC histogram");
      // One request at a time: the adjustment and the 10 holds were each journaled; the 2 refusals
      // were answered from memory and are no journal write.
      assertEquals(11, count(text, "stockhold_stockitem_batch_size_requests_sum"));
      assertTrue(count(text, "stockhold_stockitem_journal_write_seconds_count") >= 1);
      assertTrue(
          text.contains("stockhold_stockitem_journal_write_seconds_bucket{le="),
          "journal write histogram");
      assertEquals(0, count(text, "stockhold_stockitem_queue_depth"));
      assertTrue(count(text, "stockhold_sharding_shards{entity=\"StockItem\"}") >= 1);
      assertEquals(1, count(text, "stockhold_cluster_members_up"));
      assertTrue(
          text.lines().noneMatch(l -> !l.startsWith("#") && l.endsWith(" NaN")),
          "no NaN series: a slice that runs elsewhere has none here");
      for (int slice = 0; slice < 4; slice++) {
        // Every ERP slice runs on this lone node: a number.
        assertTrue(
            count(text, "stockhold_erp_lag_events{slice=\"stock-" + slice + "\"}") >= 0,
            "ERP lag of slice " + slice);
        assertTrue(
            count(text, "stockhold_erp_lag_seconds{slice=\"stock-" + slice + "\"}") >= 0,
            "ERP lag of slice " + slice);
      }
      // jvm_gc_pause_seconds appears only after a collection since the registry was bound; the
      // allocation counter of the same binder is there from the start.
      for (String jvm :
          new String[] {
            "jvm_memory_used_bytes",
            "jvm_gc_memory_allocated_bytes",
            "jvm_threads_live_threads",
            "process_cpu_usage",
            "system_cpu_count"
          }) {
        assertTrue(text.contains(jvm), jvm + " missing");
      }
      // The probes are still there next to it.
      assertEquals(200, management.get("/ready").status());
    }
  }

  /** The first scrape within 10 s whose text passes {@code ready}, else the last one. */
  private static Client.Response awaitScrape(Client management, Predicate<String> ready)
      throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    Client.Response r;
    do {
      r = management.get("/metrics");
      if (r.status() == 200 && ready.test(r.body())) return r;
      Thread.sleep(100);
    } while (System.nanoTime() < deadline);
    return r;
  }

  /** The value of the sample line that starts with {@code series}. */
  private static long count(String text, String series) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " ([0-9.eE+-]+)$").matcher(text);
    assertTrue(
        m.find(),
        series + " not in\n" + text.lines().filter(l -> l.startsWith("stockhold")).toList());
    return Math.round(Double.parseDouble(m.group(1)));
  }
}
