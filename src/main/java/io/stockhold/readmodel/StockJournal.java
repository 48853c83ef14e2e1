package io.stockhold.readmodel;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.stockhold.stock.StockEvent;
import io.stockhold.stock.StockItem;
import io.stockhold.storage.Storage;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * The stock items' journal read from outside a node, item by item: what {@code verify} audits and
 * the chaos checks hold against their history.
 */
public final class StockJournal {

  private StockJournal() {}

  /** What {@link #read} hands over: each item, then its events in order. */
  public interface Reader {
    void item(String persistenceId);

    void event(long sequenceNr, StockEvent event);
  }

  /**
   * Reads every stock item's events, item by item in persistence-id order, from the journal of the
   * store {@code config} names, with a local (non-cluster) actor system of its own.
   */
  public static void read(Config config, String systemName, Reader reader) throws Exception {
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
}
