package io.stockhold.chaos;

import io.stockhold.chaos.ChaosChecks.FaultWindow;
import io.stockhold.chaos.History.Line;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * Injects one fault at a time into a running chaos cluster and heals it: every fault window is
 * bounded, and after each the cluster is whole again (every node running and ready) before the
 * next.
 */
final class Nemesis {

  /** The faults, in the order a run takes them. */
  static final List<String> FAULTS =
      List.of("kill", "pause", "partition", "db-restart", "broker-restart", "restart-hot");

  /**
   * The hot item of {@code restart-hot}: {@code holds} single-unit holds placed on it within {@code
   * window} by {@code shoppers}, read back with {@code apiKey}.
   */
  record HotItem(
      Line item, Line ordinary, long holds, Duration window, Shoppers shoppers, String apiKey) {}

  private final ChaosNodes nodes;
  private final OwnPostgres postgres;
  private final OwnRabbit rabbit;
  private final Duration stableAfter;
  private final HotItem hot;
  private final PrintStream out;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();
  private int victim;

  /** {@code postgres} and {@code rabbit} are null when the run uses servers it does not own. */
  Nemesis(
      ChaosNodes nodes,
      OwnPostgres postgres,
      OwnRabbit rabbit,
      Duration stableAfter,
      HotItem hot,
      PrintStream out) {
    this.nodes = nodes;
    this.postgres = postgres;
    this.rabbit = rabbit;
    this.stableAfter = stableAfter;
    this.hot = hot;
    this.out = out;
  }

  /** Why {@code fault} cannot run in this setup, or null when it can. */
  String unavailable(String fault) {
    return switch (fault) {
      case "db-restart" -> postgres == null ? "the database is not the run's own (--db-url)" : null;
      case "broker-restart" ->
          rabbit == null ? "the broker is not the run's own (--amqp-uri)" : null;
      default -> null;
    };
  }

  /** Runs {@code fault} and heals it; the window is from the injection to the heal. */
  FaultWindow inject(String fault) throws Exception {
    int slot = victim;
    victim = (victim + 1) % ChaosNodes.SIZE;
    Instant injected = Instant.now();
    out.printf("  fault %s at %s%n", fault, injected);
    String detail =
        switch (fault) {
          case "kill" -> kill(slot);
          case "pause" -> pause(slot);
          case "partition" -> partition(slot);
          case "db-restart" -> {
            postgres.restart();
            yield "PostgreSQL restarted";
          }
          case "broker-restart" -> {
            rabbit.restart();
            yield "RabbitMQ stopped and started";
          }
          case "restart-hot" -> restartHot();
          default -> throw new IllegalArgumentException("no fault " + fault);
        };
    Instant healed = Instant.now();
    // Whole again before the next fault: a node that left (killed, or downed and shut down) comes
    // back on its ports.
    nodes.restoreAll(Duration.ofMinutes(3));
    Instant whole = Instant.now();
    return new FaultWindow(
        fault,
        injected,
        healed,
        String.format(
            Locale.ROOT,
            "%s; every node ready %.1f s after the heal",
            detail,
            Duration.between(healed, whole).toMillis() / 1000.0));
  }

  private String kill(int slot) throws Exception {
    nodes.kill(slot);
    Thread.sleep(3_000);
    nodes.launch(slot);
    return "kill -9 " + ChaosNodes.name(slot) + ", started again after 3 s";
  }

  /**
   * SIGSTOP for longer than failure detection plus stable-after, so the others down the node and
   * take its items; after SIGCONT it must find itself downed and stop without writing again.
   */
  private String pause(int slot) throws Exception {
    Duration pause = stableAfter.plusSeconds(10);
    boolean left =
        isolate(slot, pause, () -> nodes.signal(slot, "STOP"), () -> nodes.signal(slot, "CONT"));
    return String.format(
        Locale.ROOT,
        "SIGSTOP %s for %d s, then SIGCONT; %s",
        ChaosNodes.name(slot),
        pause.toSeconds(),
        left ? "it found itself downed and exited" : "it was still running and was killed");
  }

  /**
   * The node cut off from the others' remoting while its HTTP port still takes clients, for longer
   * than failure detection plus stable-after: the majority downs it, it downs itself.
   */
  private String partition(int slot) throws Exception {
    Duration cut = stableAfter.plusSeconds(10);
    boolean left = isolate(slot, cut, () -> nodes.cut(slot), () -> nodes.heal(slot));
    return String.format(
        Locale.ROOT,
        "%s's remoting cut for %d s, then healed; %s",
        ChaosNodes.name(slot),
        cut.toSeconds(),
        left ? "it was downed and exited" : "it stayed up and was killed");
  }

