package io.stockhold.erp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stockhold.stock.StockEvent;
import io.stockhold.stock.StockItemId;
import io.stockhold.stock.StockRequest;
import io.stockhold.stock.StockState;
import io.stockhold.storage.ProjectionSession;
import java.io.IOException;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The ERP handler against a publisher that records or fails, and a real (in-memory H2) progress
 * table, committing or rolling back each group the way the projection does.
 */
class ErpProjectionHandlerTest {

  /** Records what it was given; fails while {@code failuresLeft > 0}. */
  static final class FakePublisher implements EventPublisher {
    final List<OutboundMessage> published = new ArrayList<>();
    int failuresLeft;
    int calls;

    @Override
    public void publish(List<OutboundMessage> messages) throws IOException {
      calls++;
      if (failuresLeft > 0) {
        failuresLeft--;
        throw new IOException("broker away");
      }
      published.addAll(messages);
    }

    @Override
    public void close() {}

    List<String> ids() {
      return published.stream().map(OutboundMessage::messageId).toList();
    }
  }

  private JdbcDataSource db;
  private final FakePublisher publisher = new FakePublisher();
  private ErpProjectionHandler handler;
  private long ordering;

  /**
   * What the journal holds, by persistenceId:seq; a gap is filled from here when the event is in
   * it.
   */
  private final Map<String, EventEnvelope<StockEvent>> journal = new HashMap<>();

  @BeforeEach
  void setUp() throws Exception {
    db = new JdbcDataSource();
    db.setURL("jdbc:h2:mem:erp-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    try (Connection c = db.getConnection();
        Statement s = c.createStatement()) {
      s.execute(ErpProjectionHandler.CREATE_TABLE);
    }
    handler =
        new ErpProjectionHandler(
            "stock-0",
            publisher,
            new ErpLag(db, ErpProjection.NAME, Clock.systemUTC()),
            (pid, from, to) -> {
              List<StockEvent> found = new ArrayList<>();
              for (long seq = from; seq <= to; seq++) {
                EventEnvelope<StockEvent> e = journal.get(pid + ":" + seq);
                if (e != null) found.add(e.event());
              }
              return found;
            });
  }

  /** One group as the projection runs it: process, then commit; a failure rolls back. */
  private void group(List<EventEnvelope<StockEvent>> envelopes) throws Exception {
    ProjectionSession session = new ProjectionSession(db);
    try {
      handler.process(session, envelopes);
      session.commit();
    } catch (Exception e) {
      session.rollback();
      throw e;
    } finally {
      session.close();
    }
  }

  private EventEnvelope<StockEvent> envelope(String item, long seq) {
    StockItemId id = new StockItemId("store-1", item);
    StockState.BatchDecision d =
        StockState.empty(id)
            .decideBatch(
                List.of(new StockRequest.Adjust(null, null, seq, null, "receipt", null)),
                Instant.EPOCH);
    return EventEnvelope.create(
        Offset.sequence(++ordering), "StockItem|store-1/" + item, seq, d.events().get(0), 0L);
  }

  /** An event the journal holds but the tag query has not delivered. */
  private void inJournalOnly(String item, long seq) {
    EventEnvelope<StockEvent> e = envelope(item, seq);
    journal.put(e.persistenceId() + ":" + seq, e);
  }

  @Test
  void publishesEachGroupInJournalOrderWithTheJournalsIds() throws Exception {
    group(List.of(envelope("a", 1), envelope("b", 1), envelope("a", 2)));
    group(List.of(envelope("b", 2), envelope("a", 3)));
    assertEquals(
        List.of(
            "StockItem|store-1/a:1",
            "StockItem|store-1/b:1",
            "StockItem|store-1/a:2",
            "StockItem|store-1/b:2",
            "StockItem|store-1/a:3"),
        publisher.ids());
    OutboundMessage first = publisher.published.get(0);
    assertEquals("inventory.stock-adjusted.store-1", first.routingKey());
    assertEquals("stock-adjusted", first.type());
  }

  @Test
  void aFailedPublishRecordsNothingAndTheRetryPublishesTheSameMessages() throws Exception {
    group(List.of(envelope("a", 1)));
    publisher.failuresLeft = 1;
    List<EventEnvelope<StockEvent>> next = List.of(envelope("a", 2), envelope("b", 1));
    assertThrows(IOException.class, () -> group(next));
    group(next); // the projection restarts from its offset: the same group again
    assertEquals(
        List.of("StockItem|store-1/a:1", "StockItem|store-1/a:2", "StockItem|store-1/b:1"),
        publisher.ids());
    assertEquals(3, publisher.calls);
  }

  @Test
  void eventsAlreadyPublishedAreNotPublishedAgain() throws Exception {
    group(List.of(envelope("a", 1), envelope("a", 2)));
    // A group read again that overlaps what is done (e.g. an offset that lagged the progress).
    group(List.of(envelope("a", 2), envelope("a", 3)));
    assertEquals(
        List.of("StockItem|store-1/a:1", "StockItem|store-1/a:2", "StockItem|store-1/a:3"),
        publisher.ids());
  }

  @Test
  void aGapIsFilledFromTheJournalInOrder() throws Exception {
    group(List.of(envelope("a", 1)));
    inJournalOnly("a", 2);
    inJournalOnly("a", 3);
    group(List.of(envelope("b", 1), envelope("a", 4)));
    assertEquals(
        List.of(
            "StockItem|store-1/a:1",
            "StockItem|store-1/b:1",
            "StockItem|store-1/a:2",
            "StockItem|store-1/a:3",
            "StockItem|store-1/a:4"),
        publisher.ids());
  }

  @Test
  void aGapTheJournalCannotFillYetFailsTheGroupWithoutPublishingAnyOfIt() throws Exception {
    group(List.of(envelope("a", 1)));
    List<EventEnvelope<StockEvent>> skipped = List.of(envelope("b", 1), envelope("a", 3));
    IllegalStateException gap = assertThrows(IllegalStateException.class, () -> group(skipped));
    assertTrue(
        gap.getMessage().contains("published up to 1 but the next event read is 3"),
        gap.getMessage());
    assertEquals(
        List.of("StockItem|store-1/a:1"),
        publisher.ids(),
        "nothing past the gap, nor before it in the group");
    // Once the late event is in the journal, the same group goes through, in order.
    inJournalOnly("a", 2);
    group(skipped);
    assertEquals(
        List.of(
            "StockItem|store-1/a:1",
            "StockItem|store-1/b:1",
            "StockItem|store-1/a:2",
            "StockItem|store-1/a:3"),
        publisher.ids());
  }

  @Test
  void anItemsFirstEventMustBeItsFirst() {
    assertThrows(IllegalStateException.class, () -> group(List.of(envelope("c", 2))));
    assertTrue(publisher.published.isEmpty());
  }
}
