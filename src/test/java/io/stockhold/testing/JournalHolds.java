package io.stockhold.testing;

import com.typesafe.config.ConfigFactory;
import io.stockhold.readmodel.StockJournal;
import io.stockhold.stock.StockEvent;
import io.stockhold.stock.StockItem;
import java.util.HashMap;
import java.util.Map;

/**
 * Every {@code HoldPlaced} in a store's journal, counted per stock item and hold id: what a test
 * compares the reservations its clients were told about with, independently of the engine.
 */
public final class JournalHolds {

  private JournalHolds() {}

  /** entity id ({@code <location>/<sku>}) → hold id → how many times the journal placed it. */
  public static Map<String, Map<String, Integer>> read(TestStore store) throws Exception {
    Map<String, Map<String, Integer>> holds = new HashMap<>();
    String prefix = StockItem.ENTITY_KEY.name() + "|";
    StockJournal.read(
        store.config().withFallback(ConfigFactory.load()),
        "stockhold-journal-holds",
        new StockJournal.Reader() {
          private Map<String, Integer> placed;

          @Override
          public void item(String persistenceId) {
            placed = new HashMap<>();
            holds.put(persistenceId.substring(prefix.length()), placed);
          }

          @Override
          public void event(long sequenceNr, StockEvent event) {
            if (event instanceof StockEvent.HoldPlaced p) placed.merge(p.holdId(), 1, Integer::sum);
          }
        });
    return holds;
  }
}
