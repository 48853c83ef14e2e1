package io.stockhold.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.stockhold.node.StockholdNode;
import io.stockhold.stock.StockEvent;
import io.stockhold.stock.StockEvent.HoldPlaced;
import io.stockhold.stock.StockEvent.StockAdjusted;
import io.stockhold.stock.StockItemId;
import io.stockhold.stock.StockLedger;
import io.stockhold.storage.Storage;
import io.stockhold.testing.Client;
import io.stockhold.testing.TestNodes;
import io.stockhold.testing.TestStore;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code verify} passes on an honest journal and catches a planted oversell. */
class VerifyIT {

  /** Writes whatever events it is given under a stock item's persistence id: a forger. */
  record Plant(List<StockEvent> events, ActorRef<Done> replyTo) {}

  static Behavior<Plant> forger(PersistenceId id) {
    return new EventSourcedBehavior<Plant, StockEvent, Integer>(id) {
      @Override
      public Integer emptyState() {
        return 0;
      }

      @Override
      public CommandHandler<Plant, StockEvent, Integer> commandHandler() {
        return newCommandHandlerBuilder()
            .forAnyState()
            .onCommand(
                Plant.class,
                (s, p) ->
                    Effect().persist(p.events()).thenRun(x -> p.replyTo().tell(Done.getInstance())))
            .build();
      }

      @Override
      public EventHandler<Integer, StockEvent> eventHandler() {
        return newEventHandlerBuilder().forAnyState().onAnyEvent((s, e) -> s + 1);
      }
    };
  }

  @ParameterizedTest
  @EnumSource(TestStore.Kind.class)
  void verifyPassesOnRealTrafficAndFailsOnAPlantedOversell(TestStore.Kind kind) throws Exception {
    try (TestStore store = TestStore.create(kind)) {
      try (StockholdNode node = TestNodes.start(store)) {
        Client client = new Client(node.httpPort());
        client.stock("honest", "item", 3);
        for (int i = 0; i < 5; i++) client.reserve("web", "honest", "item", 1, 60L, null);
      }
      Config config = store.config().withFallback(ConfigFactory.load());
      JournalAudit.Report honest = JournalAudit.run(config);
      assertTrue(honest.clean(), honest.violations().toString());
      assertEquals(3, honest.holdsPlaced());

      // Plant: 2 units on hand, a hold of 3 granted.
      Config local =
          ConfigFactory.parseString("pekko.actor.provider = local")
              .withFallback(Storage.from(config).asConfig())
              .withFallback(config)
              .resolve();
      ActorTestKit kit = ActorTestKit.create("forger", local);
      try {
        Storage.createTables(kit.system());
        StockItemId item = new StockItemId("forged", "item");
        Instant t = Instant.parse("2026-11-26T12:00:00Z");
        var forger = kit.spawn(forger(StockLedger.persistenceId(item)));
        TestProbe<Done> done = kit.createTestProbe();
        forger.tell(
            new Plant(
                List.of(
                    new StockAdjusted("forged", "item", 2, "count", null, null, null, 2, 0, 2, t),
                    new HoldPlaced(
                        "forged",
                        "item",
                        "h1",
                        "r1",
                        "web",
                        3,
                        t.plusSeconds(60),
                        null,
                        2,
                        3,
                        0,
                        t)),
                done.getRef()));
        done.expectMessage(Duration.ofSeconds(10), Done.getInstance());
      } finally {
        kit.shutdownTestKit();
      }
      JournalAudit.Report planted = JournalAudit.run(config);
      assertFalse(planted.clean());
      assertTrue(
          planted.violations().stream()
              .anyMatch(
                  v ->
                      v.persistenceId().equals("StockItem|forged/item")
                          && v.what().contains("granted 3 units with 2 available")),
          planted.violations().toString());
      ByteArrayOutputStream printed = new ByteArrayOutputStream();
      JournalAudit.print(planted, 100, new PrintStream(printed, true, StandardCharsets.UTF_8));
      assertTrue(printed.toString(StandardCharsets.UTF_8).contains("verify: FAILED"));

      // The command itself: exit code 1 and the violation named.
      Verified verify = verify(store);
      assertEquals(1, verify.exit(), verify.output());
      assertTrue(verify.output().contains("VIOLATION StockItem|forged/item"), verify.output());
    }
  }

  /**
   * A store no node has started on: exit 2, the cause in one line and a hint, no stack trace, no
   * logging noise, and nothing written.
   */
  @ParameterizedTest
  @EnumSource(TestStore.Kind.class)
  void verifyOnAStoreWithoutAJournalSaysSo(TestStore.Kind kind) throws Exception {
    try (TestStore store = TestStore.create(kind)) {
      Verified verify = verify(store);
      assertEquals(2, verify.exit(), verify.output());
      assertTrue(verify.output().contains("verify: cannot read the journal: "), verify.output());
      assertTrue(
          verify
              .output()
              .contains(
                  "  This store has no journal yet: a node creates its tables when it first"
                      + " starts."),
          verify.output());
      assertFalse(
          verify.output().contains("SQL statement") || verify.output().contains("\tat "),
          verify.output());
      assertFalse(verify.output().contains("SLF4J"), verify.output());
      if (kind == TestStore.Kind.H2) {
        // A check must not write: no embedded store was made where there was none.
        try (Stream<Path> files = Files.list(store.dataDir())) {
          assertEquals(List.of(), files.toList(), verify.output());
        }
      }
    }
  }

  record Verified(int exit, String output) {}

  /** {@code stockhold verify} in a process of its own, pointed at {@code store}. */
  private static Verified verify(TestStore store) throws Exception {
    ProcessBuilder command =
        new ProcessBuilder(
                ProcessHandle.current().info().command().orElse("java"),
                "-jar",
                Path.of("target", "stockhold.jar").toAbsolutePath().toString(),
                "verify")
            .redirectErrorStream(true);
    command.environment().putAll(store.environment());
    Process verify = command.start();
    String output = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Verified(verify.waitFor(), output);
  }
}
