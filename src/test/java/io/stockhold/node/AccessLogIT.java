package io.stockhold.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.stockhold.api.grpc.v1.PointOfSaleClient;
import io.stockhold.api.grpc.v1.Pos;
import io.stockhold.testing.Client.Response;
import io.stockhold.testing.RunningNode;
import io.stockhold.testing.TestKeys;
import io.stockhold.testing.TestStore;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

/**
 * One access line per REST and per gRPC call, against a real node: who asked, the route as the
 * OpenAPI document names it, the status, the bytes, the time, the request id; never a key or a
 * body.
 */
class AccessLogIT {

  private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String CALLERS_TRACE = "00-" + TRACE_ID + "-00f067aa0ba902b7-01";

  @Test
  void everyRestAndGrpcCallLeavesOneLineWithoutSecrets() throws Exception {
    Logger access = (Logger) LoggerFactory.getLogger("io.stockhold.http.access");
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    // the tests' logging keeps access lines quiet; here they are the subject, kept off the console
    Level before = access.getLevel();
    access.setLevel(Level.INFO);
    access.setAdditive(false);
    access.addAppender(lines);
    try (RunningNode running = RunningNode.start(TestStore.Kind.H2)) {
      running.client().stock("store-1", "lamp", 5);
      Response adjusted =
          running
              .client()
              .post(
                  "/v1/stock/store-1/lamp/adjustments",
                  "{\"delta\":1,\"reason\":\"receipt\",\"reference\":\"secret-body\"}",
                  Map.of("X-Request-Id", "req-42", "traceparent", CALLERS_TRACE));
      // the caller's trace continued: its trace id and flags, a span of this call's own
      String returned = adjusted.header("traceparent");
      assertTrue(returned.startsWith("00-" + TRACE_ID + "-"), returned);
      assertTrue(returned.endsWith("-01") && !returned.equals(CALLERS_TRACE), returned);
      String begun = running.client().get("/v1/stock/store-1/lamp").header("traceparent");
      assertTrue(begun.matches("00-[0-9a-f]{32}-[0-9a-f]{16}-00"), "a trace begun: " + begun);
      PointOfSaleClient pos =
          PointOfSaleClient.create(
              GrpcClientSettings.connectToServiceAt(
                      "127.0.0.1", running.node().httpPort(), running.node().system())
                  .withTls(false)
                  .withCallCredentials(TestKeys.grpc(TestKeys.MASTER)),
              running.node().system());
      try {
        pos.getStock()
            .addHeader("traceparent", CALLERS_TRACE)
            .invoke(Pos.StockRef.newBuilder().setLocation("store-1").setSku("lamp").build())
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
      } finally {
        pos.close().toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (lines.list.size() < 3 && System.nanoTime() < deadline) Thread.sleep(50);
    } finally {
      access.detachAppender(lines);
      access.setLevel(before);
      access.setAdditive(true);
    }
    List<ILoggingEvent> seen = List.copyOf(lines.list);
    ILoggingEvent rest =
        seen.stream()
            .filter(e -> "req-42".equals(fields(e).get("requestId")))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no line for req-42 in " + seen));
    Map<String, Object> f = fields(rest);
    assertEquals("127.0.0.1", f.get("client"));
    assertEquals("POST", f.get("method"));
    assertEquals("/v1/stock/{location}/{sku}/adjustments", f.get("route"));
    assertEquals(200, ((Number) f.get("status")).intValue());
    assertEquals(TRACE_ID, f.get("traceId"));
    assertTrue(((Number) f.get("bytes")).longValue() > 0);
    assertTrue(f.containsKey("durationMs"));
    ILoggingEvent grpc =
        seen.stream()
            .filter(e -> "/stockhold.pos.v1.PointOfSale/GetStock".equals(fields(e).get("route")))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no line for GetStock in " + seen));
    assertEquals(200, ((Number) fields(grpc).get("status")).intValue());
    assertEquals("0", fields(grpc).get("grpcStatus"), "a unary answer's status, from its trailer");
    assertEquals(TRACE_ID, fields(grpc).get("traceId"), "the caller's trace, over gRPC too");
    for (ILoggingEvent e : seen) {
      String all = e.getFormattedMessage() + fields(e);
      assertFalse(all.contains(TestKeys.MASTER), "no key in " + all);
      assertFalse(all.contains("secret-body"), "no body in " + all);
    }
  }

  private static Map<String, Object> fields(ILoggingEvent e) {
    Map<String, Object> out = new HashMap<>();
    if (e.getKeyValuePairs() != null)
      for (KeyValuePair kv : e.getKeyValuePairs()) out.put(kv.key, kv.value);
    return out;
  }
}
