package io.stockhold.chaos;

import io.stockhold.chaos.ChaosChecks.FaultWindow;
import java.io.PrintStream;
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
      List.of("kill", "pause", "partition", "db-restart", "broker-restart");

  private final ChaosNodes nodes;
  private final OwnPostgres postgres;
  private final OwnRabbit rabbit;
  private final Duration stableAfter;
  private final PrintStream out;
  private int victim;

  /** {@code postgres} and {@code rabbit} are null when the run uses servers it does not own. */
  Nemesis(
      ChaosNodes nodes,
      OwnPostgres postgres,
      OwnRabbit rabbit,
      Duration stableAfter,
      PrintStream out) {
    this.nodes = nodes;
    this.postgres = postgres;
    this.rabbit = rabbit;
    this.stableAfter = stableAfter;
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
    nodes.signal(slot, "STOP");
    Thread.sleep(pause.toMillis());
    nodes.signal(slot, "CONT");
    boolean left = nodes.awaitExit(slot, stableAfter.plusSeconds(30));
    if (!left) nodes.kill(slot);
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
    nodes.cut(slot);
    Thread.sleep(cut.toMillis());
    nodes.heal(slot);
    boolean left = nodes.awaitExit(slot, stableAfter.plusSeconds(30));
    if (!left) nodes.kill(slot);
    return String.format(
        Locale.ROOT,
        "%s's remoting cut for %d s, then healed; %s",
        ChaosNodes.name(slot),
        cut.toSeconds(),
        left ? "it was downed and exited" : "it stayed up and was killed");
  }
}
