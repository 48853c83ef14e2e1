package io.stockhold.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.typesafe.config.ConfigFactory;
import io.stockhold.chaos.TcpRelay;
import io.stockhold.node.StockholdNode;
import io.stockhold.testing.Client;
import io.stockhold.testing.Rabbit;
import io.stockhold.testing.TestNodes;
import io.stockhold.testing.TestStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Not part of the test run (no IT suffix): measures the ERP path on PostgreSQL and RabbitMQ.
 *
 * <pre>bin/test -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=ErpBench</pre>
 *
 * 1. End-to-end lag: reservation reply received → its hold-placed message consumed from the broker,
 * under steady load (8 clients, 1,000 items, 20 s). 2. Projection throughput: 20,000 events written
 * while the broker is cut off, then the time to publish them all once it is back, for 1, 4 and 8
 * slices ({@code -Derp.bench.events=}, {@code -Derp.bench.slices=1,4}).
 */
class ErpBench {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void endToEndLag() throws Exception {
    try (TestStore store = TestStore.create(TestStore.Kind.POSTGRES);
        Rabbit rabbit = new Rabbit();
        StockholdNode node = TestNodes.start(store, rabbit.config(Rabbit.PORT));
        Consumer consumer = new Consumer(rabbit.erpQueue())) {
      Client http = new Client(node.httpPort());
      for (int i = 0; i < 1000; i++) http.stock("store-1", "sku-" + i, 1_000_000);
      Map<String, Long> replied = new ConcurrentHashMap<>();
      int clients = 8;
      long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      ExecutorService pool = Executors.newFixedThreadPool(clients);
      AtomicLong n = new AtomicLong();
      for (int c = 0; c < clients; c++) {
        pool.submit(
            () -> {
              while (System.nanoTime() < end) {
                long i = n.incrementAndGet();
                var r = http.reserve("web", "store-1", "sku-" + (i % 1000), 1, null, null);
                if (r.status() == 201)
                  replied.put(r.json().get("reservationId").asText(), System.nanoTime());
              }
              return null;
            });
      }
      pool.shutdown();
      pool.awaitTermination(60, TimeUnit.SECONDS);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!consumer.holdArrivals.keySet().containsAll(replied.keySet())
          && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      List<Double> lagMs = new ArrayList<>();
      for (var e : replied.entrySet()) {
        Long arrived = consumer.holdArrivals.get(e.getKey());
        if (arrived != null) lagMs.add((arrived - e.getValue()) / 1e6);
      }
      Collections.sort(lagMs);
      System.out.printf(
          "ERP end-to-end lag (reply -> message consumed), %d reservations in 20 s by %d clients "
              + "(%.0f/s), %d slices: p50 %.0f ms, p99 %.0f ms, max %.0f ms%n",
          replied.size(),
          clients,
          replied.size() / 20.0,
          node.system().settings().config().getInt("stockhold.projections.slices"),
          pct(lagMs, 50),
          pct(lagMs, 99),
          lagMs.get(lagMs.size() - 1));
      assertEquals(replied.size(), lagMs.size(), "every reservation's message arrived");
    }
  }

  @Test
  void projectionThroughputBySlices() throws Exception {
    int[] sliceCounts =
        Arrays.stream(System.getProperty("erp.bench.slices", "1,4,8").split(","))
            .mapToInt(Integer::parseInt)
            .toArray();
    for (int slices : sliceCounts) {
      try (TestStore store = TestStore.create(TestStore.Kind.POSTGRES);
          Rabbit rabbit = new Rabbit();
          TcpRelay network = new TcpRelay(Rabbit.PORT);
          StockholdNode node =
              TestNodes.start(
                  store,
                  rabbit
                      .config(network.port())
                      .withFallback(
                          ConfigFactory.parseMap(Map.of("stockhold.projections.slices", slices))));
          Consumer consumer = new Consumer(rabbit.erpQueue())) {
        network.cut();
        Client http = new Client(node.httpPort());
        int events = Integer.getInteger("erp.bench.events", 20_000);
        ExecutorService pool = Executors.newFixedThreadPool(16);
        for (int i = 0; i < events; i++) {
          int k = i;
          pool.submit(
              () ->
                  http.post(
                      "/v1/stock/store-1/sku-" + (k % 2000) + "/adjustments",
                      "{\"delta\":1,\"reason\":\"return\"}"));
        }
        pool.shutdown();
        pool.awaitTermination(10, TimeUnit.MINUTES);
        long t0 = System.nanoTime();
        network.heal();
        long deadline = t0 + Duration.ofMinutes(5).toNanos();
        while (consumer.count.get() < events && System.nanoTime() < deadline) Thread.sleep(20);
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf(
            "ERP projection, %d slice(s): %d events published after the broker came back in %.1f s "
                + "= %.0f events/s (includes reconnect back-off, up to 2 s)%n",
            slices, consumer.count.get(), seconds, consumer.count.get() / seconds);
        assertEquals(events, consumer.count.get());
      }
    }
  }

  private static double pct(List<Double> sorted, double p) {
    return sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(p / 100 * sorted.size()) - 1));
  }

  /** Consumes a queue as the ERP would, noting when each hold's message arrived. */
  static final class Consumer implements AutoCloseable {
    final Map<String, Long> holdArrivals = new ConcurrentHashMap<>();
    final AtomicLong count = new AtomicLong();
    private final Connection connection;

    Consumer(String queue) throws Exception {
      ConnectionFactory f = new ConnectionFactory();
      f.setHost("127.0.0.1");
      connection = f.newConnection("stockhold-bench");
      Channel ch = connection.createChannel();
      // The node declares the queue when it connects; wait for it.
      for (int i = 0; i < 100; i++) {
        try (Channel probe = connection.createChannel()) {
          probe.queueDeclarePassive(queue);
          break;
        } catch (Exception notYet) {
          Thread.sleep(200);
        }
      }
      ch.basicQos(1000);
      ch.basicConsume(
          queue,
          true,
          new DefaultConsumer(ch) {
            @Override
            public void handleDelivery(
                String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
              long now = System.nanoTime();
              count.incrementAndGet();
              if ("hold-placed".equals(props.getType())) {
                try {
                  JsonNode json = JSON.readTree(body);
                  holdArrivals.putIfAbsent(json.get("reservationId").asText(), now);
                } catch (Exception ignored) {
                  // counted; not a hold we can match
                }
              }
            }
          });
    }

    @Override
    public void close() throws Exception {
      connection.close();
    }
  }
}
