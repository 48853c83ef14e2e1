package io.stockhold.api.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.Status;
import io.stockhold.api.grpc.health.HealthCheckRequest;
import io.stockhold.api.grpc.health.HealthCheckResponse;
import io.stockhold.api.grpc.health.HealthCheckResponse.ServingStatus;
import io.stockhold.api.grpc.health.HealthClient;
import io.stockhold.testing.RunningNode;
import io.stockhold.testing.TestStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.Test;

/**
 * gRPC's health service on the API port, against a node on PostgreSQL: without a key, SERVING while
 * {@code /ready} is 200, NOT_SERVING while it is not (the database refuses new connections), and
 * back; a watcher hears each change; an unknown service is NOT_FOUND.
 */
class GrpcHealthIT {

  @Test
  void healthFollowsReadinessAndNeedsNoKey() throws Exception {
    try (RunningNode running = RunningNode.start(TestStore.Kind.POSTGRES)) {
      HealthClient health =
          HealthClient.create(
              GrpcClientSettings.connectToServiceAt(
                      "127.0.0.1", running.node().httpPort(), running.node().system())
                  .withTls(false),
              running.node().system());
      try {
        assertEquals(200, ready(running));
        assertEquals(ServingStatus.SERVING, check(health, ""));
        assertEquals(ServingStatus.SERVING, check(health, "stockhold.pos.v1.PointOfSale"));
        ExecutionException unknown =
            assertThrows(ExecutionException.class, () -> check(health, "no.such.Service"));
        assertEquals(Status.Code.NOT_FOUND, Status.fromThrowable(unknown.getCause()).getCode());

        // a watcher from the start: it hears each change, once
        List<ServingStatus> heard = new CopyOnWriteArrayList<>();
        UniqueKillSwitch watcher =
            health
                .watch(HealthCheckRequest.newBuilder().setService("").build())
                .map(HealthCheckResponse::getStatus)
                .viaMat(KillSwitches.single(), Keep.right())
                .to(Sink.foreach(heard::add))
                .run(running.node().system());
        await(() -> heard.size() == 1, "the watcher's first status");

        allowConnections(running, false);
        try {
          awaitStatus(health, ServingStatus.NOT_SERVING);
          assertNotEquals(200, ready(running), "gRPC health and /ready agree");
          await(() -> heard.size() == 2, "the watcher hears NOT_SERVING");
        } finally {
          allowConnections(running, true);
        }
        awaitStatus(health, ServingStatus.SERVING);
        assertEquals(200, ready(running));
        await(() -> heard.size() == 3, "the watcher hears SERVING again");
        Thread.sleep(1_500); // a status looked at again and unchanged is not sent
        assertEquals(
            List.of(ServingStatus.SERVING, ServingStatus.NOT_SERVING, ServingStatus.SERVING),
            heard);
        watcher.shutdown();
      } finally {
        health.close().toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
    }
  }

  private static void await(java.util.function.BooleanSupplier done, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("waited 30 s for " + what);
      Thread.sleep(50);
    }
  }

  private static ServingStatus check(HealthClient health, String service) throws Exception {
    return health
        .check(HealthCheckRequest.newBuilder().setService(service).build())
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS)
        .getStatus();
  }

  private static void awaitStatus(HealthClient health, ServingStatus wanted) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    ServingStatus now = check(health, "");
    while (now != wanted && System.nanoTime() < deadline) {
      Thread.sleep(200);
      now = check(health, "");
    }
    assertEquals(wanted, now);
  }

  private static int ready(RunningNode running) throws Exception {
    HttpResponse<Void> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://127.0.0.1:" + running.node().managementPort() + "/ready"))
                    .timeout(Duration.ofSeconds(10))
                    .build(),
                HttpResponse.BodyHandlers.discarding());
    return r.statusCode();
  }

  /** New connections to the node's database refused (those already open go on). */
  private static void allowConnections(RunningNode running, boolean allowed) throws Exception {
    String url = running.store().jdbcUrl();
    String database = url.substring(url.lastIndexOf('/') + 1).replaceAll("\\?.*", "");
    try (Connection c =
            DriverManager.getConnection(url.replace("/" + database, "/postgres"), "postgres", "");
        Statement s = c.createStatement()) {
      s.execute("ALTER DATABASE \"" + database + "\" ALLOW_CONNECTIONS " + allowed);
    }
  }
}
