package io.stockhold.readmodel;

import io.stockhold.stock.StockEvent;
import io.stockhold.stock.StockItemId;
import io.stockhold.stock.StockLedger;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;

/** A stock item's events straight from the journal, oldest first, a page at a time. */
public final class StockHistory {

  /** One journaled event. */
  public record Entry(String persistenceId, long sequenceNr, StockEvent event) {}

  /** {@code next} is the sequence number to continue from, or 0 when this is the last page. */
  public record Page(List<Entry> entries, long next) {}

  private final ActorSystem<?> system;
  private final JdbcReadJournal journal;

  public StockHistory(ActorSystem<?> system) {
    this.system = system;
    this.journal =
        PersistenceQuery.get(system)
            .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
  }

  public CompletionStage<Page> page(StockItemId item, long fromSequenceNr, int limit) {
    String persistenceId = StockLedger.persistenceId(item).id();
    return journal
        .currentEventsByPersistenceId(persistenceId, fromSequenceNr, fromSequenceNr + limit - 1)
        .map(env -> new Entry(persistenceId, env.sequenceNr(), (StockEvent) env.event()))
        .runWith(Sink.seq(), system)
        .thenApply(
            entries ->
                new Page(
                    entries,
                    entries.size() == limit
                        ? entries.get(entries.size() - 1).sequenceNr() + 1
                        : 0));
  }
}
