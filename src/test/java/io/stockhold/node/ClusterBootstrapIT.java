package io.stockhold.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.stockhold.testing.Client;
import io.stockhold.testing.TestNodes;
import io.stockhold.testing.TestStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Test;

/**
 * {@code stockhold.cluster.bootstrap = on} (conf/k8s.conf) forms the cluster through cluster
 * bootstrap instead of a self-join: a lone node waits for the quorum of contact points, and two
 * nodes that find each other form one cluster. Discovery here is the `config` method on loopback;
 * in Kubernetes the same code path asks the Kubernetes API.
 */
class ClusterBootstrapIT {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @Test
  void nodesFormOneClusterThroughBootstrapAndNeverAlone() throws Exception {
    int managementA = TestNodes.freePort();
    int managementB = TestNodes.freePort();
    Config discovery =
        ConfigFactory.parseString(
            """
            stockhold.cluster.bootstrap = on
            pekko.management.http.hostname = "127.0.0.1"
            pekko.management.cluster.bootstrap {
              contact-point-discovery {
                discovery-method = config
                service-name = stockhold-bootstrap-it
                required-contact-point-nr = 2
                stable-margin = 1s
                interval = 200ms
              }
              # Both nodes share 127.0.0.1 with different management ports: keep both contact points.
              contact-point.filter-on-fallback-port = false
            }
            pekko.discovery.config.services.stockhold-bootstrap-it.endpoints = [
              { host = "127.0.0.1", port = %d }, { host = "127.0.0.1", port = %d }
            ]
            """
                .formatted(managementA, managementB));

    try (TestStore store = TestStore.create(TestStore.Kind.POSTGRES);
        StockholdNode a = TestNodes.start(store, node(managementA).withFallback(discovery))) {
      // Alone, A sees one of the two required contact points: it must not form a cluster of one.
      Thread.sleep(4_000);
      assertEquals(
          MemberStatus.removed(),
          Cluster.get(a.system()).selfMember().status(),
          "a lone node joined a cluster on its own");
      // pekko-management answers an unhealthy check with 500; any non-2xx fails a readiness probe.
      assertEquals(500, ready(a), "/ready before the node is a member");

      long started = System.nanoTime();
      try (StockholdNode b = TestNodes.start(store, node(managementB).withFallback(discovery))) {
        long bUp = System.nanoTime();
        await(
            () -> upMembers(a) == 2 && upMembers(b) == 2,
            Duration.ofSeconds(60),
            "two Up members on both nodes");
        long done = System.nanoTime();
        // A's probes of B's address failed while B was down, so A's probing had backed off.
        System.out.printf(
            "bootstrap: second node started in %d ms, then the 2-node cluster formed in %d ms%n",
            TimeUnit.NANOSECONDS.toMillis(bUp - started),
            TimeUnit.NANOSECONDS.toMillis(done - bUp));
        await(
            () -> ready(a) == 200 && ready(b) == 200,
            Duration.ofSeconds(30),
            "/ready on both nodes");

        // One cluster: an item stocked through A is read through B.
        assertEquals(200, new Client(a.httpPort()).stock("boot", "sku-1", 7).status());
        Client.Response read = new Client(b.httpPort()).get("/v1/stock/boot/sku-1");
        assertEquals(200, read.status(), read.toString());
        assertEquals(7, read.json().get("onHand").asInt());
      }
    }
  }

  private static Config node(int managementPort) {
    return ConfigFactory.parseMap(Map.of("pekko.management.http.port", managementPort));
  }

  private static long upMembers(StockholdNode node) {
    var members = Cluster.get(node.system()).state().getMembers();
    long up = 0;
    for (var m : members) {
      if (m.status() == MemberStatus.up()) up++;
    }
    return up;
  }

  private static int ready(StockholdNode node) {
    try {
      HttpRequest request =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.managementPort() + "/ready"))
              .timeout(Duration.ofSeconds(3))
              .build();
      return HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  private static void await(BooleanSupplier condition, Duration limit, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(
          System.nanoTime() < deadline, "no " + what + " within " + limit.toSeconds() + " s");
      Thread.sleep(100);
    }
  }
}
