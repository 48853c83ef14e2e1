package io.stockhold.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.stockhold.testing.TestCluster;
import io.stockhold.testing.TestKeys;
import io.stockhold.testing.TestStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Keys are cluster-wide: a key made on one node is honoured on the others, and a key revoked on one
 * node is refused by the others, each within 5 s. Three node processes on one PostgreSQL.
 */
class AccessClusterIT {

  private static final Duration WITHIN = Duration.ofSeconds(5);

  private final HttpClient http =
      // HTTP/1.1, as REST clients speak it. The JDK's default asks to upgrade to h2c on the first
      // request; the node then once answered an adjustment before its body had arrived, closed the
      // connection after that early response, and the next request on it failed with an EOF.
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  private int status(int port, String method, String path, String key, String body)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10))
            .header("Authorization", TestKeys.bearer(key))
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    return http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  /**
   * How long after {@code since} (System.nanoTime) {@code port} answers a read with {@code key}
   * with {@code expected}.
   */
  private Duration until(int port, String key, int expected, long since) throws Exception {
    long deadline = since + Duration.ofSeconds(30).toNanos();
    while (status(port, "GET", "/v1/stock/keys-store/pen", key, null) != expected) {
      assertTrue(System.nanoTime() < deadline, "port " + port + " never answered " + expected);
      Thread.sleep(50);
    }
    return Duration.ofNanos(System.nanoTime() - since);
  }

  @Test
  void aKeyMadeOrRevokedOnOneNodeIsHonouredOrRefusedOnTheOthersWithinFiveSeconds()
      throws Exception {
    try (TestStore store = TestStore.create(TestStore.Kind.POSTGRES);
        TestCluster cluster = TestCluster.start(store, "access", 3)) {
      List<Integer> ports = cluster.httpPorts();
      int first = ports.get(0);
      assertEquals(
          200,
          status(
              first,
              "POST",
              "/v1/stock/keys-store/pen/adjustments",
              TestKeys.MASTER,
              "{\"setOnHand\":3,\"reason\":\"count\"}"));
      HttpRequest create =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + first + "/v1/keys"))
              .header("Authorization", TestKeys.bearer(TestKeys.MASTER))
              .header("Content-Type", "application/json")
              .POST(
                  HttpRequest.BodyPublishers.ofString(
                      "{\"name\":\"till\",\"scopes\":[\"stock:read\"]}"))
              .build();
      long madeAt = System.nanoTime();
      HttpResponse<String> created = http.send(create, HttpResponse.BodyHandlers.ofString());
      assertEquals(201, created.statusCode(), created.body());
      var body = new ObjectMapper().readTree(created.body());
      String key = body.path("key").asText();
      String keyId = body.path("keyId").asText();

      for (int port : ports) {
        Duration known = until(port, key, 200, madeAt);
        assertTrue(known.compareTo(WITHIN) <= 0, "honoured on " + port + " after " + known);
      }

      long revokedAt = System.nanoTime();
      assertEquals(204, status(first, "DELETE", "/v1/keys/" + keyId, TestKeys.MASTER, null));
      assertEquals(401, status(first, "GET", "/v1/stock/keys-store/pen", key, null), "at once");
      for (int port : ports.subList(1, ports.size())) {
        Duration refused = until(port, key, 401, revokedAt);
        assertTrue(refused.compareTo(WITHIN) <= 0, "refused on " + port + " after " + refused);
      }
    }
  }
}
