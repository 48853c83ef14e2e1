package io.stockhold.api.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.UnknownFieldSet;
import com.typesafe.config.ConfigFactory;
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
import io.stockhold.node.StockholdNode;
import io.stockhold.testing.Client;
import io.stockhold.testing.TestKeys;
import io.stockhold.testing.TestNodes;
import io.stockhold.testing.TestStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * One port, three kinds of traffic: gRPC (HTTP/2 prior knowledge), gRPC-Web and REST (HTTP/1.1),
 * server reflection for tools, TLS when configured, and UNAVAILABLE when an item is overloaded.
 * Reflection is called with grpc-java's bare channel and hand-encoded messages, gRPC-Web with the
 * JDK's HTTP/1.1 client and hand-made frames: nothing generated from this build.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PosTransportIT {

  private static final String SERVICE = "stockhold.pos.v1.PointOfSale";

  private TestStore store;
  private StockholdNode node;
  private Client rest;

  @BeforeAll
  void start() throws Exception {
    store = TestStore.create(TestStore.Kind.H2);
    node = TestNodes.start(store);
    rest = new Client(node.httpPort());
  }

  @AfterAll
  void stop() {
    if (node != null) node.close();
    if (store != null) store.close();
  }

  // ================================================================== reflection

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
            throw new IllegalStateException(e);
          }
        }
      };

  /** One ServerReflectionInfo exchange: a request (raw protobuf) in, the response out. */
  private static byte[] reflect(ManagedChannel channel, byte[] request) throws Exception {
    MethodDescriptor<byte[], byte[]> method =
        MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
            .setFullMethodName("grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
            .setRequestMarshaller(BYTES)
            .setResponseMarshaller(BYTES)
            .build();
    ClientCall<byte[], byte[]> call =
        channel.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS));
    CompletableFuture<byte[]> answer = new CompletableFuture<>();
    call.start(
        new ClientCall.Listener<>() {
          @Override
          public void onMessage(byte[] message) {
            answer.complete(message);
          }

          @Override
          public void onClose(Status status, Metadata trailers) {
            if (!answer.isDone()) answer.completeExceptionally(status.asRuntimeException());
          }
        },
        masterKeyMetadata());
    call.request(1);
    call.sendMessage(request);
    call.halfClose();
    return answer.get(20, TimeUnit.SECONDS);
  }

  /** Reflection, like the POS service, answers only a caller that presents a key. */
  private static Metadata masterKeyMetadata() {
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
        TestKeys.bearer(TestKeys.MASTER));
    return headers;
  }

  /** A length-delimited protobuf field: tag, length, bytes. */
  private static byte[] field(int number, byte[] value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write((number << 3) | 2);
    out.write(value.length);
    out.writeBytes(value);
    return out.toByteArray();
  }

  @Test
  void serverReflectionListsThePosServiceAndServesItsDescriptor() throws Exception {
    ManagedChannel channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", node.httpPort()).usePlaintext().build();
    try {
      // ServerReflectionRequest.list_services = "*" (field 7)
      UnknownFieldSet listed =
          UnknownFieldSet.parseFrom(
              reflect(channel, field(7, "*".getBytes(StandardCharsets.UTF_8))));
      // ServerReflectionResponse.list_services_response (6) -> repeated ServiceResponse (1) -> name
      // (1)
      UnknownFieldSet services =
          UnknownFieldSet.parseFrom(listed.getField(6).getLengthDelimitedList().get(0));
      List<String> names = new ArrayList<>();
      for (ByteString service : services.getField(1).getLengthDelimitedList()) {
        names.add(
            UnknownFieldSet.parseFrom(service)
                .getField(1)
                .getLengthDelimitedList()
                .get(0)
                .toStringUtf8());
      }
      assertTrue(names.contains(SERVICE), "services: " + names);

      // file_containing_symbol (4) -> file_descriptor_response (4) -> file_descriptor_proto (1)
      UnknownFieldSet file =
          UnknownFieldSet.parseFrom(
              reflect(channel, field(4, SERVICE.getBytes(StandardCharsets.UTF_8))));
      UnknownFieldSet descriptors =
          UnknownFieldSet.parseFrom(file.getField(4).getLengthDelimitedList().get(0));
      FileDescriptorProto proto =
          FileDescriptorProto.parseFrom(descriptors.getField(1).getLengthDelimitedList().get(0));
      assertEquals("stockhold.pos.v1", proto.getPackage());
      ServiceDescriptorProto pos = proto.getService(0);
      assertEquals(
          List.of("Reserve", "Commit", "Release", "GetStock", "WatchStock", "SyncOfflineSales"),
          pos.getMethodList().stream().map(m -> m.getName()).toList());
    } finally {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  // ================================================================== gRPC-Web and REST on
  // HTTP/1.1

  /** One gRPC-Web frame: flag byte, big-endian length, payload. */
  private static byte[] frame(int flag, byte[] payload) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeByte(flag);
    out.writeInt(payload.length);
    out.write(payload);
    return bytes.toByteArray();
  }

  private record Frame(int flag, byte[] payload) {}

  private static List<Frame> frames(byte[] body) {
    List<Frame> frames = new ArrayList<>();
    ByteBuffer in = ByteBuffer.wrap(body);
    while (in.hasRemaining()) {
      int flag = in.get() & 0xFF;
      byte[] payload = new byte[in.getInt()];
      in.get(payload);
      frames.add(new Frame(flag, payload));
    }
    return frames;
  }

  /** The trailer frame's "name:value\r\n" lines. */
  private static Map<String, String> trailers(Frame trailer) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String line : new String(trailer.payload(), StandardCharsets.US_ASCII).split("\r\n")) {
      if (line.isBlank()) continue;
      int colon = line.indexOf(':');
      out.put(line.substring(0, colon).trim().toLowerCase(), line.substring(colon + 1).trim());
    }
    return out;
  }

  @Test
  void aGrpcWebCallOverPlainHttp11GetsAFramedAnswerWithGrpcStatusZero() throws Exception {
    assertEquals(200, rest.stock("web-store", "lamp", 7).status());
    byte[] request =
        Pos.StockRef.newBuilder().setLocation("web-store").setSku("lamp").build().toByteArray();
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    HttpResponse<byte[]> response =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + node.httpPort() + "/" + SERVICE + "/GetStock"))
                .header("Content-Type", "application/grpc-web+proto")
                .header("X-Grpc-Web", "1")
                .header("Authorization", TestKeys.bearer(TestKeys.MASTER))
                .POST(HttpRequest.BodyPublishers.ofByteArray(frame(0, request)))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());

    assertEquals(HttpClient.Version.HTTP_1_1, response.version());
    assertEquals(200, response.statusCode());
    assertTrue(
        response.headers().firstValue("Content-Type").orElse("").startsWith("application/grpc-web"),
        response.headers().toString());
    List<Frame> frames = frames(response.body());
    assertEquals(2, frames.size(), "a message and the trailers");
    assertEquals(0x00, frames.get(0).flag());
    Pos.StockLevel level = Pos.StockLevel.parseFrom(frames.get(0).payload());
    assertEquals(7, level.getOnHand());
    assertEquals(0x80, frames.get(1).flag(), "the last frame carries the trailers");
    assertEquals(
        "0", trailers(frames.get(1)).get("grpc-status"), trailers(frames.get(1)).toString());
  }

  @Test
  void restIsStillServedOnTheSamePortWithItsOwnLimitsAndErrors() {
    assertEquals(200, rest.get("/v1/openapi.yaml").status());
    // Not JSON, not gRPC: REST's own 415, as problem+json.
    Client.Response wrongType =
        rest.send("POST", "/v1/reservations", "hello", Map.of("Content-Type", "text/plain"));
    assertEquals(415, wrongType.status(), wrongType.toString());
    assertEquals("application/problem+json", wrongType.contentType());
    // The 64 KiB limit stays on REST bodies.
    Client.Response tooLarge =
        rest.post("/v1/reservations", "{\"channel\":\"web\",\"x\":\"" + "a".repeat(70_000) + "\"}");
    assertEquals(413, tooLarge.status(), tooLarge.toString());
  }

  // ================================================================== overload

  @Test
  void anItemThatCannotTakeMoreIsUnavailable() throws Exception {
    try (TestStore own = TestStore.create(TestStore.Kind.H2);
        StockholdNode full =
            TestNodes.start(
                own, ConfigFactory.parseMap(Map.of("stockhold.stock-item.max-queue", 0)))) {
      PointOfSaleClient pos = PointOfSaleIT.client(full);
      try {
        Pos.ReserveRequest reserve =
            Pos.ReserveRequest.newBuilder()
                .setRequestId("k")
                .addLines(Pos.Line.newBuilder().setLocation("s1").setSku("x").setQuantity(1))
                .build();
        assertEquals(Status.Code.UNAVAILABLE, code(pos.reserve(reserve)));
        Pos.OfflineSale sale =
            Pos.OfflineSale.newBuilder()
                .setSaleId("o1")
                .setTerminalId("t")
                .setLocation("s1")
                .setSku("x")
                .setQuantity(1)
                .setSoldAtEpochMs(System.currentTimeMillis())
                .build();
        assertEquals(Status.Code.UNAVAILABLE, code(pos.syncOfflineSales(Source.single(sale))));
      } finally {
        pos.close().toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
    }
  }

  private static Status.Code code(CompletionStage<?> call) throws Exception {
    try {
      call.toCompletableFuture().get(30, TimeUnit.SECONDS);
      return Status.Code.OK;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof StatusRuntimeException s) return s.getStatus().getCode();
      throw e;
    }
  }

  // ================================================================== TLS

  @Test
  void withTlsConfiguredRestAndGrpcBothSpeakTlsOnThePort() throws Exception {
    Path dir = Files.createTempDirectory("stockhold-tls");
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    Process openssl =
        new ProcessBuilder(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                key.toString(),
                "-out",
                cert.toString(),
                "-days",
                "1",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost,IP:127.0.0.1")
            .redirectErrorStream(true)
            .start();
    String opensslOutput =
        new String(openssl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (openssl.waitFor() != 0) fail("openssl could not make a test certificate: " + opensslOutput);

    try (TestStore own = TestStore.create(TestStore.Kind.H2);
        StockholdNode secure =
            TestNodes.start(
                own,
                ConfigFactory.parseMap(
                    Map.of(
                        "stockhold.http.tls.enabled", "on",
                        "stockhold.http.tls.certificate", cert.toString(),
                        "stockhold.http.tls.private-key", key.toString())))) {
      X509TrustManager trust = trusting(cert);
      SSLContext client = SSLContext.getInstance("TLS");
      client.init(null, new TrustManager[] {trust}, null);

      HttpClient https =
          HttpClient.newBuilder().sslContext(client).version(HttpClient.Version.HTTP_1_1).build();
      String base = "https://127.0.0.1:" + secure.httpPort();
      HttpResponse<String> adjusted =
          https.send(
              HttpRequest.newBuilder(URI.create(base + "/v1/stock/tls-store/pen/adjustments"))
                  .header("Content-Type", "application/json")
                  .header("Authorization", TestKeys.bearer(TestKeys.MASTER))
                  .POST(
                      HttpRequest.BodyPublishers.ofString("{\"setOnHand\":3,\"reason\":\"count\"}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, adjusted.statusCode(), adjusted.body());

      PointOfSaleClient pos =
          PointOfSaleClient.create(
              GrpcClientSettings.connectToServiceAt("127.0.0.1", secure.httpPort(), secure.system())
                  .withTls(true)
                  .withTrustManager(trust)
                  .withOverrideAuthority("localhost")
                  .withCallCredentials(TestKeys.grpc(TestKeys.MASTER)),
              secure.system());
      try {
        Pos.StockLevel level =
            pos.getStock(Pos.StockRef.newBuilder().setLocation("tls-store").setSku("pen").build())
                .toCompletableFuture()
                .get(20, TimeUnit.SECONDS);
        assertEquals(3, level.getOnHand());
      } finally {
        pos.close().toCompletableFuture().get(10, TimeUnit.SECONDS);
      }

      // Plain text to a TLS port is refused.
      HttpClient plain =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .connectTimeout(Duration.ofSeconds(5))
              .build();
      try {
        HttpResponse<String> r =
            plain.send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + secure.httpPort() + "/v1/openapi.yaml"))
                    .timeout(Duration.ofSeconds(5))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        fail("plain HTTP was answered on the TLS port: " + r.statusCode());
      } catch (IOException expected) {
        // the TLS server does not speak plain HTTP
      }
    }
  }

  private static X509TrustManager trusting(Path certificatePem) throws Exception {
    X509Certificate certificate;
    try (InputStream in = Files.newInputStream(certificatePem)) {
      certificate =
          (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setCertificateEntry("test", certificate);
    TrustManagerFactory factory =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(store);
    return (X509TrustManager) factory.getTrustManagers()[0];
  }
}
