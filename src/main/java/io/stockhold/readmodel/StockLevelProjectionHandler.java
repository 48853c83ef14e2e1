package io.stockhold.readmodel;

import io.stockhold.stock.StockEvent;
import io.stockhold.stock.StockEvent.PolicyChanged;
import io.stockhold.storage.ProjectionSession;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;

/**
 * Keeps one {@code stock_level} row per stock item: the quantities after its latest event (and its
 * policy, and the units incoming and backordered as the latest event that told them says). A row
 * only moves forward: an event older than the row's is ignored, so a replayed event changes
 * nothing.
 */
public final class StockLevelProjectionHandler
    extends JdbcHandler<List<EventEnvelope<StockEvent>>, ProjectionSession> {

  private static final String CREATE_TABLE =
      """
      CREATE TABLE IF NOT EXISTS stock_level (
        location VARCHAR(64) NOT NULL,
        sku VARCHAR(64) NOT NULL,
        on_hand BIGINT NOT NULL,
        reserved BIGINT NOT NULL,
        available BIGINT NOT NULL,
        safety_stock BIGINT NOT NULL,
        reorder_point BIGINT NOT NULL,
        reorder_quantity BIGINT NOT NULL,
        sequence_nr BIGINT NOT NULL,
        PRIMARY KEY (location, sku))\
      """;

  /** Columns added since the table was first made: a table of an earlier version gains them. */
  private static final List<String> ADD_COLUMNS =
      List.of(
          "ALTER TABLE stock_level ADD COLUMN IF NOT EXISTS incoming BIGINT DEFAULT 0 NOT NULL",
          "ALTER TABLE stock_level ADD COLUMN IF NOT EXISTS backordered BIGINT DEFAULT 0 NOT NULL");

  /** Makes the table, or brings one made by an earlier version up to date. */
  static void createTable(Statement s) throws SQLException {
    s.execute(CREATE_TABLE);
    for (String column : ADD_COLUMNS) s.execute(column);
  }

  // Standard MERGE: PostgreSQL 15+ and H2 both speak it.
  private static final String MERGE =
      """
      MERGE INTO stock_level t
      USING (VALUES (CAST(? AS VARCHAR(64)), CAST(? AS VARCHAR(64)), CAST(? AS BIGINT), CAST(? AS BIGINT),
                     CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT),
                     CAST(? AS BIGINT), CAST(? AS BIGINT)))
        AS s(location, sku, on_hand, reserved, available, safety_stock, reorder_point, reorder_quantity, sequence_nr,
             incoming, backordered)
      ON t.location = s.location AND t.sku = s.sku
      WHEN MATCHED AND t.sequence_nr < s.sequence_nr THEN UPDATE SET
        on_hand = s.on_hand, reserved = s.reserved, available = s.available,
        safety_stock = COALESCE(s.safety_stock, t.safety_stock),
        reorder_point = COALESCE(s.reorder_point, t.reorder_point),
        reorder_quantity = COALESCE(s.reorder_quantity, t.reorder_quantity),
        incoming = COALESCE(s.incoming, t.incoming),
        backordered = COALESCE(s.backordered, t.backordered),
        sequence_nr = s.sequence_nr
      WHEN NOT MATCHED THEN INSERT
        (location, sku, on_hand, reserved, available, safety_stock, reorder_point, reorder_quantity, sequence_nr,
         incoming, backordered)
        VALUES (s.location, s.sku, s.on_hand, s.reserved, s.available, COALESCE(s.safety_stock, 0),
                COALESCE(s.reorder_point, 0), COALESCE(s.reorder_quantity, 0), s.sequence_nr,
                COALESCE(s.incoming, 0), COALESCE(s.backordered, 0))\
      """;

  /**
   * The same, for a whole group in one statement on PostgreSQL: the rows arrive as one array per
   * column. Per row, a statement of its own cost PostgreSQL more than the row's work (each is bound
   * and executed on its own), and the group is one row per item it touched.
   */
  private static final String MERGE_ALL =
      """
      MERGE INTO stock_level t
      USING (SELECT * FROM unnest(CAST(? AS VARCHAR(64)[]), CAST(? AS VARCHAR(64)[]), CAST(? AS BIGINT[]),
                                  CAST(? AS BIGINT[]), CAST(? AS BIGINT[]), CAST(? AS BIGINT[]),
                                  CAST(? AS BIGINT[]), CAST(? AS BIGINT[]), CAST(? AS BIGINT[]),
                                  CAST(? AS BIGINT[]), CAST(? AS BIGINT[]))
             AS u(location, sku, on_hand, reserved, available, safety_stock, reorder_point,
                  reorder_quantity, sequence_nr, incoming, backordered)) s
      ON t.location = s.location AND t.sku = s.sku
      WHEN MATCHED AND t.sequence_nr < s.sequence_nr THEN UPDATE SET
        on_hand = s.on_hand, reserved = s.reserved, available = s.available,
        safety_stock = COALESCE(s.safety_stock, t.safety_stock),
        reorder_point = COALESCE(s.reorder_point, t.reorder_point),
        reorder_quantity = COALESCE(s.reorder_quantity, t.reorder_quantity),
        incoming = COALESCE(s.incoming, t.incoming),
        backordered = COALESCE(s.backordered, t.backordered),
        sequence_nr = s.sequence_nr
      WHEN NOT MATCHED THEN INSERT
        (location, sku, on_hand, reserved, available, safety_stock, reorder_point, reorder_quantity, sequence_nr,
         incoming, backordered)
        VALUES (s.location, s.sku, s.on_hand, s.reserved, s.available, COALESCE(s.safety_stock, 0),
                COALESCE(s.reorder_point, 0), COALESCE(s.reorder_quantity, 0), s.sequence_nr,
                COALESCE(s.incoming, 0), COALESCE(s.backordered, 0))\
      """;

  /**
   * A group of events in one transaction (with its offset): one row update per item. A row only
   * moves forward, so of an item's events in the group only the latest decides its quantities, and
   * its latest policy change (if any) its policy: a hot item's 500 events cost one update, not 500.
   */
  @Override
  public void process(ProjectionSession session, List<EventEnvelope<StockEvent>> envelopes)
      throws Exception {
    Map<String, EventEnvelope<StockEvent>> latest = new LinkedHashMap<>();
    Map<String, PolicyChanged> policies = new HashMap<>();
    Map<String, Supplied> supplied = new HashMap<>();
    for (EventEnvelope<StockEvent> envelope : envelopes) {
      String pid = envelope.persistenceId();
      EventEnvelope<StockEvent> before = latest.get(pid);
      if (before != null && before.sequenceNr() > envelope.sequenceNr()) continue;
      latest.put(pid, envelope);
      if (envelope.event() instanceof PolicyChanged p) policies.put(pid, p);
      Supplied now = Supplied.by(envelope.event());
      if (now != null) supplied.merge(pid, now, Supplied::then);
    }
    if (latest.isEmpty()) return;
    Groups group = new Groups(policies, supplied);
    session.withConnection(
        (Connection c) -> {
          try {
            if (ProjectionSession.onPostgres(c)) mergeAll(c, latest.values(), group);
            else mergeEach(c, latest.values(), group);
          } catch (SQLException failure) {
            throw new IllegalStateException("stock_level update failed", failure);
          }
          return null;
        });
  }

  /**
   * The item's incoming and backordered totals as the latest event in the group that carried them
   * says (null: none did, and the row keeps its own).
   */
  record Supplied(Long incoming, Long backordered) {
    static Supplied by(StockEvent event) {
      return switch (event) {
        case StockEvent.IncomingRecorded e -> new Supplied(e.incoming(), null);
        case StockEvent.StockAdjusted e when e.incoming() != null ->
            new Supplied(e.incoming(), null);
        case StockEvent.TransferReceived e -> new Supplied(e.incoming(), null);
        case StockEvent.HoldBackordered e -> new Supplied(null, e.backordered());
        case StockEvent.BackorderFilled e -> new Supplied(null, e.backordered());
        case StockEvent.HoldReleased e when e.backordered() != null ->
            new Supplied(null, e.backordered());
        default -> null;
      };
    }

    /** These totals, then a later event's over them. */
    Supplied then(Supplied later) {
      return new Supplied(
          later.incoming != null ? later.incoming : incoming,
          later.backordered != null ? later.backordered : backordered);
    }
  }

  /** What a group says of each item besides its latest quantities. */
  private record Groups(Map<String, PolicyChanged> policies, Map<String, Supplied> supplied) {
    Supplied supplied(String persistenceId) {
      return supplied.getOrDefault(persistenceId, NOTHING);
    }
  }

  private static final Supplied NOTHING = new Supplied(null, null);

  private static void mergeEach(
      Connection c, Collection<EventEnvelope<StockEvent>> latest, Groups group)
      throws SQLException {
    try (PreparedStatement merge = c.prepareStatement(MERGE)) {
      for (EventEnvelope<StockEvent> envelope : latest) add(merge, envelope, group);
      merge.executeBatch();
    }
  }

  private static void mergeAll(
      Connection c, Collection<EventEnvelope<StockEvent>> latest, Groups group)
      throws SQLException {
    int n = latest.size();
    String[] locations = new String[n];
    String[] skus = new String[n];
    Long[][] numbers = new Long[9][n];
    int i = 0;
    for (EventEnvelope<StockEvent> envelope : latest) {
      StockEvent e = envelope.event();
      PolicyChanged p = group.policies().get(envelope.persistenceId());
      Supplied supplied = group.supplied(envelope.persistenceId());
      locations[i] = e.location();
      skus[i] = e.sku();
      numbers[0][i] = e.onHand();
      numbers[1][i] = e.reserved();
      numbers[2][i] = e.available();
      // Only a policy change moves the policy columns (null: COALESCE keeps them).
      numbers[3][i] = p == null ? null : p.safetyStock();
      numbers[4][i] = p == null ? null : p.reorderPoint();
      numbers[5][i] = p == null ? null : p.reorderQuantity();
      numbers[6][i] = envelope.sequenceNr();
      numbers[7][i] = supplied.incoming();
      numbers[8][i] = supplied.backordered();
      i++;
    }
    try (PreparedStatement merge = c.prepareStatement(MERGE_ALL)) {
      merge.setArray(1, c.createArrayOf("varchar", locations));
      merge.setArray(2, c.createArrayOf("varchar", skus));
      for (int column = 0; column < numbers.length; column++) {
        merge.setArray(3 + column, c.createArrayOf("bigint", numbers[column]));
      }
      merge.executeUpdate();
    }
  }

  private static void add(PreparedStatement merge, EventEnvelope<StockEvent> envelope, Groups group)
      throws SQLException {
    StockEvent e = envelope.event();
    PolicyChanged p = group.policies().get(envelope.persistenceId());
    Supplied supplied = group.supplied(envelope.persistenceId());
    merge.setString(1, e.location());
    merge.setString(2, e.sku());
    merge.setLong(3, e.onHand());
    merge.setLong(4, e.reserved());
    merge.setLong(5, e.available());
    if (p != null) {
      merge.setLong(6, p.safetyStock());
      merge.setLong(7, p.reorderPoint());
      merge.setLong(8, p.reorderQuantity());
    } else {
      // Only a policy change moves the policy columns (COALESCE keeps them).
      merge.setNull(6, Types.BIGINT);
      merge.setNull(7, Types.BIGINT);
      merge.setNull(8, Types.BIGINT);
    }
    merge.setLong(9, envelope.sequenceNr());
    merge.setObject(10, supplied.incoming(), Types.BIGINT);
    merge.setObject(11, supplied.backordered(), Types.BIGINT);
    merge.addBatch();
  }
}
