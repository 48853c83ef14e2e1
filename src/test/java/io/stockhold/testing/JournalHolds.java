package io.stockhold.testing;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.stockhold.ops.Storage;
import io.stockhold.stock.StockEvent;
import io.stockhold.stock.StockItem;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Every {@code HoldPlaced} in a store's journal, counted per stock item and hold id: what a test
 * compares the reservations its clients were told about with, independently of the engine.
 */
public final class JournalHolds {

  private JournalHolds() {}

  /** entity id ({@code <location>/<sku>}) → hold id → how many times the journal placed it. */
  public static Map<String, Map<String, Integer>> read(TestStore store) throws Exception {
    Config config = store.config().withFallback(ConfigFactory.load());
    Storage storage = Storage.from(config);
    Config local = ConfigFactory.parseString("pekko.actor.provider = local\npekko.loglevel = WARNING")
        .withFallback(storage.asConfig())
        .withFallback(config)
        .resolve();
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "stockhold-journal-holds", local);
    try {
      JdbcReadJournal journal = PersistenceQuery.get(system)
          .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
      String prefix = StockItem.ENTITY_KEY.name() + "|";
      List<String> ids = journal.currentPersistenceIds()
          .filter(id -> id.startsWith(prefix))
          .runWith(Sink.seq(), system)
          .toCompletableFuture().get(2, TimeUnit.MINUTES);
      Map<String, Map<String, Integer>> holds = new HashMap<>();
      for (String id : ids) {
        Map<String, Integer> placed = new HashMap<>();
        journal.currentEventsByPersistenceId(id, 0, Long.MAX_VALUE)
            .runForeach(env -> {
              if (env.event() instanceof StockEvent.HoldPlaced p) placed.merge(p.holdId(), 1, Integer::sum);
            }, system)
            .toCompletableFuture().get(2, TimeUnit.MINUTES);
        holds.put(id.substring(prefix.length()), placed);
      }
      return holds;
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
