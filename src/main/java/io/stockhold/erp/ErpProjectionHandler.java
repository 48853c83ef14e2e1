package io.stockhold.erp;

import io.stockhold.stock.StockEvent;
import io.stockhold.storage.ProjectionSession;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes one group of a slice's events, then records how far each item got, in the same
 * transaction as the projection's offset. So the offset moves only after the broker confirmed, and
 * a crash in between publishes the group again with the same message ids (at least once).
 *
 * <p>Each item's sequence numbers must arrive without a gap: the journal reader can pass an event
 * whose ordering value became visible late. The handler then reads the missing events of that item
 * straight from the journal and publishes them in their place; if they are not there (yet), the
 * group fails, nothing of it is published, and the slice tries again after a pause.
 */
public final class ErpProjectionHandler
    extends JdbcHandler<List<EventEnvelope<StockEvent>>, ProjectionSession> {

  private static final Logger LOG = LoggerFactory.getLogger(ErpProjectionHandler.class);

  static final String CREATE_TABLE =
      """
      CREATE TABLE IF NOT EXISTS erp_item_progress (
        persistence_id VARCHAR(255) NOT NULL PRIMARY KEY,
        sequence_nr BIGINT NOT NULL)\
      """;

  private static final String MERGE =
      """
      MERGE INTO erp_item_progress t
      USING (VALUES (CAST(? AS VARCHAR(255)), CAST(? AS BIGINT))) AS s(persistence_id, sequence_nr)
      ON t.persistence_id = s.persistence_id
      WHEN MATCHED THEN UPDATE SET sequence_nr = s.sequence_nr
      WHEN NOT MATCHED THEN INSERT (persistence_id, sequence_nr) VALUES (s.persistence_id, s.sequence_nr)\
      """;

  /** The same for a whole group in one statement on PostgreSQL, one array per column. */
  private static final String MERGE_ALL =
      """
      MERGE INTO erp_item_progress t
      USING (SELECT * FROM unnest(CAST(? AS VARCHAR(255)[]), CAST(? AS BIGINT[]))
             AS u(persistence_id, sequence_nr)) s
      ON t.persistence_id = s.persistence_id
      WHEN MATCHED THEN UPDATE SET sequence_nr = s.sequence_nr
      WHEN NOT MATCHED THEN INSERT (persistence_id, sequence_nr) VALUES (s.persistence_id, s.sequence_nr)\
      """;

  /** An item's events by sequence number, read from the journal (both ends included). */
  public interface ItemEvents {
    List<StockEvent> read(String persistenceId, long fromSequenceNr, long toSequenceNr)
        throws Exception;
  }

  private final String slice;
  private final EventPublisher publisher;
  private final ErpLag lag;
  private final ItemEvents journal;

  public ErpProjectionHandler(
      String slice, EventPublisher publisher, ErpLag lag, ItemEvents journal) {
    this.slice = slice;
    this.publisher = publisher;
    this.lag = lag;
    this.journal = journal;
  }

  @Override
  public void start() {
    lag.watch(slice);
  }

  @Override
  public void process(ProjectionSession session, List<EventEnvelope<StockEvent>> envelopes)
      throws Exception {
    session.withConnection(
        (Connection c) -> {
          Map<String, Long> published = publishedUpTo(c, envelopes);
          Map<String, Long> reached = new LinkedHashMap<>();
          List<OutboundMessage> messages = new ArrayList<>(envelopes.size());
          for (EventEnvelope<StockEvent> envelope : envelopes) {
            String pid = envelope.persistenceId();
            long last = reached.getOrDefault(pid, published.getOrDefault(pid, 0L));
            long seq = envelope.sequenceNr();
            if (seq <= last) continue; // published before; the ERP has it
            if (seq != last + 1) fillGap(messages, pid, last, seq);
            messages.add(OutboundMessage.of(pid, seq, envelope.event()));
            reached.put(pid, seq);
          }
          long started = System.nanoTime();
          publisher.publish(messages);
          record(c, reached);
          if (LOG.isDebugEnabled()) {
            LOG.debug(
                "ERP slice {}: {} event(s) read, {} published in {} ms",
                slice,
                envelopes.size(),
                messages.size(),
                (System.nanoTime() - started) / 1_000_000);
          }
          return null;
        });
  }

  /** The events {@code last+1 .. next-1} of one item, which the tag query passed by. */
  private void fillGap(List<OutboundMessage> messages, String pid, long last, long next)
      throws Exception {
    List<StockEvent> missing = journal.read(pid, last + 1, next - 1);
    if (missing.size() != next - 1 - last) {
      SequenceGapException gap = new SequenceGapException(slice, pid, last, next);
      LOG.warn(gap.getMessage());
      throw gap;
    }
    LOG.info(
        "ERP slice {}: {} events {}..{} were passed by the tag query; read from the journal and"
            + " published in order",
        slice,
        pid,
        last + 1,
        next - 1);
    for (int i = 0; i < missing.size(); i++) {
      messages.add(OutboundMessage.of(pid, last + 1 + i, missing.get(i)));
    }
  }

  private static Map<String, Long> publishedUpTo(
      Connection c, List<EventEnvelope<StockEvent>> envelopes) throws SQLException {
    List<String> pids = envelopes.stream().map(EventEnvelope::persistenceId).distinct().toList();
    Map<String, Long> last = new HashMap<>();
    if (pids.isEmpty()) return last;
    String sql =
        "SELECT persistence_id, sequence_nr FROM erp_item_progress WHERE persistence_id IN ("
            + String.join(",", Collections.nCopies(pids.size(), "?"))
            + ")";
    try (PreparedStatement select = c.prepareStatement(sql)) {
      for (int i = 0; i < pids.size(); i++) select.setString(i + 1, pids.get(i));
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) last.put(rows.getString(1), rows.getLong(2));
      }
    }
    return last;
  }

  private static void record(Connection c, Map<String, Long> reached) throws SQLException {
    if (reached.isEmpty()) return;
    if (ProjectionSession.onPostgres(c)) {
      try (PreparedStatement merge = c.prepareStatement(MERGE_ALL)) {
        merge.setArray(1, c.createArrayOf("varchar", reached.keySet().toArray(String[]::new)));
        merge.setArray(2, c.createArrayOf("bigint", reached.values().toArray(Long[]::new)));
        merge.executeUpdate();
      }
      return;
    }
    try (PreparedStatement merge = c.prepareStatement(MERGE)) {
      for (Map.Entry<String, Long> e : reached.entrySet()) {
        merge.setString(1, e.getKey());
        merge.setLong(2, e.getValue());
        merge.addBatch();
      }
      merge.executeBatch();
    }
  }

  @Override
  public void stop() {
    lag.unwatch(slice);
    publisher.close();
  }

  /** An item's next event is not the one after the last published: retry, never publish past it. */
  static final class SequenceGapException extends IllegalStateException {
    SequenceGapException(String slice, String persistenceId, long last, long next) {
      super(
          "ERP slice "
              + slice
              + ": "
              + persistenceId
              + " has published up to "
              + last
              + " but the next event read is "
              + next
              + ", and the journal does not hold the events between yet; trying again instead of"
              + " publishing past them");
    }
  }
}
