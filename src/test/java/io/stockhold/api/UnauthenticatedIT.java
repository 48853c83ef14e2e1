package io.stockhold.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.google.protobuf.Descriptors;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.stockhold.api.grpc.v1.PointOfSaleClient;
import io.stockhold.api.grpc.v1.Pos;
import io.stockhold.testing.Client;
import io.stockhold.testing.Client.Response;
import io.stockhold.testing.RunningNode;
import io.stockhold.testing.TestKeys;
import io.stockhold.testing.TestStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.grpc.javadsl.SingleResponseRequestBuilder;
import org.apache.pekko.grpc.javadsl.StreamResponseRequestBuilder;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Nothing on the API port serves a caller without a valid key but the OpenAPI document. The test
 * walks the operations of the document the node serves and the methods of the POS service's
 * descriptor, not a list of its own, so an operation or RPC added later is covered the day it is
 * added (or, for an RPC, fails this test until it is taught how to call it). Every caller is
 * refused alike: no key, a malformed header, an unknown, a revoked and an expired key; and a
 * refused request changes nothing.
 */
class UnauthenticatedIT {

  @Nested
  class OnTheEmbeddedStore extends Walk {
    OnTheEmbeddedStore() {
      super(TestStore.Kind.H2);
    }
  }

  @Nested
  class OnPostgres extends Walk {
    OnPostgres() {
      super(TestStore.Kind.POSTGRES);
    }
  }

  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  abstract static class Walk {

    /** The operations that need no key: the API's own documents. */
    private static final java.util.Set<String> OPEN =
        java.util.Set.of("getOpenApiDocument", "getAsyncApiDocument");

    private static final List<String> METHODS =
        List.of("get", "put", "post", "delete", "patch", "head", "options", "trace");
    private static final Pattern PATH_PARAMETER = Pattern.compile("\\{([^}]+)}");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LOCATION = "unauth";
    private static final String POOL = "unauth-pool";
    private static final String SKU = "guarded";
    private static final Duration AWAIT = Duration.ofSeconds(20);

    private final TestStore.Kind kind;
    private RunningNode running;
    private Client master;
    private Client anonymous;
    private JsonNode document;
    private String reservationId;
    private String liveKeyId;
    private String revokedKey;
    private String expiredKey;

    /**
     * The callers to refuse, each with its Authorization header (null: none). The revoked and the
     * expired key are filled in once they exist.
     */
    private final Map<String, String> callers = new LinkedHashMap<>();

    Walk(TestStore.Kind kind) {
      this.kind = kind;
    }

    @BeforeAll
    void start() throws Exception {
      running = RunningNode.start(kind);
      int port = running.node().httpPort();
      master = new Client(port, TestKeys.MASTER);
      anonymous = Client.anonymous(port);

      // The expiring key first: the rest of the set-up runs while its few seconds pass.
      Instant expiresAt = Instant.now().plusSeconds(3).truncatedTo(ChronoUnit.MILLIS);
      expiredKey = createKey("expiring", expiresAt);
      assertServes(expiredKey, "a key before its expiry");
      revokedKey = createKey("revoked", null);
      assertServes(revokedKey, "a key before it is revoked");
      String revokedId = keyId(revokedKey);
      Response revoke = master.send("DELETE", "/v1/keys/" + revokedId, null, Map.of());
      assertEquals(204, revoke.status(), revoke.toString());

      // What the refused requests would change if they were served: an item with stock, a held
      // reservation of it, a live key.
      Response stocked = master.stock(LOCATION, SKU, 10);
      assertEquals(200, stocked.status(), stocked.toString());
      Response held = master.reserve("web", LOCATION, SKU, 2, 3600L, null);
      assertEquals(201, held.status(), held.toString());
      reservationId = held.json().get("reservationId").asText();
      liveKeyId = keyId(createKey("live", null));
      Response pooled = master.put("/v1/pools/" + POOL, "{\"locations\":[\"" + LOCATION + "\"]}");
      assertEquals(200, pooled.status(), pooled.toString());

      Response served = anonymous.get("/v1/openapi.yaml");
      assertEquals(200, served.status(), "the document needs no key: " + served);
      document = new ObjectMapper(new YAMLFactory()).readTree(served.body());

      callers.put("no Authorization header", null);
      callers.put("Bearer with no key", "Bearer");
      callers.put("Basic credentials", "Basic abc");
      callers.put("the master key under another scheme", "Token " + TestKeys.MASTER);
      callers.put("an unknown key", TestKeys.bearer("shk_0123456789abcdef_" + "x".repeat(43)));
      callers.put("a revoked key", TestKeys.bearer(revokedKey));
      callers.put("an expired key", TestKeys.bearer(expiredKey));

      long wait = Duration.between(Instant.now(), expiresAt).toMillis() + 500;
      if (wait > 0) Thread.sleep(wait);
    }

    @AfterAll
    void stop() {
      if (running != null) running.close();
    }

    /** A key with every scope, made with the master key; {@code expiresAt} null: never expires. */
    private String createKey(String name, Instant expiresAt) {
      ObjectNode spec = JSON.createObjectNode().put("name", name);
      var scopes = spec.putArray("scopes");
      for (String s :
          List.of(
              "stock:read",
              "stock:write",
              "reservations:write",
              "reservations:read",
              "reservations:admin",
              "pos",
              "keys:admin")) {
        scopes.add(s);
      }
      if (expiresAt != null) spec.put("expiresAt", expiresAt.toString());
      Response created = master.post("/v1/keys", spec.toString());
      assertEquals(201, created.status(), created.toString());
      return created.json().get("key").asText();
    }

    private static String keyId(String key) {
      return key.substring("shk_".length(), "shk_".length() + 16);
    }

    /** The key works, so that its refusal later is down to its revocation or expiry alone. */
    private void assertServes(String key, String what) {
      Response r = master.send("GET", "/v1/keys", null, Map.of("Authorization", "Bearer " + key));
      assertEquals(200, r.status(), what + " is served: " + r);
    }

    /**
     * What a served request could have changed, read with the master key: the item's level and
     * journal, the reservation, the keys, the pool, a transfer, the kit.
     */
    private String snapshot() {
      return String.join(
          "\n",
          master.level(LOCATION, SKU).toString(),
          master.get("/v1/stock/" + LOCATION + "/" + SKU + "/history?limit=1000").toString(),
          master.get("/v1/reservations/" + reservationId).toString(),
          master.get("/v1/keys").toString(),
          master.get("/v1/pools/" + POOL).toString(),
          // the transfer the walk's paths and the documented example name, and the kit
          master.get("/v1/transfers/T-unauth").toString(),
          master.get("/v1/transfers/T-2026-0100").toString(),
          master.get("/v1/kits/" + SKU).toString());
    }

    // ---------------------------------------------------------------------------- REST

    private record Operation(String method, String path, JsonNode spec) {
      String id() {
        return spec.path("operationId").asText();
      }

      @Override
      public String toString() {
        return method + " " + path + " (" + id() + ")";
      }
    }

    private List<Operation> operations() {
      List<Operation> operations = new ArrayList<>();
      document
          .get("paths")
          .fields()
          .forEachRemaining(
              path -> {
                for (String method : METHODS) {
                  JsonNode spec = path.getValue().get(method);
                  if (spec != null) {
                    operations.add(new Operation(method.toUpperCase(), path.getKey(), spec));
                  }
                }
              });
      return operations;
    }

    /** The path with real values: the item, reservation and key a served request would touch. */
    private String concrete(Operation op) {
      Map<String, String> values =
          Map.of(
              "location",
              LOCATION,
              "sku",
              SKU,
              "reservationId",
              reservationId,
              "keyId",
              liveKeyId,
              "pool",
              POOL,
              "transferId",
              "T-unauth");
      Matcher m = PATH_PARAMETER.matcher(op.path());
      StringBuilder path = new StringBuilder();
      while (m.find()) {
        String value = values.get(m.group(1));
        if (value == null) {
          throw new AssertionError(
              op + " has the path parameter {" + m.group(1) + "}: give it a value here");
        }
        m.appendReplacement(path, Matcher.quoteReplacement(value));
      }
      return m.appendTail(path).toString();
    }

    /**
     * The operation's first example body, aimed at this test's item (so that, were it served, it
     * would change what {@link #snapshot()} reads); {@code {}} when it has no example, none when it
     * takes no body.
     */
    private static String body(Operation op) {
      JsonNode content = op.spec().path("requestBody").path("content").path("application/json");
      if (content.isMissingNode()) return null;
      Iterator<JsonNode> examples = content.path("examples").elements();
      if (!examples.hasNext()) return "{}";
      JsonNode value = examples.next().get("value").deepCopy();
      retarget(value);
      return value.toString();
    }

    private static void retarget(JsonNode node) {
      if (node instanceof ObjectNode object) {
        if (object.path("location").isTextual()) object.put("location", LOCATION);
        if (object.path("sku").isTextual()) object.put("sku", SKU);
      }
      node.forEach(Walk::retarget);
    }

    @Test
    void theDocumentIsServedWhateverTheAuthorizationHeaderSays() {
      List<Operation> documents =
          operations().stream().filter(op -> OPEN.contains(op.id())).toList();
      assertEquals(OPEN.size(), documents.size());
      for (Operation open : documents) {
        assertEquals(
            "[]", open.spec().path("security").toString(), "the document says it needs no key");
        for (var caller : callers.entrySet()) {
          Response r = send(open, caller.getValue());
          assertEquals(200, r.status(), caller.getKey() + ": " + r);
          assertTrue(
              r.body().startsWith("openapi: 3.1") || r.body().startsWith("asyncapi: 3.0"),
              caller.getKey() + ": " + r);
        }
      }
    }

    @Test
    void everyDocumentedOperationRefusesEveryCallerWithoutAValidKeyAndChangesNothing() {
      String before = snapshot();
      List<Operation> guarded =
          operations().stream().filter(op -> !OPEN.contains(op.id())).toList();
      List<String> ids = guarded.stream().map(Operation::id).toList();
      List<String> changing =
          List.of(
              "adjustStock",
              "setStockPolicy",
              "createReservation",
              "commitReservation",
              "releaseReservation",
              "extendReservation",
              "createKey",
              "revokeKey",
              "putPool",
              "deletePool",
              "recordIncoming",
              "createTransfer",
              "receiveTransfer",
              "putKit");
      assertTrue(
          ids.containsAll(changing),
          "the walk reaches every operation that would change something: " + ids);
      List<String> wrong = new ArrayList<>();
      for (Operation op : guarded) {
        for (var caller : callers.entrySet()) {
          Response r = send(op, caller.getValue());
          String refusal = refusalProblem(r);
          if (refusal != null) wrong.add(op + " with " + caller.getKey() + ": " + refusal);
        }
      }
      assertTrue(wrong.isEmpty(), String.join("\n", wrong));
      assertEquals(before, snapshot(), "a refused request changes nothing");
    }

    private Response send(Operation op, String authorization) {
      return anonymous.send(
          op.method(),
          concrete(op),
          body(op),
          authorization == null ? Map.of() : Map.of("Authorization", authorization));
    }

    /** What is wrong with {@code r} as a 401 refusal; null when nothing is. */
    private static String refusalProblem(Response r) {
      if (r.status() != 401) return "answered " + r;
      if (!String.valueOf(r.contentType()).startsWith("application/problem+json")) {
        return "not a problem: " + r.contentType() + " " + r;
      }
      if (!r.problem().equals("unauthenticated")) return "slug " + r.problem() + ": " + r;
      if (!"Bearer".equals(r.header("WWW-Authenticate"))) {
        return "WWW-Authenticate " + r.header("WWW-Authenticate") + ": " + r;
      }
      return null;
    }

    // ---------------------------------------------------------------------------- gRPC

    @Test
    void everyPosMethodRefusesEveryCallerWithoutAValidKeyAndChangesNothing() throws Exception {
      String before = snapshot();
      PointOfSaleClient pos =
          PointOfSaleClient.create(
              GrpcClientSettings.connectToServiceAt(
                      "127.0.0.1", running.node().httpPort(), running.node().system())
                  .withTls(false),
              running.node().system());
      List<String> wrong = new ArrayList<>();
      try {
        List<Descriptors.MethodDescriptor> methods =
            Pos.getDescriptor().findServiceByName("PointOfSale").getMethods();
        for (Descriptors.MethodDescriptor method : methods) {
          for (var caller : callers.entrySet()) {
            Status.Code code = codeOf(call(pos, method.getName(), caller.getValue()));
            if (code != Status.Code.UNAUTHENTICATED) {
              wrong.add(
                  "PointOfSale/" + method.getName() + " with " + caller.getKey() + ": " + code);
            }
          }
        }
      } finally {
        pos.close().toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
      assertTrue(wrong.isEmpty(), String.join("\n", wrong));
      assertEquals(before, snapshot(), "a refused call changes nothing");
    }

    /**
     * Calls {@code method} as a terminal would, aimed at this test's item and reservation, with
     * {@code authorization} as its metadata (none when null). A method this switch does not know
     * fails the test: a new RPC must be added here, and so be proven to refuse a caller without a
     * key.
     */
    private CompletionStage<?> call(PointOfSaleClient pos, String method, String authorization) {
      Pos.ReservationRef held =
          Pos.ReservationRef.newBuilder().setReservationId(reservationId).build();
      return switch (method) {
        case "Reserve" ->
            keyed(pos.reserve(), authorization)
                .invoke(
                    Pos.ReserveRequest.newBuilder()
                        .setRequestId("unauth-reserve")
                        .setTerminalId("till-1")
                        .addLines(
                            Pos.Line.newBuilder().setLocation(LOCATION).setSku(SKU).setQuantity(1))
                        .setTtlSeconds(60)
                        .build());
        case "Commit" -> keyed(pos.commit(), authorization).invoke(held);
        case "Release" -> keyed(pos.release(), authorization).invoke(held);
        case "GetStock" ->
            keyed(pos.getStock(), authorization)
                .invoke(Pos.StockRef.newBuilder().setLocation(LOCATION).setSku(SKU).build());
        // Served, the stream would start with the item's level; refused, it fails at once.
        case "WatchStock" ->
            keyed(pos.watchStock(), authorization)
                .invoke(
                    Pos.WatchStockRequest.newBuilder().setLocation(LOCATION).addSkus(SKU).build())
                .runWith(Sink.head(), running.node().system());
        case "SyncOfflineSales" ->
            keyed(pos.syncOfflineSales(), authorization)
                .invoke(
                    Source.single(
                        Pos.OfflineSale.newBuilder()
                            .setSaleId("unauth-sale")
                            .setTerminalId("till-1")
                            .setLocation(LOCATION)
                            .setSku(SKU)
                            .setQuantity(1)
                            .setSoldAtEpochMs(System.currentTimeMillis())
                            .build()));
        default ->
            throw new AssertionError(
                "PointOfSale/"
                    + method
                    + " is not called by this test: add it to call(), so that it is proven to"
                    + " refuse a caller without a valid key");
      };
    }

    private static <I, O> SingleResponseRequestBuilder<I, O> keyed(
        SingleResponseRequestBuilder<I, O> call, String authorization) {
      return authorization == null ? call : call.addHeader("authorization", authorization);
    }

    private static <I, O> StreamResponseRequestBuilder<I, O> keyed(
        StreamResponseRequestBuilder<I, O> call, String authorization) {
      return authorization == null ? call : call.addHeader("authorization", authorization);
    }

    /** The status a call ended with: OK when it was served. */
    private static Status.Code codeOf(CompletionStage<?> call) throws InterruptedException {
      try {
        call.toCompletableFuture().get(AWAIT.toSeconds(), TimeUnit.SECONDS);
        return Status.Code.OK;
      } catch (ExecutionException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
          // pekko-grpc's GrpcServiceException is a StatusRuntimeException too.
          if (t instanceof StatusRuntimeException s) return s.getStatus().getCode();
        }
        throw new AssertionError("the call failed without a gRPC status", e);
      } catch (TimeoutException e) {
        throw new AssertionError("the call neither answered nor failed in " + AWAIT, e);
      }
    }

    /**
     * Server reflection describes the service only to a caller with a key. pekko-grpc has no Java
     * client for it, so the call is made with grpc-java directly, its messages as raw bytes.
     */
    @Test
    void serverReflectionRefusesEveryCallerWithoutAValidKey() throws Exception {
      ManagedChannel channel =
          ManagedChannelBuilder.forAddress("127.0.0.1", running.node().httpPort())
              .usePlaintext()
              .build();
      try {
        List<String> wrong = new ArrayList<>();
        for (var caller : callers.entrySet()) {
          Status status = listServices(channel, caller.getValue());
          if (status.getCode() != Status.Code.UNAUTHENTICATED) {
            wrong.add(caller.getKey() + ": " + status);
          }
        }
        assertTrue(wrong.isEmpty(), String.join("\n", wrong));
        // The same call with the master key is answered: the refusals are about the key alone.
        Status served = listServices(channel, TestKeys.bearer(TestKeys.MASTER));
        assertEquals(Status.Code.OK, served.getCode(), served.toString());
      } finally {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      }
    }

    private static final MethodDescriptor.Marshaller<byte[]> BYTES =
        new MethodDescriptor.Marshaller<>() {
          @Override
          public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
          }

          @Override
          public byte[] parse(InputStream stream) {
            try {
              return stream.readAllBytes();
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          }
        };

    private static final MethodDescriptor<byte[], byte[]> REFLECTION =
        MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
            .setFullMethodName("grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
            .setRequestMarshaller(BYTES)
            .setResponseMarshaller(BYTES)
            .build();

    /** {@code ServerReflectionRequest{list_services: ""}}: field 7, a string of length 0. */
    private static final byte[] LIST_SERVICES = {0x3A, 0x00};

    /** How a reflection call asking for the service list ends. */
    private static Status listServices(ManagedChannel channel, String authorization)
        throws Exception {
      CompletableFuture<Status> closed = new CompletableFuture<>();
      ClientCall<byte[], byte[]> call = channel.newCall(REFLECTION, CallOptions.DEFAULT);
      Metadata headers = new Metadata();
      if (authorization != null) {
        headers.put(
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), authorization);
      }
      call.start(
          new ClientCall.Listener<>() {
            @Override
            public void onClose(Status status, Metadata trailers) {
              closed.complete(status);
            }
          },
          headers);
      call.request(Integer.MAX_VALUE);
      call.sendMessage(LIST_SERVICES);
      call.halfClose();
      return closed.get(AWAIT.toSeconds(), TimeUnit.SECONDS);
    }
  }
}
