package io.stockhold.readmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.stockhold.stock.StockEvent;
import io.stockhold.stock.StockItemId;
import io.stockhold.stock.StockLedger;
import io.stockhold.stock.StockReply.Level;
import io.stockhold.stock.StockRequest;
import io.stockhold.stock.StockRequest.Adjust;
import io.stockhold.stock.StockRequest.ChangePolicy;
import io.stockhold.stock.StockRequest.Reserve;
import io.stockhold.stock.StockState;
import io.stockhold.storage.ProjectionSession;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The read model's rows against a real (in-memory H2) table, fed real events of two items in groups
 * the way the projection delivers them: each row ends at its item's latest event and latest policy,
 * however the events are grouped, and a replayed group changes nothing.
 */
class StockLevelProjectionHandlerTest {

  private static final Instant T0 = Instant.parse("2026-11-26T12:00:00Z");

  private JdbcDataSource db;
  private long ordering;

  /** An item's journal as the ledger writes it, and the level it ends at. */
  private final class Item {
    final StockItemId id;
    StockState state;
    final List<EventEnvelope<StockEvent>> journal = new ArrayList<>();

    Item(String sku) {
      id = new StockItemId("store-1", sku);
      state = StockState.empty(id);
    }

    List<EventEnvelope<StockEvent>> decide(StockRequest... requests) {
      StockState.BatchDecision d = state.decideBatch(List.of(requests), T0);
      List<EventEnvelope<StockEvent>> written = new ArrayList<>();
      for (StockEvent e : d.events()) {
        written.add(
            EventEnvelope.create(
                Offset.sequence(++ordering),
                StockLedger.persistenceId(id).id(),
                journal.size() + written.size() + 1,
                e,
                0L));
      }
      journal.addAll(written);
      state = d.after();
      return written;
    }
  }

  @BeforeEach
  void setUp() throws Exception {
    db = new JdbcDataSource();
    db.setURL("jdbc:h2:mem:levels-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    try (Connection c = db.getConnection();
        Statement s = c.createStatement()) {
      StockLevelProjectionHandler.createTable(s);
    }
  }

  @Test
  void eachRowEndsAtItsItemsLatestEventAndPolicyAndAReplayChangesNothing() throws Exception {
    Item a = new Item("a");
    Item b = new Item("b");
    List<EventEnvelope<StockEvent>> first = new ArrayList<>();
    first.addAll(a.decide(receive(100)));
    first.addAll(b.decide(receive(7)));
    // a's policy changes mid-group, then more of a's events follow it in the same group
    first.addAll(a.decide(new ChangePolicy(5, 20, 50)));
    for (int i = 0; i < 40; i++) first.addAll(a.decide(reserve("h" + i, 2)));
    first.addAll(b.decide(reserve("hb", 3)));
    group(first);
    assertEquals(row(a), stored(a));
    assertEquals(row(b), stored(b));
    assertEquals(a.journal.size(), storedSequenceNr(a));

    // A later group without a policy change keeps the policy; a second policy change wins.
    List<EventEnvelope<StockEvent>> second = new ArrayList<>();
    second.addAll(a.decide(reserve("later", 1)));
    second.addAll(b.decide(new ChangePolicy(1, 2, 3)));
    second.addAll(b.decide(new ChangePolicy(0, 4, 9)));
    second.addAll(b.decide(reserve("hb2", 1)));
    group(second);
    assertEquals(row(a), stored(a));
    assertEquals(row(b), stored(b));

    // The first group again (a projection restarted before storing its offset): nothing moves back.
    group(first);
    assertEquals(row(a), stored(a));
    assertEquals(row(b), stored(b));
    assertEquals(a.journal.size(), storedSequenceNr(a));
  }

