package io.stockhold.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.stockhold.api.grpc.v1.PointOfSaleClient;
import io.stockhold.api.grpc.v1.Pos;
import io.stockhold.node.StockholdNode;
import io.stockhold.testing.RunningNode;
import io.stockhold.testing.TestKeys;
import io.stockhold.testing.TestStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.LoggerFactory;

/**
 * Keys, scopes, locations and rate limits against a real node, over REST and gRPC. Subclasses pick
 * the store; every test uses locations of its own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class AccessContract {

  private static final ObjectMapper JSON = new ObjectMapper();

  private RunningNode running;
  private StockholdNode node;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  abstract TestStore.Kind storeKind();

  /** Every line the node logs while these tests run, the access log's included. */
  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

  private Level accessLogLevel;

  /** Every secret these tests made or used, to look for in the logs. */
  private final List<String> secrets = new ArrayList<>(List.of(TestKeys.MASTER));

  @BeforeAll
  void start() throws Exception {
    LoggerContext logging = (LoggerContext) LoggerFactory.getILoggerFactory();
    Logger access = logging.getLogger("io.stockhold.http.access");
    accessLogLevel = access.getLevel();
    logged.setContext(logging);
    logged.start();
    logging.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(logged);
    // The access log on, into the list only: thousands of lines need not reach the console.
    access.setLevel(Level.INFO);
    access.setAdditive(false);
    access.addAppender(logged);
    running = RunningNode.start(storeKind());
    node = running.node();
  }

  @AfterAll
  void stop() {
    if (running != null) running.close();
    LoggerContext logging = (LoggerContext) LoggerFactory.getILoggerFactory();
    logging.getLogger(Logger.ROOT_LOGGER_NAME).detachAppender(logged);
    Logger access = logging.getLogger("io.stockhold.http.access");
    access.detachAppender(logged);
    access.setAdditive(true);
    access.setLevel(accessLogLevel);
  }

  /** Runs last: by then every other test has made its keys and sent its requests. */
  @Test
  @Order(Integer.MAX_VALUE)
  void noSecretAppearsInAnyLogLine() {
    List<ILoggingEvent> lines;
    synchronized (logged) {
      lines = List.copyOf(logged.list);
    }
    assertTrue(
        lines.stream().anyMatch(e -> e.getLoggerName().equals("io.stockhold.http.access")),
        "the access log was captured");
    for (ILoggingEvent line : lines) {
      String text =
          line.getFormattedMessage()
              + (line.getThrowableProxy() == null ? "" : line.getThrowableProxy().getMessage());
      for (String secret : secrets) {
        assertFalse(text.contains(secret), "a secret in a log line: " + text);
      }
    }
  }

  record Answer(int status, JsonNode body, HttpResponse<String> raw) {
    String problem() {
      String type = body.path("type").asText();
      return type.substring(type.lastIndexOf('/') + 1);
    }

    @Override
    public String toString() {
      return status + " " + raw.body();
    }
  }

  /** A call with {@code key} (none when null). */
  Answer call(String key, String method, String path, String body, String... headers)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + path))
            .timeout(Duration.ofSeconds(20))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) request.header("Content-Type", "application/json");
    if (key != null) request.header("Authorization", TestKeys.bearer(key));
    for (int i = 0; i < headers.length; i += 2) request.header(headers[i], headers[i + 1]);
    HttpResponse<String> response =
        http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    JsonNode json = response.body().isEmpty() ? JSON.nullNode() : JSON.readTree(response.body());
    return new Answer(response.statusCode(), json, response);
  }

  /** A new key with these scopes (comma-separated) and, unless null, only these locations. */
  String newKey(String scopes, String locations, String extra) throws Exception {
    StringBuilder body = new StringBuilder("{\"name\":\"test key\",\"scopes\":[");
    String[] each = scopes.split(",");
    for (int i = 0; i < each.length; i++)
      body.append(i > 0 ? "," : "").append('"').append(each[i]).append('"');
    body.append(']');
    if (locations != null) {
      body.append(",\"locations\":[");
      String[] at = locations.split(",");
      for (int i = 0; i < at.length; i++)
        body.append(i > 0 ? "," : "").append('"').append(at[i]).append('"');
      body.append(']');
    }
    if (extra != null) body.append(',').append(extra);
    body.append('}');
    Answer created = call(TestKeys.MASTER, "POST", "/v1/keys", body.toString());
    assertEquals(201, created.status(), created.toString());
    String secret = created.body().path("key").asText();
    secrets.add(secret);
    return secret;
  }

  static String fresh(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  void stock(String location, String sku, long units) throws Exception {
    Answer stocked =
        call(
            TestKeys.MASTER,
            "POST",
            "/v1/stock/" + location + "/" + sku + "/adjustments",
            "{\"setOnHand\":" + units + ",\"reason\":\"count\"}");
    assertEquals(200, stocked.status(), stocked.toString());
  }

  long reserved(String location, String sku) throws Exception {
    return call(TestKeys.MASTER, "GET", "/v1/stock/" + location + "/" + sku, null)
        .body()
        .path("reserved")
        .asLong();
  }

  static String reservation(String channel, String... lines) {
    StringBuilder body = new StringBuilder("{\"channel\":\"" + channel + "\",\"lines\":[");
    for (int i = 0; i < lines.length; i++) {
      String[] l = lines[i].split("/");
      body.append(i > 0 ? "," : "")
          .append("{\"location\":\"")
          .append(l[0])
          .append("\",\"sku\":\"")
          .append(l[1])
          .append("\",\"quantity\":1}");
    }
    return body.append("]}").toString();
  }

  // ------------------------------------------------------------------ scopes

  @Test
  void aCheckoutKeyReservesAndReadsButCannotAdjustOrSetPolicy() throws Exception {
    String store = fresh("web");
    stock(store, "tv", 5);
    String checkout = newKey("reservations:write,stock:read", null, null);

    assertEquals(200, call(checkout, "GET", "/v1/stock/" + store + "/tv", null).status());
    assertEquals(
        201,
        call(checkout, "POST", "/v1/reservations", reservation("web", store + "/tv")).status());

    Answer adjust =
        call(
            checkout,
            "POST",
            "/v1/stock/" + store + "/tv/adjustments",
            "{\"delta\":-5,\"reason\":\"damage\"}");
    assertEquals(403, adjust.status(), adjust.toString());
    assertEquals("forbidden", adjust.problem());
    assertEquals("this key lacks the scope stock:write", adjust.body().path("detail").asText());
    Answer policy =
        call(
            checkout,
            "PUT",
            "/v1/stock/" + store + "/tv/policy",
            "{\"safetyStock\":0,\"reorderPoint\":0,\"reorderQuantity\":0}");
    assertEquals(403, policy.status(), policy.toString());
    Answer keys = call(checkout, "GET", "/v1/keys", null);
    assertEquals(403, keys.status(), "no keys:admin: " + keys);

    JsonNode level = call(TestKeys.MASTER, "GET", "/v1/stock/" + store + "/tv", null).body();
    assertEquals(5, level.path("onHand").asLong(), "the refused adjustment changed nothing");
  }

  @Test
  void aKeyThatMayNotReserveLearnsNothingOfPools() throws Exception {
    String reader = newKey("stock:read", null, null);
    String body =
        "{\"channel\":\"web\",\"lines\":[{\"pool\":\"no-such-pool\",\"sku\":\"tv\",\"quantity\":1}]}";
    Answer cart = call(reader, "POST", "/v1/reservations", body);
    assertEquals(
        403, cart.status(), "refused for its scope, not told the pool is missing: " + cart);
    assertEquals(
        "this key lacks the scope reservations:write", cart.body().path("detail").asText());
  }

  // ------------------------------------------------------------------ locations

  @Test
  void aStoreKeyCannotReadReserveOrListAnotherStoresStockNorHoldACartThatNamesIt()
      throws Exception {
    String mine = fresh("store7");
    String theirs = fresh("store8");
    stock(mine, "milk", 10);
    stock(theirs, "milk", 10);
    String till = newKey("reservations:write,stock:read", mine, null);

    assertEquals(200, call(till, "GET", "/v1/stock/" + mine + "/milk", null).status());
    Answer read = call(till, "GET", "/v1/stock/" + theirs + "/milk", null);
    assertEquals(403, read.status(), read.toString());
    assertEquals("this key may not touch location " + theirs, read.body().path("detail").asText());
    assertEquals(
        403, call(till, "GET", "/v1/stock/" + theirs + "/milk/history", null).status(), "history");

    Answer cart =
        call(
            till, "POST", "/v1/reservations", reservation("pos", mine + "/milk", theirs + "/milk"));
    assertEquals(403, cart.status(), cart.toString());
    assertEquals(0, reserved(mine, "milk"), "nothing held of a refused cart");
    assertEquals(0, reserved(theirs, "milk"));

    Answer filtered = call(till, "GET", "/v1/stock?location=" + theirs, null);
    assertEquals(403, filtered.status(), filtered.toString());
    // Without a filter the key sees its own location only (the read model trails a little).
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    JsonNode rows;
    do {
      rows = call(till, "GET", "/v1/stock?limit=1000", null).body().path("items");
      if (!rows.isEmpty()) break;
      Thread.sleep(100);
    } while (System.nanoTime() < deadline);
    assertFalse(rows.isEmpty(), "the key's own item is listed");
    for (JsonNode row : rows) assertEquals(mine, row.path("location").asText(), row.toString());
  }

  // ------------------------------------------------------------------ idempotency

  @Test
  void twoKeysWithTheSameIdempotencyKeyGetIndependentReservations() throws Exception {
    String store = fresh("shared");
    stock(store, "tv", 5);
    String a = newKey("reservations:write", null, null);
    String b = newKey("reservations:write", null, null);
    String body = reservation("web", store + "/tv");

    Answer first = call(a, "POST", "/v1/reservations", body, "Idempotency-Key", "order-1");
    Answer second = call(b, "POST", "/v1/reservations", body, "Idempotency-Key", "order-1");
    Answer retry = call(a, "POST", "/v1/reservations", body, "Idempotency-Key", "order-1");

    assertEquals(201, first.status(), first.toString());
    assertEquals(201, second.status(), second.toString());
    assertNotEquals(
        first.body().path("reservationId").asText(), second.body().path("reservationId").asText());
    assertEquals(
        first.body().path("reservationId").asText(),
        retry.body().path("reservationId").asText(),
        "a retry with the same key is the same reservation");
    assertEquals(2, reserved(store, "tv"), "one hold each, the retry none");
  }

  // ------------------------------------------------------------------ ownership

  @Test
  void aKeyCannotSeeOrChangeAnotherKeysReservationWithoutTheAdminScope() throws Exception {
    String store = fresh("own");
    stock(store, "tv", 5);
    stock(store, "cable", 5);
    String a = newKey("reservations:write,reservations:read", null, null);
    String b = newKey("reservations:write,reservations:read", null, null);
    String admin = newKey("reservations:read,reservations:admin", null, null);
    String one =
        call(a, "POST", "/v1/reservations", reservation("web", store + "/tv"))
            .body()
            .path("reservationId")
            .asText();
    String cart =
        call(a, "POST", "/v1/reservations", reservation("web", store + "/tv", store + "/cable"))
            .body()
            .path("reservationId")
            .asText();

    for (String id : List.of(one, cart)) {
      for (String[] op :
          List.of(
              new String[] {"GET", "", null},
              new String[] {"POST", "/commit", null},
              new String[] {"POST", "/release", null},
              new String[] {"POST", "/extend", "{\"ttlSeconds\":60}"})) {
        Answer refused = call(b, op[0], "/v1/reservations/" + id + op[1], op[2]);
        assertEquals(404, refused.status(), op[0] + op[1] + " " + refused);
        assertEquals("reservation-not-found", refused.problem());
      }
      assertEquals(200, call(admin, "GET", "/v1/reservations/" + id, null).status(), "admin");
      assertEquals(
          "held", call(a, "GET", "/v1/reservations/" + id, null).body().path("status").asText());
    }
    assertEquals(3, reserved(store, "tv") + reserved(store, "cable"), "nothing released by b");
    Answer committed = call(a, "POST", "/v1/reservations/" + cart + "/commit", null);
    assertEquals("committed", committed.body().path("status").asText(), committed.toString());

    PointOfSaleClient other = pos(newKey("pos,reservations:write", null, null));
    try {
      assertEquals(
          Status.Code.NOT_FOUND,
          code(other.release(Pos.ReservationRef.newBuilder().setReservationId(one).build())));
    } finally {
      other.close().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    assertEquals(
        "held", call(a, "GET", "/v1/reservations/" + one, null).body().path("status").asText());
  }

  // ------------------------------------------------------------------ audit

  /** The item's history as {@code type actor} lines, oldest first. */
  private List<String> actors(String location, String sku) throws Exception {
    List<String> lines = new ArrayList<>();
    for (JsonNode e :
        call(TestKeys.MASTER, "GET", "/v1/stock/" + location + "/" + sku + "/history", null)
            .body()
            .path("items")) {
      lines.add(e.path("type").asText() + " " + e.path("actor").asText("(none)"));
    }
    return lines;
  }

  @Test
  void everyEventNamesItsActorInTheHistory() throws Exception {
    String store = fresh("audit");
    String writer = newKey("stock:write", null, null);
    String buyer = newKey("reservations:write", null, null);
    String writerId = writer.substring(4, 20);
    String buyerId = buyer.substring(4, 20);
    stock(store, "tv", 5);
    Answer policy =
        call(
            writer,
            "PUT",
            "/v1/stock/" + store + "/tv/policy",
            "{\"safetyStock\":0,\"reorderPoint\":2,\"reorderQuantity\":10}");
    assertEquals(200, policy.status(), policy.toString());
    String id =
        call(buyer, "POST", "/v1/reservations", reservation("web", store + "/tv"))
            .body()
            .path("reservationId")
            .asText();
    assertEquals(200, call(buyer, "POST", "/v1/reservations/" + id + "/commit", null).status());
    // Two more units held for a second: available falls to the reorder point, then they lapse.
    Answer brief =
        call(
            buyer,
            "POST",
            "/v1/reservations",
            "{\"channel\":\"web\",\"ttlSeconds\":1,\"lines\":[{\"location\":\""
                + store
                + "\",\"sku\":\"tv\",\"quantity\":2}]}");
    assertEquals(201, brief.status(), brief.toString());

    List<String> expected =
        List.of(
            "stock-adjusted master",
            "policy-changed " + writerId,
            "hold-placed " + buyerId,
            "hold-committed " + buyerId,
            "hold-placed " + buyerId,
            "low-stock-crossed " + buyerId,
            "hold-expired system");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    List<String> seen = actors(store, "tv");
    while (seen.size() < expected.size() && System.nanoTime() < deadline) {
      Thread.sleep(200);
      seen = actors(store, "tv");
    }
    assertEquals(expected, seen);
  }

  // ------------------------------------------------------------------ rate limits

  @Test
  void aKeyOverItsRateIsTurnedAwayWithRetryAfterAndOthersAreNot() throws Exception {
    String store = fresh("rate");
    stock(store, "pen", 1);
    int rate = 50;
    String limited =
        newKey("stock:read", null, "\"rateLimit\":{\"requestsPerSecond\":" + rate + "}");
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger turnedAway = new AtomicInteger();
    AtomicInteger other = new AtomicInteger();
    List<String> retryAfter = new ArrayList<>();
    String path = "/v1/stock/" + store + "/pen";
    ExecutorService pool = Executors.newFixedThreadPool(16);
    long began = System.nanoTime();
    long end = began + TimeUnit.SECONDS.toNanos(2);
    try {
      List<Future<?>> callers = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        callers.add(
            pool.submit(
                () -> {
                  while (System.nanoTime() < end) {
                    Answer a = call(limited, "GET", path, null);
                    if (a.status() == 200) ok.incrementAndGet();
                    else if (a.status() == 429) {
                      turnedAway.incrementAndGet();
                      synchronized (retryAfter) {
                        retryAfter.add(a.raw().headers().firstValue("Retry-After").orElse(null));
                      }
                    } else other.incrementAndGet();
                  }
                  return null;
                }));
      }
      // Meanwhile the master key is served as usual.
      for (int i = 0; i < 20; i++) {
        assertEquals(200, call(TestKeys.MASTER, "GET", path, null).status(), "another key");
      }
      for (Future<?> caller : callers) caller.get(30, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
    double seconds = (System.nanoTime() - began) / 1e9;
    int sent = ok.get() + turnedAway.get() + other.get();
    assertEquals(0, other.get(), "only 200 or 429");
    assertTrue(sent > rate * seconds * 3, "the key was driven well over its rate: " + sent);
    // The bucket starts full (rate tokens), then refills at rate per second.
    double allowed = rate + rate * seconds;
    assertTrue(
        ok.get() <= allowed * 1.2 && ok.get() >= allowed * 0.8,
        "served " + ok.get() + " of " + sent + " in " + seconds + " s; allowed about " + allowed);
    assertTrue(turnedAway.get() > 0);
    for (String seconds429 : retryAfter) {
      assertNotNull(seconds429, "Retry-After on every 429");
      assertTrue(Integer.parseInt(seconds429) >= 1);
    }
  }

  // ------------------------------------------------------------------ guessing keys

  @Test
  void tenThousandGuessedKeysAreAllRefusedAndTheNodeStaysResponsive() throws Exception {
    String store = fresh("guess");
    stock(store, "pen", 1);
    String path = "/v1/stock/" + store + "/pen";
    String reader = newKey("stock:read", null, null);
    AtomicInteger refused = new AtomicInteger();
    AtomicInteger otherwise = new AtomicInteger();
    AtomicInteger next = new AtomicInteger();
    ExecutorService attackers = Executors.newFixedThreadPool(8);
    List<Long> readMicros = new ArrayList<>();
    try {
      List<Future<?>> attack = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        attack.add(
            attackers.submit(
                () -> {
                  while (next.getAndIncrement() < 10_000) {
                    String guess =
                        "shk_"
                            + UUID.randomUUID().toString().replace("-", "").substring(0, 16)
                            + "_"
                            + UUID.randomUUID();
                    if (call(guess, "GET", path, null).status() == 401) refused.incrementAndGet();
                    else otherwise.incrementAndGet();
                  }
                  return null;
                }));
      }
      while (next.get() < 10_000) {
        long began = System.nanoTime();
        assertEquals(200, call(reader, "GET", path, null).status(), "the valid key is served");
        readMicros.add((System.nanoTime() - began) / 1_000);
      }
      for (Future<?> a : attack) a.get(120, TimeUnit.SECONDS);
    } finally {
      attackers.shutdownNow();
    }
    assertEquals(10_000, refused.get() + otherwise.get());
    assertEquals(0, otherwise.get(), "every guess refused");
    List<Long> sorted = readMicros.stream().sorted().toList();
    long p99 = sorted.get((int) Math.ceil(sorted.size() * 0.99) - 1);
    System.out.printf(
        "guessing: 10,000 random keys all 401; a valid key's reads during it: %d, p50 %.1f ms,"
            + " p99 %.1f ms%n",
        sorted.size(), sorted.get(sorted.size() / 2) / 1000.0, p99 / 1000.0);
    assertTrue(p99 < 1_000_000, "a valid key's p99 stays under a second: " + p99 + " µs");
  }

  // ------------------------------------------------------------------ the keys API

  @Test
  void keysAreCreatedListedWithoutTheirSecretAndRevoked() throws Exception {
    Answer created =
        call(
            TestKeys.MASTER,
            "POST",
            "/v1/keys",
            "{\"name\":\"till 3\",\"scopes\":[\"pos\",\"stock:read\"],\"locations\":[\"store-7\"],"
                + "\"rateLimit\":{\"requestsPerSecond\":20}}");
    assertEquals(201, created.status(), created.toString());
    String keyId = created.body().path("keyId").asText();
    String secret = created.body().path("key").asText();
    secrets.add(secret);
    assertTrue(secret.startsWith("shk_" + keyId + "_"), secret);
    assertEquals("/v1/keys/" + keyId, created.raw().headers().firstValue("Location").orElseThrow());
    assertEquals(20, created.body().path("rateLimit").path("requestsPerSecond").asInt());

    Answer list = call(TestKeys.MASTER, "GET", "/v1/keys", null);
    assertEquals(200, list.status());
    assertFalse(list.raw().body().contains(secret.substring(21)), "no secret in the list");
    Answer one = call(TestKeys.MASTER, "GET", "/v1/keys/" + keyId, null);
    assertEquals("till 3", one.body().path("name").asText());
    assertTrue(one.body().path("key").isMissingNode(), one.toString());

    Answer beforeRevoke = call(secret, "GET", "/v1/stock/store-7/anything", null);
    assertEquals(404, beforeRevoke.status(), "served (an item never stocked): " + beforeRevoke);
    assertEquals(204, call(TestKeys.MASTER, "DELETE", "/v1/keys/" + keyId, null).status());
    Answer afterRevoke = call(secret, "GET", "/v1/stock/store-7/anything", null);
    assertEquals(401, afterRevoke.status(), "refused at once on the node that revoked it");
    assertEquals("Bearer", afterRevoke.raw().headers().firstValue("WWW-Authenticate").orElse(null));
    assertNotNull(
        call(TestKeys.MASTER, "GET", "/v1/keys/" + keyId, null)
            .body()
            .path("revokedAt")
            .textValue());
    assertEquals(404, call(TestKeys.MASTER, "DELETE", "/v1/keys/ffffffffffffffff", null).status());
  }

  @Test
  void aBadKeyRequestNamesEachBadField() throws Exception {
    Answer bad =
        call(
            TestKeys.MASTER,
            "POST",
            "/v1/keys",
            "{\"name\":\"\",\"scopes\":[\"stock:delete\"],\"locations\":[\"no.dots\"],"
                + "\"expiresAt\":\"tomorrow\",\"rateLimit\":{\"requestsPerSecond\":0},\"x\":1}");
    assertEquals(400, bad.status(), bad.toString());
    List<String> pointers = new ArrayList<>();
    bad.body().path("errors").forEach(e -> pointers.add(e.path("pointer").asText()));
    assertEquals(
        List.of(
            "/x",
            "/name",
            "/scopes/0",
            "/locations/0",
            "/expiresAt",
            "/rateLimit/requestsPerSecond"),
        pointers);
  }

  // ------------------------------------------------------------------ gRPC

  /** A gRPC-Web GetStock of {@code location}/pen with {@code key} (none when null): its status. */
  private String grpcWebStatus(String key, String location) throws Exception {
    byte[] message =
        Pos.StockRef.newBuilder().setLocation(location).setSku("pen").build().toByteArray();
    byte[] frame = new byte[5 + message.length];
    frame[4] = (byte) message.length;
    System.arraycopy(message, 0, frame, 5, message.length);
    HttpRequest.Builder request =
        HttpRequest.newBuilder(
                URI.create(
                    "http://127.0.0.1:"
                        + node.httpPort()
                        + "/stockhold.pos.v1.PointOfSale/GetStock"))
            .timeout(Duration.ofSeconds(20))
            .header("Content-Type", "application/grpc-web+proto")
            .header("X-Grpc-Web", "1")
            .POST(HttpRequest.BodyPublishers.ofByteArray(frame));
    if (key != null) request.header("Authorization", TestKeys.bearer(key));
    HttpResponse<byte[]> response =
        http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, response.statusCode());
    // Trailers-only answers carry the status as a header; others in a trailer frame of the body.
    return response
        .headers()
        .firstValue("grpc-status")
        .orElseGet(
            () -> {
              String body = new String(response.body(), StandardCharsets.ISO_8859_1);
              int at = body.indexOf("grpc-status:");
              return at < 0 ? "none" : body.substring(at + 12).split("\\r?\\n")[0].strip();
            });
  }

  @Test
  void gRpcWebCallsNeedAKeyAndKeepToTheKeysLocations() throws Exception {
    String mine = fresh("web7");
    stock(mine, "pen", 3);
    String till = newKey("pos,stock:read", mine, null);
    assertEquals("16", grpcWebStatus(null, mine), "UNAUTHENTICATED without a key");
    assertEquals("16", grpcWebStatus("shk_0123456789abcdef_guess", mine));
    assertEquals("0", grpcWebStatus(till, mine));
    assertEquals("7", grpcWebStatus(till, fresh("web8")), "PERMISSION_DENIED elsewhere");
  }

  private PointOfSaleClient pos(String key) {
    return PointOfSaleClient.create(
        GrpcClientSettings.connectToServiceAt("127.0.0.1", node.httpPort(), node.system())
            .withTls(false)
            .withCallCredentials(TestKeys.grpc(key)),
        node.system());
  }

  private static Status.Code code(CompletionStage<?> call) {
    try {
      call.toCompletableFuture().get(20, TimeUnit.SECONDS);
      return Status.Code.OK;
    } catch (Exception e) {
      Throwable cause = e.getCause() instanceof CompletionException c ? c.getCause() : e.getCause();
      if (cause instanceof StatusRuntimeException s) return s.getStatus().getCode();
      throw new AssertionError("not a gRPC status", e);
    }
  }

  @Test
  void aStoreTillCannotTouchAnotherStoreOverGrpcNorWorkWithoutThePosScope() throws Exception {
    String mine = fresh("till7");
    String theirs = fresh("till8");
    stock(mine, "eggs", 10);
    stock(theirs, "eggs", 10);
    String till = newKey("pos,reservations:write,stock:read", mine, null);
    String noPos = newKey("reservations:write,stock:read", mine, null);
    PointOfSaleClient client = pos(till);
    PointOfSaleClient withoutPos = pos(noPos);
    try {
      Pos.StockRef own = Pos.StockRef.newBuilder().setLocation(mine).setSku("eggs").build();
      Pos.StockRef other = Pos.StockRef.newBuilder().setLocation(theirs).setSku("eggs").build();
      assertEquals(Status.Code.OK, code(client.getStock(own)));
      assertEquals(Status.Code.PERMISSION_DENIED, code(client.getStock(other)));
      assertEquals(Status.Code.PERMISSION_DENIED, code(withoutPos.getStock(own)), "no pos scope");

      Pos.ReserveRequest cart =
          Pos.ReserveRequest.newBuilder()
              .addLines(Pos.Line.newBuilder().setLocation(mine).setSku("eggs").setQuantity(1))
              .addLines(Pos.Line.newBuilder().setLocation(theirs).setSku("eggs").setQuantity(1))
              .build();
      assertEquals(Status.Code.PERMISSION_DENIED, code(client.reserve(cart)));
      assertEquals(0, reserved(mine, "eggs"), "nothing held");

      CompletionStage<List<Pos.StockLevel>> watch =
          client
              .watchStock(Pos.WatchStockRequest.newBuilder().setLocation(theirs).build())
              .runWith(Sink.seq(), node.system());
      assertEquals(Status.Code.PERMISSION_DENIED, code(watch));

      Pos.OfflineSale sale =
          Pos.OfflineSale.newBuilder()
              .setSaleId(fresh("sale"))
              .setTerminalId("till-3")
              .setLocation(theirs)
              .setSku("eggs")
              .setQuantity(1)
              .setSoldAtEpochMs(System.currentTimeMillis())
              .build();
      assertEquals(
          Status.Code.PERMISSION_DENIED, code(client.syncOfflineSales(Source.single(sale))));
      JsonNode level = call(TestKeys.MASTER, "GET", "/v1/stock/" + theirs + "/eggs", null).body();
      assertEquals(10, level.path("onHand").asLong(), "no sale recorded at the other store");
    } finally {
      client.close().toCompletableFuture().get(10, TimeUnit.SECONDS);
      withoutPos.close().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
