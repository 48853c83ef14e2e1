package io.stockhold.api.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.stockhold.api.grpc.v1.PointOfSaleClient;
import io.stockhold.api.grpc.v1.Pos;
import io.stockhold.api.grpc.v1.Pos.ReservationStatus;
import io.stockhold.node.StockholdNode;
import io.stockhold.testing.Client;
import io.stockhold.testing.TestKeys;
import io.stockhold.testing.TestNodes;
import io.stockhold.testing.TestStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.apache.pekko.NotUsed;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.grpc.javadsl.MetadataBuilder;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.SinkQueueWithCancel;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The POS bridge end to end: the client generated from pos.proto against a real node (HTTP/2
 * cleartext on the REST port, embedded store), every RPC and every status code, with REST on the
 * same port changing the same stock.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PointOfSaleIT {

  private TestStore store;
  private StockholdNode node;
  private Client rest;
  private PointOfSaleClient pos;
  private int counter;

  @BeforeAll
  void start() throws Exception {
    store = TestStore.create(TestStore.Kind.H2);
    // A short request timeout, to prove that long-lived gRPC streams are not bound by it.
    node =
        TestNodes.start(
            store,
            ConfigFactory.parseMap(
                Map.of(
                    "pekko.http.server.request-timeout", "5s",
                    "stockhold.ask-timeout", "3s",
                    "stockhold.reservations.ask-timeout", "4s")));
    rest = new Client(node.httpPort());
    pos = client(node);
  }

  static PointOfSaleClient client(StockholdNode node) {
    return PointOfSaleClient.create(
        GrpcClientSettings.connectToServiceAt("127.0.0.1", node.httpPort(), node.system())
            .withTls(false)
            .withCallCredentials(TestKeys.grpc(TestKeys.MASTER)),
        node.system());
  }

  @AfterAll
  void stop() throws Exception {
    if (pos != null) pos.close().toCompletableFuture().get(10, TimeUnit.SECONDS);
    if (node != null) node.close();
    if (store != null) store.close();
  }

  /** A location of the test's own, so tests do not see each other's stock. */
  private String freshLocation() {
    return "store-" + (++counter) + "-" + Long.toString(System.nanoTime() % 1_000_000, 36);
  }

  private static <T> T await(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(20, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new CompletionException(e.getCause());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** The status a call failed with, and its description. */
  private static Status failure(CompletionStage<?> stage) {
    try {
      Object value = stage.toCompletableFuture().get(20, TimeUnit.SECONDS);
      throw new AssertionError("expected a failure, got " + value);
    } catch (ExecutionException e) {
      return assertInstanceOf(StatusRuntimeException.class, e.getCause(), e.getCause().toString())
          .getStatus();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static void assertStatus(Status.Code code, String mentions, Status status) {
    assertEquals(code, status.getCode(), status.toString());
    assertTrue(
        status.getDescription() != null && status.getDescription().contains(mentions),
        () -> "'" + status.getDescription() + "' should mention '" + mentions + "'");
  }

  private static Pos.Line line(String location, String sku, long quantity) {
    return Pos.Line.newBuilder().setLocation(location).setSku(sku).setQuantity(quantity).build();
  }

  private static Pos.ReserveRequest reserve(String requestId, int ttlSeconds, Pos.Line... lines) {
    return Pos.ReserveRequest.newBuilder()
        .setRequestId(requestId)
        .setTerminalId("till-1")
        .addAllLines(List.of(lines))
        .setTtlSeconds(ttlSeconds)
        .build();
  }

  private static Pos.ReservationRef ref(String reservationId) {
    return Pos.ReservationRef.newBuilder().setReservationId(reservationId).build();
  }

  private Pos.StockLevel stock(String location, String sku) {
    return await(pos.getStock(Pos.StockRef.newBuilder().setLocation(location).setSku(sku).build()));
  }

  private void stockOverRest(String location, String sku, long onHand) {
    Client.Response r = rest.stock(location, sku, onHand);
    assertEquals(200, r.status(), r.toString());
  }

  // ================================================================== reserve, commit, release

  @Nested
  class Reservations {

    @Test
    void reserveCommitAndReleaseMoveTheSameStockAsRest() {
      String loc = freshLocation();
      stockOverRest(loc, "milk", 10);

      Pos.Reservation held = await(pos.reserve(reserve("r-1", 60, line(loc, "milk", 3))));
      assertEquals(ReservationStatus.RESERVATION_STATUS_HELD, held.getStatus());
      assertEquals(List.of(line(loc, "milk", 3)), held.getLinesList());
      assertEquals(7, stock(loc, "milk").getAvailable());
      // The reservation is the same one REST sees, on channel pos.
      JsonNode overRest = rest.get("/v1/reservations/" + held.getReservationId()).json();
      assertEquals("pos", overRest.get("channel").asText());
      assertEquals("held", overRest.get("status").asText());

      Pos.Reservation committed = await(pos.commit(ref(held.getReservationId())));
      assertEquals(ReservationStatus.RESERVATION_STATUS_COMMITTED, committed.getStatus());
      Pos.StockLevel after = stock(loc, "milk");
      assertEquals(
          List.of(7L, 0L, 7L),
          List.of(after.getOnHand(), after.getReserved(), after.getAvailable()));
      // A commit retried answers the same.
      assertEquals(committed, await(pos.commit(ref(held.getReservationId()))));

      Pos.Reservation second = await(pos.reserve(reserve("r-2", 60, line(loc, "milk", 2))));
      Pos.Reservation released = await(pos.release(ref(second.getReservationId())));
      assertEquals(ReservationStatus.RESERVATION_STATUS_RELEASED, released.getStatus());
      assertEquals(7, stock(loc, "milk").getAvailable());
    }

    @Test
    void ttlZeroMeansThePosDefaultOfTwoMinutes() {
      String loc = freshLocation();
      stockOverRest(loc, "bread", 5);
      long before = Instant.now().toEpochMilli();

      Pos.Reservation held = await(pos.reserve(reserve("", 0, line(loc, "bread", 1))));

      long ttlMs = held.getExpiresAtEpochMs() - before;
      assertTrue(ttlMs > 115_000 && ttlMs <= 121_000, "expires " + ttlMs + " ms after the call");
    }

    @Test
    void aCartOfSeveralLinesIsHeldAllOrNothingAndCommitted() {
      String loc = freshLocation();
      stockOverRest(loc, "a", 5);
      stockOverRest(loc, "b", 1);

      Status refused =
          failure(pos.reserve(reserve("cart-1", 60, line(loc, "a", 2), line(loc, "b", 2))));
      assertStatus(Status.Code.FAILED_PRECONDITION, loc + "/b requested 2, available 1", refused);
      assertEquals(5, stock(loc, "a").getAvailable(), "nothing held when one line is short");

      Pos.Reservation held =
          await(pos.reserve(reserve("cart-2", 60, line(loc, "a", 2), line(loc, "b", 1))));
      assertEquals(ReservationStatus.RESERVATION_STATUS_HELD, held.getStatus());
      assertEquals(2, held.getLinesCount());
      Pos.Reservation committed = await(pos.commit(ref(held.getReservationId())));
      assertEquals(ReservationStatus.RESERVATION_STATUS_COMMITTED, committed.getStatus());
      assertEquals(3, stock(loc, "a").getOnHand());
      assertEquals(0, stock(loc, "b").getOnHand());
      assertStatus(
          Status.Code.FAILED_PRECONDITION,
          "reservation-committed",
          failure(pos.release(ref(held.getReservationId()))));
    }
  }

  // ================================================================== idempotency

  @Nested
  class Idempotency {

    @Test
    void theSameRequestIdReplaysTheFirstReservationAndHoldsOnce() {
      String loc = freshLocation();
      stockOverRest(loc, "eggs", 10);
      Pos.ReserveRequest request = reserve("till-1-sale-77", 60, line(loc, "eggs", 4));

      Pos.Reservation first = await(pos.reserve(request));
      Pos.Reservation again = await(pos.reserve(request));

      assertEquals(first, again);
      assertEquals(4, stock(loc, "eggs").getReserved(), "held once");
    }

    @Test
    void aRequestIdReusedForAnotherRequestIsAnInvalidArgument() {
      String loc = freshLocation();
      stockOverRest(loc, "eggs", 10);
      await(pos.reserve(reserve("k-1", 60, line(loc, "eggs", 4))));

      Status reused = failure(pos.reserve(reserve("k-1", 60, line(loc, "eggs", 5))));

      assertStatus(Status.Code.INVALID_ARGUMENT, "request_id", reused);
      assertEquals(4, stock(loc, "eggs").getReserved());
    }

    @Test
    void aRequestIdAndARestIdempotencyKeyAreOneKeySpace() {
      String loc = freshLocation();
      stockOverRest(loc, "eggs", 10);
      Pos.Reservation overGrpc =
          await(pos.reserve(reserve("shared-key-1", 0, line(loc, "eggs", 2))));

      // The same request over REST: same key, the same body with the POS default made explicit.
      String body =
          "{\"channel\":\"pos\",\"lines\":[{\"location\":\""
              + loc
              + "\",\"sku\":\"eggs\",\"quantity\":2}],\"ttlSeconds\":120}";
      Client.Response overRest =
          rest.post("/v1/reservations", body, Map.of("Idempotency-Key", "shared-key-1"));

      assertEquals(201, overRest.status(), overRest.toString());
      assertEquals(overGrpc.getReservationId(), overRest.json().get("reservationId").asText());
      assertEquals(2, stock(loc, "eggs").getReserved(), "held once across both transports");
    }

    @Test
    void aTillReservesFromAPoolAndHearsWhereTheUnitsCameFrom() {
      String north = freshLocation();
      String south = freshLocation();
      stockOverRest(north, "kettle", 1);
      stockOverRest(south, "kettle", 4);
      String pool = freshLocation();
      Client.Response made =
          rest.put("/v1/pools/" + pool, "{\"locations\":[\"" + north + "\",\"" + south + "\"]}");
      assertEquals(200, made.status(), made.toString());
      Pos.Line fromPool =
          Pos.Line.newBuilder().setPool(pool).setSku("kettle").setQuantity(3).build();
      Pos.Reservation held =
          await(
              pos.reserve(
                  Pos.ReserveRequest.newBuilder()
                      .setRequestId("pool-1")
                      .setTerminalId("till-1")
                      .addLines(fromPool)
                      .setTtlSeconds(60)
                      .build()));
      assertEquals(1, held.getLinesCount());
      assertEquals(pool, held.getLines(0).getPool());
      assertEquals(south, held.getLines(0).getAllocations(0).getLocation());
      assertEquals(3, held.getLines(0).getAllocations(0).getQuantity());
      Pos.Line noSplit = fromPool.toBuilder().setQuantity(2).setSplit(false).build();
      assertStatus(
          Status.Code.FAILED_PRECONDITION,
          "pool " + pool + "/kettle requested 2, available 2",
          failure(
              pos.reserve(
                  Pos.ReserveRequest.newBuilder()
                      .setRequestId("pool-2")
                      .setTerminalId("till-1")
                      .addLines(noSplit)
                      .build())));
      assertStatus(
          Status.Code.NOT_FOUND,
          "pool-not-found",
          failure(
              pos.reserve(
                  Pos.ReserveRequest.newBuilder()
                      .setTerminalId("till-1")
                      .addLines(fromPool.toBuilder().setPool("no-such-pool"))
                      .build())));
    }

    @Test
    void aTillNamesTheCustomerOfAnItemWithALimitAndIsHeldToIt() {
      String loc = freshLocation();
      stockOverRest(loc, "console", 10);
      Client.Response policy =
          rest.put(
              "/v1/stock/" + loc + "/console/policy",
              "{\"safetyStock\":0,\"reorderPoint\":0,\"reorderQuantity\":0,"
                  + "\"maxPerCustomer\":1}");
      assertEquals(200, policy.status(), policy.toString());
      assertStatus(
          Status.Code.INVALID_ARGUMENT,
          "customer-required",
          failure(pos.reserve(reserve("cust-0", 60, line(loc, "console", 1)))));
      Pos.ReserveRequest forAnna =
          reserve("cust-1", 60, line(loc, "console", 1)).toBuilder()
              .setCustomerId("anna@example.com")
              .build();
      assertEquals(
          ReservationStatus.RESERVATION_STATUS_HELD, await(pos.reserve(forAnna)).getStatus());
      assertStatus(
          Status.Code.FAILED_PRECONDITION,
          "customer-limit",
          failure(pos.reserve(forAnna.toBuilder().setRequestId("cust-2").build())));
      assertStatus(
          Status.Code.INVALID_ARGUMENT,
          "customer_id",
          failure(pos.reserve(forAnna.toBuilder().setCustomerId("no spaces").build())));
      assertEquals(1, stock(loc, "console").getReserved());
    }

    @Test
    void aRefusedReserveIsNotRememberedSoItsRetrySucceedsOnceStockArrives() {
      String loc = freshLocation();
      stockOverRest(loc, "eggs", 1);
      Pos.ReserveRequest request = reserve("k-2", 60, line(loc, "eggs", 3));

      assertEquals(Status.Code.FAILED_PRECONDITION, failure(pos.reserve(request)).getCode());
      stockOverRest(loc, "eggs", 5);

      assertEquals(
          ReservationStatus.RESERVATION_STATUS_HELD, await(pos.reserve(request)).getStatus());
    }
  }

  // ================================================================== status codes

  @Nested
  class StatusCodes {

    @Test
    void getStockOfANeverStockedItemIsNotFound() {
      Status status =
          failure(
              pos.getStock(
                  Pos.StockRef.newBuilder().setLocation(freshLocation()).setSku("ghost").build()));
      assertStatus(Status.Code.NOT_FOUND, "stock-item-not-found", status);
    }

    @Test
    void insufficientStockIsAFailedPreconditionNamingWhatWasAvailable() {
      String loc = freshLocation();
      stockOverRest(loc, "tv", 1);
      assertStatus(
          Status.Code.FAILED_PRECONDITION,
          loc + "/tv requested 2, available 1",
          failure(pos.reserve(reserve("", 60, line(loc, "tv", 2)))));
      // A never-stocked item is simply insufficient.
      assertStatus(
          Status.Code.FAILED_PRECONDITION,
          "available 0",
          failure(pos.reserve(reserve("", 60, line(loc, "radio", 1)))));
    }

    @Test
    void badInputIsAnInvalidArgumentNamingTheField() {
      String loc = freshLocation();
      assertStatus(
          Status.Code.INVALID_ARGUMENT,
          "lines[0].quantity",
          failure(pos.reserve(reserve("", 60, line(loc, "tv", 0)))));
      assertStatus(
          Status.Code.INVALID_ARGUMENT,
          "lines[0].location",
          failure(pos.reserve(reserve("", 60, line("no/slash", "tv", 1)))));
      assertStatus(
          Status.Code.INVALID_ARGUMENT,
          "lines[1]: names the same stock item as lines[0]",
          failure(pos.reserve(reserve("", 60, line(loc, "tv", 1), line(loc, "tv", 2)))));
      assertStatus(Status.Code.INVALID_ARGUMENT, "lines", failure(pos.reserve(reserve("", 60))));
      assertStatus(
          Status.Code.INVALID_ARGUMENT,
          "ttl_seconds",
          failure(pos.reserve(reserve("", -5, line(loc, "tv", 1)))));
      assertStatus(
          Status.Code.INVALID_ARGUMENT,
          "request_id",
          failure(pos.reserve(reserve("with space", 60, line(loc, "tv", 1)))));
      assertStatus(Status.Code.INVALID_ARGUMENT, "reservation_id", failure(pos.commit(ref(""))));
      assertStatus(
          Status.Code.INVALID_ARGUMENT,
          "sku",
          failure(pos.getStock(Pos.StockRef.newBuilder().setLocation(loc).build())));
      assertStatus(
          Status.Code.INVALID_ARGUMENT,
          "location",
          failure(pos.getStock(Pos.StockRef.newBuilder().setSku("tv").build())));
    }

    @Test
    void anUnknownReservationIsNotFound() {
      assertStatus(
          Status.Code.NOT_FOUND, "reservation-not-found", failure(pos.commit(ref("nonsense"))));
      // Well formed, but no such hold.
      String loc = freshLocation();
      stockOverRest(loc, "tv", 1);
      Pos.Reservation held = await(pos.reserve(reserve("", 60, line(loc, "tv", 1))));
      String other =
          held.getReservationId().substring(0, held.getReservationId().length() - 3) + "xyz";
      assertStatus(
          Status.Code.NOT_FOUND, "reservation-not-found", failure(pos.release(ref(other))));
    }

    @Test
    void anExpiredReservationCannotBeCommitted() throws Exception {
      String loc = freshLocation();
      stockOverRest(loc, "tv", 1);
      Pos.Reservation held = await(pos.reserve(reserve("", 1, line(loc, "tv", 1))));
      Thread.sleep(1_500);

      assertStatus(
          Status.Code.FAILED_PRECONDITION,
          "reservation-expired",
          failure(pos.commit(ref(held.getReservationId()))));
      // Releasing it is fine: nothing to give back.
      assertEquals(
          ReservationStatus.RESERVATION_STATUS_EXPIRED,
          await(pos.release(ref(held.getReservationId()))).getStatus());
      assertEquals(1, stock(loc, "tv").getAvailable());
    }
  }

  // ================================================================== backorders and kits

  @Nested
  class BackordersAndKits {

    private Pos.Line waiting(String location, String sku, long quantity) {
      return line(location, sku, quantity).toBuilder().setAllowBackorder(true).build();
    }

    @Test
    void aLineAloneMayWaitForStockAndIsHeldWhenItArrives() {
      String loc = freshLocation();
      Client.Response policy =
          rest.put(
              "/v1/stock/" + loc + "/novel/policy",
              "{\"safetyStock\":0,\"reorderPoint\":0,\"reorderQuantity\":0,\"backorderLimit\":5}");
      assertEquals(200, policy.status(), policy.toString());
      Pos.ReserveRequest request = reserve("bo-1", 60, waiting(loc, "novel", 2));

      Pos.Reservation backordered = await(pos.reserve(request));

      assertEquals(ReservationStatus.RESERVATION_STATUS_BACKORDERED, backordered.getStatus());
      assertEquals(0, backordered.getExpiresAtEpochMs(), "no deadline while it waits");
      assertEquals(1, backordered.getLinesCount());
      assertTrue(backordered.getLines(0).getAllowBackorder(), backordered.toString());
      assertEquals("", backordered.getLines(0).getKit());
      Pos.StockLevel level = stock(loc, "novel");
      assertEquals(List.of(0L, 0L, 0L, 2L), levels(level));
      // The same reservation over REST; commit waits until it is held, a replay does not queue.
      JsonNode overRest = rest.get("/v1/reservations/" + backordered.getReservationId()).json();
      assertEquals("backordered", overRest.get("status").asText(), overRest.toString());
      assertStatus(
          Status.Code.FAILED_PRECONDITION,
          "reservation-backordered",
          failure(pos.commit(ref(backordered.getReservationId()))));
      assertEquals(backordered, await(pos.reserve(request)));
      assertEquals(2, stock(loc, "novel").getBackordered(), "waits once");

      stockOverRest(loc, "novel", 5);

      Pos.Reservation held = await(pos.reserve(request));
      assertEquals(ReservationStatus.RESERVATION_STATUS_HELD, held.getStatus());
      assertTrue(held.getExpiresAtEpochMs() > 0, held.toString());
      assertEquals(List.of(5L, 2L, 3L, 0L), levels(stock(loc, "novel")));
      assertEquals(
          ReservationStatus.RESERVATION_STATUS_COMMITTED,
          await(pos.commit(ref(held.getReservationId()))).getStatus());
      assertEquals(3, stock(loc, "novel").getOnHand());
    }

    /** onHand, reserved, available, backordered. */
    private List<Long> levels(Pos.StockLevel l) {
      return List.of(l.getOnHand(), l.getReserved(), l.getAvailable(), l.getBackordered());
    }

    @Test
    void allowBackorderOnAPoolLineIsAnInvalidArgumentAndACartWithAWaitingLineWaits() {
      String loc = freshLocation();
      stockOverRest(loc, "novel", 1);
      stockOverRest(loc, "atlas", 1);
      String pool = freshLocation();
      Client.Response made = rest.put("/v1/pools/" + pool, "{\"locations\":[\"" + loc + "\"]}");
      assertEquals(200, made.status(), made.toString());
      Pos.Line fromPool =
          Pos.Line.newBuilder()
              .setPool(pool)
              .setSku("novel")
              .setQuantity(2)
              .setAllowBackorder(true)
              .build();

      assertStatus(
          Status.Code.INVALID_ARGUMENT,
          "lines[0].allow_backorder",
          failure(pos.reserve(reserve("bo-pool", 60, fromPool))));
      assertEquals(0, stock(loc, "novel").getReserved(), "nothing held");

      // a cart: atlas held, novel waiting (its policy takes backorders)
      Client.Response policy =
          rest.put(
              "/v1/stock/" + loc + "/novel/policy",
              "{\"safetyStock\":0,\"reorderPoint\":0,\"reorderQuantity\":0,\"backorderLimit\":5}");
      assertEquals(200, policy.status(), policy.toString());
      Pos.Reservation cart =
          await(
              pos.reserve(reserve("bo-cart", 60, line(loc, "atlas", 1), waiting(loc, "novel", 2))));
      assertEquals(ReservationStatus.RESERVATION_STATUS_BACKORDERED, cart.getStatus());
      assertEquals(0, cart.getExpiresAtEpochMs(), "no deadline while it waits");
      assertEquals(1, stock(loc, "atlas").getReserved());
      assertEquals(2, stock(loc, "novel").getBackordered());
      assertEquals(
          ReservationStatus.RESERVATION_STATUS_RELEASED,
          await(pos.release(ref(cart.getReservationId()))).getStatus());
      assertEquals(0, stock(loc, "atlas").getReserved());
      assertEquals(0, stock(loc, "novel").getBackordered());
    }

    @Test
    void aKitLineHoldsEveryComponentAllOrNoneAndItsLinesNameTheKit() {
      String loc = freshLocation();
      // Kits are global: a SKU of this test's own.
      String kit = "picnic-" + loc;
      Client.Response made =
          rest.put(
              "/v1/kits/" + kit,
              "{\"components\":[{\"sku\":\"plate\",\"quantity\":2},"
                  + "{\"sku\":\"basket\",\"quantity\":1}]}");
      assertEquals(200, made.status(), made.toString());
      stockOverRest(loc, "plate", 5);
      stockOverRest(loc, "basket", 1);

      // 5 plates and 1 basket make one whole set
      assertEquals(1, stock(loc, kit).getAvailable(), "a kit's GetStock: whole kits");
      Pos.Reservation held = await(pos.reserve(reserve("kit-1", 60, line(loc, kit, 1))));
      assertEquals(0, stock(loc, kit).getAvailable());

      assertEquals(ReservationStatus.RESERVATION_STATUS_HELD, held.getStatus());
      assertEquals(
          List.of(
              line(loc, "plate", 2).toBuilder().setKit(kit).build(),
              line(loc, "basket", 1).toBuilder().setKit(kit).build()),
          held.getLinesList());
      assertEquals(2, stock(loc, "plate").getReserved());
      assertEquals(1, stock(loc, "basket").getReserved());
      assertEquals(held, await(pos.reserve(reserve("kit-1", 60, line(loc, kit, 1)))));
      assertEquals(2, stock(loc, "plate").getReserved(), "a replay holds nothing more");

      // No basket left: the next set holds no plate either.
      assertStatus(
          Status.Code.FAILED_PRECONDITION,
          loc + "/basket requested 1, available 0",
          failure(pos.reserve(reserve("kit-2", 60, line(loc, kit, 1)))));
      assertEquals(2, stock(loc, "plate").getReserved(), "nothing more held");
      assertStatus(
          Status.Code.INVALID_ARGUMENT,
          "lines[0].allow_backorder",
          failure(pos.reserve(reserve("kit-3", 60, waiting(loc, kit, 1)))));

      Pos.Reservation committed = await(pos.commit(ref(held.getReservationId())));
      assertEquals(ReservationStatus.RESERVATION_STATUS_COMMITTED, committed.getStatus());
      assertEquals(3, stock(loc, "plate").getOnHand());
      assertEquals(0, stock(loc, "basket").getOnHand());
    }
  }

  // ================================================================== live stock

  /** Pulls until an element matches, failing after {@code within}. */
  private static Pos.StockLevel next(
      SinkQueueWithCancel<Pos.StockLevel> queue,
      Predicate<Pos.StockLevel> wanted,
      Duration within,
      List<Pos.StockLevel> seen) {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        var element =
            queue
                .pull()
                .toCompletableFuture()
                .get(
                    Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
        if (element.isEmpty()) fail("the stream ended; seen " + seen);
        seen.add(element.get());
        if (wanted.test(element.get())) return element.get();
      } catch (TimeoutException e) {
        break;
      } catch (Exception e) {
        throw new AssertionError("the stream failed; seen " + seen, e);
      }
    }
    throw new AssertionError("nothing matching within " + within + "; seen " + seen);
  }

  private static Predicate<Pos.StockLevel> level(
      String sku, long onHand, long reserved, long available) {
    return l ->
        l.getSku().equals(sku)
            && l.getOnHand() == onHand
            && l.getReserved() == reserved
            && l.getAvailable() == available;
  }

  @Nested
  class WatchStock {

    @Test
    void aWatcherSeesTheCurrentLevelFirstThenChangesMadeOverRestAndGrpc() throws Exception {
      String loc = freshLocation();
      stockOverRest(loc, "cola", 12);
      stockOverRest(loc, "other", 3);
      SinkQueueWithCancel<Pos.StockLevel> queue =
          pos.watchStock(
                  Pos.WatchStockRequest.newBuilder().setLocation(loc).addSkus("cola").build())
              .runWith(Sink.queue(), node.system());
      List<Pos.StockLevel> seen = new ArrayList<>();
      try {
        assertTrue(
            level("cola", 12, 0, 12).test(next(queue, l -> true, Duration.ofSeconds(10), seen)),
            "the first element is the current level: " + seen);

        // Longer than the server's request timeout (5 s): the stream lives on.
        Thread.sleep(6_000);
        Client.Response adjusted =
            rest.post(
                "/v1/stock/" + loc + "/cola/adjustments", "{\"delta\":-2,\"reason\":\"damage\"}");
        assertEquals(200, adjusted.status(), adjusted.toString());
        next(queue, level("cola", 10, 0, 10), Duration.ofSeconds(10), seen);

        await(pos.reserve(reserve("", 60, line(loc, "cola", 4))));
        next(queue, level("cola", 10, 4, 6), Duration.ofSeconds(10), seen);

        stockOverRest(loc, "other", 4);
        stockOverRest(loc, "cola", 11);
        next(queue, level("cola", 11, 4, 7), Duration.ofSeconds(10), seen);
        assertTrue(
            seen.stream().allMatch(l -> l.getSku().equals("cola") && l.getLocation().equals(loc)),
            "only the watched item: " + seen);
      } finally {
        queue.cancel();
      }
    }

    @Test
    void watchingAWholeLocationStartsWithEveryItemThereAndFollowsNewOnes() throws Exception {
      String loc = freshLocation();
      stockOverRest(loc, "a", 1);
      stockOverRest(loc, "b", 2);
      stockOverRest(freshLocation(), "a", 99);
      SinkQueueWithCancel<Pos.StockLevel> queue =
          pos.watchStock(Pos.WatchStockRequest.newBuilder().setLocation(loc).build())
              .runWith(Sink.queue(), node.system());
      List<Pos.StockLevel> seen = new ArrayList<>();
      try {
        // The starting set comes from the read model, which trails the items a little.
        next(queue, level("a", 1, 0, 1), Duration.ofSeconds(15), seen);
        next(queue, level("b", 2, 0, 2), Duration.ofSeconds(15), seen);
        stockOverRest(loc, "c", 5);
        next(queue, level("c", 5, 0, 5), Duration.ofSeconds(10), seen);
        assertTrue(
            seen.stream().allMatch(l -> l.getLocation().equals(loc)),
            "only this location: " + seen);
      } finally {
        queue.cancel();
      }
    }

    /** 200 changes in a row over REST, and the watcher reads them afterwards. */
    private List<Pos.StockLevel> twoHundredChangesWhileNotReading(
        Source<Pos.StockLevel, NotUsed> watch, String loc) throws Exception {
      SinkQueueWithCancel<Pos.StockLevel> queue = watch.runWith(Sink.queue(), node.system());
      List<Pos.StockLevel> seen = new ArrayList<>();
      try {
        next(queue, level("hot", 1_000, 0, 1_000), Duration.ofSeconds(10), seen);
        for (int i = 1; i <= 200; i++) {
          Client.Response r =
              rest.post(
                  "/v1/stock/" + loc + "/hot/adjustments", "{\"delta\":-1,\"reason\":\"damage\"}");
          assertEquals(200, r.status(), r.toString());
        }
        next(queue, level("hot", 800, 0, 800), Duration.ofSeconds(10), seen);
        for (int i = 1; i < seen.size(); i++) {
          assertTrue(
              seen.get(i).getOnHand() < seen.get(i - 1).getOnHand(),
              "never an older level after a newer: " + seen);
        }
        return seen;
      } finally {
        queue.cancel();
      }
    }

    @Test
    void overTheNetworkEveryChangeArrivesInOrder() throws Exception {
      String loc = freshLocation();
      stockOverRest(loc, "hot", 1_000);
      twoHundredChangesWhileNotReading(
          pos.watchStock(
              Pos.WatchStockRequest.newBuilder().setLocation(loc).addSkus("hot").build()),
          loc);
    }

    @Test
    void aWatcherThatDoesNotKeepUpGetsTheLatestLevelNotEveryStep() throws Exception {
      // In process, so that no socket buffer reads on the watcher's behalf: the stream itself
      // must hold back, keeping one pending level per item.
      String loc = freshLocation();
      stockOverRest(loc, "hot", 1_000);
      List<Pos.StockLevel> seen =
          twoHundredChangesWhileNotReading(
              node.pointOfSale()
                  .watchStock(
                      Pos.WatchStockRequest.newBuilder().setLocation(loc).addSkus("hot").build(),
                      new MetadataBuilder()
                          .addText("authorization", TestKeys.bearer(TestKeys.MASTER))
                          .build()),
              loc);
      assertTrue(seen.size() < 50, "collapsed to far fewer than 200 updates: " + seen.size());
    }

    @Test
    void aBadWatchRequestIsAnInvalidArgument() {
      CompletionStage<List<Pos.StockLevel>> run =
          pos.watchStock(Pos.WatchStockRequest.newBuilder().setLocation("").build())
              .runWith(Sink.seq(), node.system());
      assertStatus(Status.Code.INVALID_ARGUMENT, "location", failure(run));
    }
  }

  // ================================================================== offline sales

  /**
   * When the offline sales happened: one instant for all, so that the same sale built twice is the
   * same sale (a sale id sent again with another time is another sale, and refused).
   */
  private static final long SOLD_AT = Instant.now().minusSeconds(3_600).toEpochMilli();

  private static Pos.OfflineSale sale(String saleId, String location, String sku, long quantity) {
    return Pos.OfflineSale.newBuilder()
        .setSaleId(saleId)
        .setTerminalId("till-9")
        .setLocation(location)
        .setSku(sku)
        .setQuantity(quantity)
        .setSoldAtEpochMs(SOLD_AT)
        .build();
  }

  private static Pos.SyncSummary summary(int applied, int duplicates, int oversold, int rejected) {
    return Pos.SyncSummary.newBuilder()
        .setApplied(applied)
        .setDuplicates(duplicates)
        .setOversold(oversold)
        .setRejected(rejected)
        .build();
  }

  @Nested
  class OfflineSales {

    @Test
    void theDesignExampleDuplicatesAndOversellAreCountedAndOnHandGoesNegative() {
      String loc = freshLocation();
      stockOverRest(loc, "sku-1", 11);
      List<Pos.OfflineSale> batch =
          List.of(
              sale("o1", loc, "sku-1", 1),
              sale("o1", loc, "sku-1", 1),
              sale("o2", loc, "sku-1", 12));

      Pos.SyncSummary first = await(pos.syncOfflineSales(Source.from(batch)));

      assertEquals(summary(2, 1, 1, 0), first);
      Pos.StockLevel level = stock(loc, "sku-1");
      assertEquals(
          List.of(-2L, 0L, 0L),
          List.of(level.getOnHand(), level.getReserved(), level.getAvailable()));

      // The terminal reconnects and sends the same batch again: nothing changes.
      assertEquals(summary(0, 3, 0, 0), await(pos.syncOfflineSales(Source.from(batch))));
      assertEquals(-2, stock(loc, "sku-1").getOnHand());

      // The ERP hears of both, in the item's history.
      JsonNode history = rest.get("/v1/stock/" + loc + "/sku-1/history").json().get("items");
      List<String> types = new ArrayList<>();
      history.forEach(e -> types.add(e.get("type").asText()));
      assertEquals(
          List.of(
              "stock-adjusted",
              "offline-sale-recorded",
              "offline-sale-recorded",
              "shortage-detected"),
          types);
      assertEquals("o2", history.get(2).get("saleId").asText());
      assertEquals("till-9", history.get(2).get("terminalId").asText());
    }

    @Test
    void anInvalidSaleIsCountedAsRejectedAndTheStreamGoesOn() {
      String loc = freshLocation();
      stockOverRest(loc, "sku-1", 5);
      List<Pos.OfflineSale> batch =
          List.of(
              sale("s1", loc, "sku-1", 1),
              sale("s2", loc, "sku-1", 0), // no units
              sale("", loc, "sku-1", 1), // no sale id
              sale("s3", "bad/location", "sku-1", 1),
              sale("s1", loc, "sku-1", 2), // s1 again, another sale
              sale("s4", loc, "sku-1", 1));

      assertEquals(summary(2, 0, 0, 4), await(pos.syncOfflineSales(Source.from(batch))));
      assertEquals(3, stock(loc, "sku-1").getOnHand());
    }

    @Test
    void aSyncSlowerThanTheRequestTimeoutStillCompletes() {
      String loc = freshLocation();
      stockOverRest(loc, "sku-1", 5);
      Source<Pos.OfflineSale, NotUsed> slow =
          Source.from(
                  List.of(
                      sale("t1", loc, "sku-1", 1),
                      sale("t2", loc, "sku-1", 1),
                      sale("t3", loc, "sku-1", 1)))
              .throttle(1, Duration.ofMillis(2_800));

      assertEquals(summary(3, 0, 0, 0), await(pos.syncOfflineSales(slow)));
    }

    @Test
    void aSaleOnANeverStockedItemMakesItKnownBelowZero() {
      String loc = freshLocation();
      assertEquals(
          summary(1, 0, 1, 0),
          await(pos.syncOfflineSales(Source.single(sale("n1", loc, "new", 2)))));
      Pos.StockLevel level = stock(loc, "new");
      assertEquals(
          List.of(-2L, 0L, 0L),
          List.of(level.getOnHand(), level.getReserved(), level.getAvailable()));
    }
  }
}
