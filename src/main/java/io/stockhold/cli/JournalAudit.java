package io.stockhold.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.stockhold.stock.StockAudit;
import io.stockhold.stock.StockEvent;
import io.stockhold.stock.StockItem;
import io.stockhold.storage.Storage;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * {@code stockhold verify}: reads every stock item's journal (embedded or PostgreSQL), replays it
 * through {@link StockAudit} and reports. Independent of the running engine's own counters.
 */
public final class JournalAudit {

  /** What the whole journal showed. */
  public record Report(List<StockAudit> items) {
    public List<StockAudit.Violation> violations() {
      return items.stream().flatMap(i -> i.violations().stream()).toList();
    }

    public boolean clean() {
      return violations().isEmpty();
    }

    public long unitsCommitted() {
      return items.stream().mapToLong(StockAudit::unitsCommitted).sum();
    }

    public long holdsPlaced() {
      return items.stream().mapToLong(StockAudit::holdsPlaced).sum();
    }
  }

  private JournalAudit() {}

  /** Audits the journal of the store {@code config} names, with a local (non-cluster) system. */
  public static Report run(Config config) throws Exception {
    List<StockAudit> audits = new ArrayList<>();
    readStockItems(
        config,
        "stockhold-verify",
        new ItemReader() {
          private StockAudit audit;

          @Override
          public void item(String persistenceId) {
            audit = new StockAudit(persistenceId);
            audits.add(audit);
          }

          @Override
          public void event(long sequenceNr, StockEvent event) {
            audit.check(sequenceNr, event);
          }
        });
    return new Report(audits);
  }

  /** What {@link #readStockItems} hands over: each item, then its events in order. */
  public interface ItemReader {
    void item(String persistenceId);

    void event(long sequenceNr, StockEvent event);
  }

  /**
   * Reads every stock item's events, item by item in persistence-id order, from the journal of the
   * store {@code config} names, with a local (non-cluster) actor system of its own.
   */
  public static void readStockItems(Config config, String systemName, ItemReader reader)
      throws Exception {
    Storage storage = Storage.from(config);
    // Opening an embedded store that is not there would create one: a reader must not write.
    Optional<Path> file = storage.embeddedFile();
    if (file.isPresent() && !Files.exists(file.get())) {
      throw new NoSuchFileException(file.get().toString(), null, "there is no embedded store here");
    }
    Config local =
        ConfigFactory.parseString("pekko.actor.provider = local\npekko.loglevel = WARNING")
            .withFallback(storage.asConfig())
            .withFallback(config)
            .resolve();
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), systemName, local);
    try {
      JdbcReadJournal journal =
          PersistenceQuery.get(system)
              .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
      String prefix = StockItem.ENTITY_KEY.name() + "|";
      List<String> ids =
          journal
              .currentPersistenceIds()
              .filter(id -> id.startsWith(prefix))
              .runWith(Sink.seq(), system)
              .toCompletableFuture()
              .get(10, TimeUnit.MINUTES);
      for (String id : ids.stream().sorted().toList()) {
        reader.item(id);
        journal
            .currentEventsByPersistenceId(id, 0, Long.MAX_VALUE)
            .runForeach(env -> reader.event(env.sequenceNr(), (StockEvent) env.event()), system)
            .toCompletableFuture()
            .get(10, TimeUnit.MINUTES);
      }
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  /**
   * Prints a per-item table (the first {@code limit} items), totals and every violation. Holds,
   * released and expired count holds; committed counts units, as onHand and reserved do.
   */
  public static void print(Report report, int limit, PrintStream out) {
    out.printf(
        "%-40s %8s %8s %15s %9s %8s %8s %9s %10s%n",
        "stock item",
        "events",
        "holds",
        "units committed",
        "released",
        "expired",
        "onHand",
        "reserved",
        "violations");
    report.items().stream()
        .sorted(
            Comparator.comparing((StockAudit a) -> a.violations().isEmpty())
                .thenComparing(StockAudit::persistenceId))
        .limit(limit)
        .forEach(
            a ->
                out.printf(
                    "%-40s %8d %8d %15d %9d %8d %8d %9d %10d%n",
                    a.persistenceId().substring(a.persistenceId().indexOf('|') + 1),
                    a.events(),
                    a.holdsPlaced(),
                    a.unitsCommitted(),
                    a.holdsReleased(),
                    a.holdsExpired(),
                    a.onHand(),
                    a.reserved(),
                    a.violations().size()));
    int more = report.items().size() - limit;
    if (more > 0) out.printf("... and %d more item%s%n", more, more == 1 ? "" : "s");
    out.printf(
        "%d stock items, %d events, %d holds placed, %d units committed%n",
        report.items().size(),
        report.items().stream().mapToLong(StockAudit::events).sum(),
        report.holdsPlaced(),
        report.unitsCommitted());
    for (StockAudit.Violation v : report.violations()) {
      out.printf("VIOLATION %s #%d: %s%n", v.persistenceId(), v.sequenceNr(), v.what());
    }
    out.println(
        report.clean()
            ? "verify: OK, no invariant violated"
            : "verify: FAILED, " + report.violations().size() + " violations");
  }
}