  /** A step of a fault that may fail. */
  private interface Step {
    void run() throws Exception;
  }

  /**
   * Keeps the node apart ({@code start} … {@code end}) for {@code length}, then waits for it to
   * leave as a downed node does; one that stays is killed. Whether it left by itself.
   */
  private boolean isolate(int slot, Duration length, Step start, Step end) throws Exception {
    start.run();
    Thread.sleep(length.toMillis());
    end.run();
    boolean left = nodes.awaitExit(slot, stableAfter.plusSeconds(30));
    if (!left) nodes.kill(slot);
    return left;
  }

  /**
   * A hot item with many open holds, its cluster down past their deadline, started again: the item
   * must answer within 2 s of its nodes being ready, however many holds lapsed meanwhile. Every
   * node is killed, not only the item's: the survivors of a single kill would take the item over
   * within seconds, before its holds lapse, and recover it with nothing to expire.
   */
  private String restartHot() throws Exception {
    Instant began = Instant.now();
    Instant deadline = began.plus(hot.window()).plusSeconds(5);
    long held =
        hot.shoppers().holdMany(hot.item(), hot.holds(), deadline, began.plus(hot.window()), 48);
    Instant placed = Instant.now();
    nodes.killAll();
    Instant killed = Instant.now();
    Thread.sleep(Math.max(0, Duration.between(Instant.now(), deadline).toMillis() + 2_000));
    Instant started = Instant.now();
    nodes.startAll(Duration.ofMinutes(3));
    Instant ready = Instant.now();
    Instant read = firstAnswer(hot.item(), false);
    // A reserve on an ordinary item first: the first write through a fresh node pays for what
    // is cold (routes, the journal's connections), and this tells that apart from the hot item.
    Instant ordinary = firstAnswer(hot.ordinary(), true);
    Instant reserved = firstAnswer(hot.item(), true);
    return String.format(
        Locale.ROOT,
        "%,d holds of 1 unit on %s placed in %.1f s, all ending by %s; kill -9 every node at %s,"
            + " started again %.1f s after the deadline, every node ready %.1f s later; the item"
            + " answered a read %.2f s after that (target: 2 s), a reserve %.2f s after a reserve"
            + " on %s (%.2f s after ready)",
        held,
        hot.item().item(),
        Duration.between(began, placed).toMillis() / 1000.0,
        deadline,
        killed,
        Duration.between(deadline, started).toMillis() / 1000.0,
        Duration.between(started, ready).toMillis() / 1000.0,
        Duration.between(ready, read).toMillis() / 1000.0,
        Duration.between(ordinary, reserved).toMillis() / 1000.0,
        hot.ordinary().item(),
        Duration.between(ready, ordinary).toMillis() / 1000.0);
  }

  /**
   * When {@code item} first answered a read with a 2xx, or decided a reserve of one unit (held or
   * sold out).
   */
  private Instant firstAnswer(Line item, boolean reserve) throws Exception {
    String path = reserve ? "/v1/reservations" : "/v1/stock/" + item.location() + "/" + item.sku();
    long giveUp = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (true) {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + nodes.httpPort(0) + path))
              .timeout(Duration.ofSeconds(30))
              .header("Authorization", "Bearer " + hot.apiKey());
      if (reserve) {
        request
            .header("Content-Type", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    "{\"channel\":\"web\",\"ttlSeconds\":30,\"lines\":[{\"location\":\""
                        + item.location()
                        + "\",\"sku\":\""
                        + item.sku()
                        + "\",\"quantity\":1}]}"));
      } else {
        request.GET();
      }
      try {
        int status =
            http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        // The item decided: held, or sold out (the shoppers may have taken every unit of an
        // ordinary item by then; a 409 is as much the item's answer as a 201).
        if (status / 100 == 2 || (reserve && status == 409)) return Instant.now();
      } catch (IOException notYet) {
        // the node is still starting its routes
      }
      if (System.nanoTime() > giveUp) {
        throw new IllegalStateException(
            item.item() + " did not answer a " + (reserve ? "reserve" : "read") + " in 2 minutes");
      }
      Thread.sleep(50);
    }
  }
}
