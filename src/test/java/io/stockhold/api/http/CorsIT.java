package io.stockhold.api.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.stockhold.node.StockholdNode;
import io.stockhold.testing.TestKeys;
import io.stockhold.testing.TestNodes;
import io.stockhold.testing.TestStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Browsers of the configured origins may call the port, REST and gRPC-Web alike; others may not.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CorsIT {

  private static final String ALLOWED = "https://pos.example.com";
  private static final String OTHER = "https://evil.example.net";

  private TestStore store;
  private StockholdNode node;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  @BeforeAll
  void start() throws Exception {
    store = TestStore.create(TestStore.Kind.H2);
    node =
        TestNodes.start(
            store,
            ConfigFactory.parseMap(
                Map.of(
                    "stockhold.http.cors.allowed-origins",
                    ALLOWED + ", https://admin.example.com")));
  }

  @AfterAll
  void stop() {
    if (node != null) node.close();
    if (store != null) store.close();
  }

  private HttpResponse<String> send(String method, String path, Map<String, String> headers)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + path))
            .timeout(Duration.ofSeconds(10))
            .method(method, HttpRequest.BodyPublishers.noBody());
    headers.forEach(request::header);
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static Optional<String> header(HttpResponse<?> response, String name) {
    return response.headers().firstValue(name);
  }

  @Test
  void aPreflightFromAnAllowedOriginIsAnsweredWithoutAKey() throws Exception {
    for (String path :
        new String[] {"/v1/reservations", "/stockhold.pos.v1.PointOfSale/GetStock"}) {
      HttpResponse<String> preflight =
          send(
              "OPTIONS",
              path,
              Map.of(
                  "Origin", ALLOWED,
                  "Access-Control-Request-Method", "POST",
                  "Access-Control-Request-Headers", "authorization,content-type,x-grpc-web"));
      assertEquals(204, preflight.statusCode(), path + " " + preflight.body());
      assertEquals(Optional.of(ALLOWED), header(preflight, "Access-Control-Allow-Origin"));
      String allowedHeaders = header(preflight, "Access-Control-Allow-Headers").orElse("");
      for (String needed : new String[] {"Authorization", "Content-Type", "X-Grpc-Web"}) {
        assertTrue(allowedHeaders.contains(needed), needed + " in " + allowedHeaders);
      }
      assertTrue(header(preflight, "Access-Control-Allow-Methods").orElse("").contains("POST"));
    }
  }

  @Test
  void aPreflightFromAnotherOriginIsRefusedWithoutCorsHeaders() throws Exception {
    HttpResponse<String> preflight =
        send(
            "OPTIONS",
            "/v1/reservations",
            Map.of("Origin", OTHER, "Access-Control-Request-Method", "POST"));
    assertEquals(403, preflight.statusCode());
    assertEquals(Optional.empty(), header(preflight, "Access-Control-Allow-Origin"));
  }

  @Test
  void answersToAnAllowedOriginSaySoAndStillNeedAKey() throws Exception {
    HttpResponse<String> withKey =
        send(
            "GET",
            "/v1/stock/cors-store/pen",
            Map.of("Origin", ALLOWED, "Authorization", TestKeys.bearer(TestKeys.MASTER)));
    assertEquals(404, withKey.statusCode(), "served: the item was never stocked");
    assertEquals(Optional.of(ALLOWED), header(withKey, "Access-Control-Allow-Origin"));
    assertTrue(
        header(withKey, "Access-Control-Expose-Headers").orElse("").contains("X-Request-Id"));

    HttpResponse<String> withoutKey =
        send("GET", "/v1/stock/cors-store/pen", Map.of("Origin", ALLOWED));
    assertEquals(401, withoutKey.statusCode());
    assertEquals(
        Optional.of(ALLOWED),
        header(withoutKey, "Access-Control-Allow-Origin"),
        "the browser may read why it was refused");

    HttpResponse<String> other =
        send(
            "GET",
            "/v1/stock/cors-store/pen",
            Map.of("Origin", OTHER, "Authorization", TestKeys.bearer(TestKeys.MASTER)));
    assertEquals(Optional.empty(), header(other, "Access-Control-Allow-Origin"));
  }
}