  @Test
  void incomingAndBackorderedFollowTheEventsThatTellThemWhateverComesAfter() throws Exception {
    Item a = new Item("preordered");
    List<EventEnvelope<StockEvent>> first = new ArrayList<>();
    first.addAll(
        a.decide(
            new ChangePolicy(
                0, 0, 0, "ops", new io.stockhold.stock.SellingRules(Map.of(), 0, 0, 0, true))));
    first.addAll(
        a.decide(
            new StockRequest.RecordIncoming("po-1", 10, T0.plusSeconds(86_400), null, "buyer")));
    for (int i = 0; i < 4; i++) first.addAll(a.decide(waiting("w" + i, 2)));
    group(first);
    assertEquals(row(a), stored(a));
    assertEquals(10, a.state.level().incoming());
    assertEquals(8, a.state.level().backordered());

    // a receipt fills two; a release leaves the queue; a later event that tells neither keeps them
    List<EventEnvelope<StockEvent>> second = new ArrayList<>();
    second.addAll(a.decide(new Adjust(null, null, 5L, null, "receipt", null, "dock", "po-1")));
    second.addAll(a.decide(new StockRequest.Release("w3", "shop")));
    second.addAll(a.decide(new StockRequest.Commit("w0", "shop")));
    group(second);
    assertEquals(5, a.state.level().incoming());
    assertEquals(2, a.state.level().backordered());
    assertEquals(row(a), stored(a));
  }

  /**
   * A table an earlier version made, without the supply columns and with a row in it: the node's
   * start adds them, and the row reads as nothing incoming.
   */
  @Test
  void aTableOfAnEarlierVersionGainsTheNewColumns() throws Exception {
    JdbcDataSource earlier = new JdbcDataSource();
    earlier.setURL("jdbc:h2:mem:earlier-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    try (Connection c = earlier.getConnection();
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE stock_level (location VARCHAR(64) NOT NULL, sku VARCHAR(64) NOT NULL,"
              + " on_hand BIGINT NOT NULL, reserved BIGINT NOT NULL, available BIGINT NOT NULL,"
              + " safety_stock BIGINT NOT NULL, reorder_point BIGINT NOT NULL, reorder_quantity"
              + " BIGINT NOT NULL, sequence_nr BIGINT NOT NULL, PRIMARY KEY (location, sku))");
      s.execute("INSERT INTO stock_level VALUES ('store-1', 'old', 5, 1, 4, 0, 0, 0, 3)");
      StockLevelProjectionHandler.createTable(s);
      StockLevelProjectionHandler.createTable(s);
      try (ResultSet rs =
          s.executeQuery("SELECT on_hand, incoming, backordered FROM stock_level")) {
        rs.next();
        assertEquals(List.of(5L, 0L, 0L), List.of(rs.getLong(1), rs.getLong(2), rs.getLong(3)));
      }
    }
  }

  private static Reserve waiting(String holdId, long quantity) {
    return new Reserve(holdId, "res-" + holdId, "web", quantity, 600, null, "shop", null, true);
  }

  private static Adjust receive(long units) {
    return new Adjust(null, null, units, null, "receipt", null);
  }

  private static Reserve reserve(String holdId, long quantity) {
    return new Reserve(holdId, "res-" + holdId, "web", quantity, 600, null);
  }

  private void group(List<EventEnvelope<StockEvent>> envelopes) throws Exception {
    ProjectionSession session = new ProjectionSession(db);
    try {
      new StockLevelProjectionHandler().process(session, envelopes);
      session.commit();
    } finally {
      session.close();
    }
  }

  private static List<Long> row(Item item) {
    Level l = item.state.levelAt(T0);
    return List.of(
        l.onHand(),
        l.reserved(),
        l.available(),
        l.safetyStock(),
        l.reorderPoint(),
        l.reorderQuantity(),
        l.incoming(),
        l.backordered());
  }

  private List<Long> stored(Item item) throws Exception {
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT on_hand, reserved, available, safety_stock, reorder_point,"
                    + " reorder_quantity, incoming, backordered FROM stock_level"
                    + " WHERE location = ? AND sku = ?")) {
      s.setString(1, item.id.location());
      s.setString(2, item.id.sku());
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        List<Long> values = new ArrayList<>();
        for (int i = 1; i <= 8; i++) values.add(rs.getLong(i));
        return values;
      }
    }
  }

  private long storedSequenceNr(Item item) throws Exception {
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement("SELECT sequence_nr FROM stock_level WHERE sku = ?")) {
      s.setString(1, item.id.sku());
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }
}
