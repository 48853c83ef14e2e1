package io.stockhold.ops;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.persistence.jdbc.config.EventJournalTableColumnNames;
import org.apache.pekko.persistence.jdbc.config.EventJournalTableConfiguration;
import org.apache.pekko.persistence.jdbc.config.EventTagTableConfiguration;
import org.apache.pekko.persistence.jdbc.config.JournalConfig;
import org.apache.pekko.persistence.jdbc.journal.dao.DefaultJournalDao;
import org.apache.pekko.persistence.jdbc.journal.dao.JournalTables.JournalPekkoSerializationRow;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.stream.Materializer;
import scala.Option;
import scala.Tuple2;
import scala.collection.immutable.Seq;
import scala.collection.immutable.Set;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.BoxedUnit;
import slick.dbio.DBIOAction;
import slick.jdbc.JdbcBackend;
import slick.jdbc.JdbcProfile;
import slick.jdbc.SimpleJdbcAction;

/**
 * The journal's writes on PostgreSQL, two statements per write however many events it carries.
 *
 * <p>persistence-jdbc inserts tagged events one {@code INSERT … RETURNING ordering} at a time,
 * because each tag row points at its event's ordering: a hot item's write of 30 events was 30 round
 * trips inside one transaction, most of the write's time and much of PostgreSQL's CPU. This writes
 * the same rows with one multi-row {@code INSERT} that returns every event's ordering, then all
 * their tag rows with one more, in one transaction: the same rows, written as atomically. Reading,
 * deleting and the embedded store stay persistence-jdbc's ({@code jdbc-journal.dao} names this
 * class only on PostgreSQL; see {@link Storage}).
 */
public final class PostgresJournalDao extends DefaultJournalDao {

  /** Events per statement: 12 bind parameters each, well under PostgreSQL's 65,535. */
  private static final int EVENTS_PER_STATEMENT = 1000;

  private final String journalInsert;
  private final String returning;
  private final String tagInsert;

  public PostgresJournalDao(JdbcBackend.JdbcDatabaseDef db, JdbcProfile profile, JournalConfig config,
      Serialization serialization, ExecutionContext ec, Materializer mat) {
    super(db, profile, config, serialization, ec, mat);
    EventJournalTableConfiguration journal = config.eventJournalTableConfiguration();
    EventJournalTableColumnNames c = journal.columnNames();
    journalInsert = "INSERT INTO " + table(journal.schemaName(), journal.tableName()) + " ("
        + String.join(", ", quoted(c.deleted(), c.persistenceId(), c.sequenceNumber(), c.writer(),
            c.writeTimestamp(), c.adapterManifest(), c.eventSerId(), c.eventSerManifest(), c.eventPayload(),
            c.metaSerId(), c.metaSerManifest(), c.metaPayload()))
        + ") VALUES ";
    returning = " RETURNING " + String.join(", ", quoted(c.ordering(), c.persistenceId(), c.sequenceNumber()));
    EventTagTableConfiguration tags = config.eventTagTableConfiguration();
    tagInsert = "INSERT INTO " + table(tags.schemaName(), tags.tableName()) + " ("
        + String.join(", ", quoted(tags.columnNames().eventId(), tags.columnNames().tag())) + ") VALUES ";
  }

  @Override
  public Future<BoxedUnit> writeJournalRows(Seq<Tuple2<JournalPekkoSerializationRow, Set<String>>> rows) {
    List<Tuple2<JournalPekkoSerializationRow, Set<String>>> events =
        new ArrayList<>(CollectionConverters.asJava(rows));
    // As persistence-jdbc does: within a write, lower sequence numbers get lower orderings.
    events.sort(Comparator.comparingLong(e -> e._1().sequenceNumber()));
    SimpleJdbcAction<BoxedUnit> action = new SimpleJdbcAction<>(ctx -> {
      write(ctx.connection(), events);
      return BoxedUnit.UNIT;
    });
    return run(action);
  }

  /**
   * {@code db.run} takes an action of any effect: Scala's effect type is contravariant, which
   * Java's generics cannot express, hence the raw type.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private Future<BoxedUnit> run(SimpleJdbcAction<BoxedUnit> action) {
    return (Future<BoxedUnit>) db().run((DBIOAction) action);
  }

  private void write(Connection connection, List<Tuple2<JournalPekkoSerializationRow, Set<String>>> events) {
    try {
      boolean autoCommit = connection.getAutoCommit();
      connection.setAutoCommit(false);
      try {
        for (int from = 0; from < events.size(); from += EVENTS_PER_STATEMENT) {
          insert(connection, events.subList(from, Math.min(events.size(), from + EVENTS_PER_STATEMENT)));
        }
        connection.commit();
      } catch (Throwable failure) {
        // Whatever went wrong, an Error included, the open transaction is rolled back first:
        // turning auto-commit back on with it open would commit half a write. If even the
        // rollback fails, auto-commit stays off and the pool rolls back when the connection
        // comes back to it.
        try {
          connection.rollback();
        } catch (SQLException rollbackFailed) {
          failure.addSuppressed(rollbackFailed);
          throw failure;
        }
        connection.setAutoCommit(autoCommit);
        throw failure;
      }
      connection.setAutoCommit(autoCommit);
    } catch (SQLException e) {
      // A duplicate (persistence id, sequence number) lands here too: a second writer for an
      // item. The write fails, and the item stops, as with persistence-jdbc's own writer.
      throw new IllegalStateException("journal write failed: " + e.getMessage(), e);
    }
  }

  private void insert(Connection connection, List<Tuple2<JournalPekkoSerializationRow, Set<String>>> events)
      throws SQLException {
    Map<String, Long> orderings = new HashMap<>();
    try (PreparedStatement insert = connection.prepareStatement(
        journalInsert + String.join(", ", Collections.nCopies(events.size(),
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) + returning)) {
      int p = 1;
      for (Tuple2<JournalPekkoSerializationRow, Set<String>> event : events) {
        JournalPekkoSerializationRow row = event._1();
        insert.setBoolean(p++, row.deleted());
        insert.setString(p++, row.persistenceId());
        insert.setLong(p++, row.sequenceNumber());
        insert.setString(p++, row.writer());
        insert.setLong(p++, row.writeTimestamp());
        insert.setString(p++, row.adapterManifest());
        insert.setInt(p++, row.eventSerId());
        insert.setString(p++, row.eventSerManifest());
        insert.setBytes(p++, row.eventPayload());
        Option<Object> metaSerId = row.metaSerId();
        if (metaSerId.isDefined()) insert.setInt(p++, (Integer) metaSerId.get());
        else insert.setNull(p++, Types.INTEGER);
        insert.setString(p++, row.metaSerManifest().getOrElse(() -> null));
        insert.setBytes(p++, row.metaPayload().getOrElse(() -> null));
      }
      try (ResultSet keys = insert.executeQuery()) {
        while (keys.next()) orderings.put(key(keys.getString(2), keys.getLong(3)), keys.getLong(1));
      }
    }
    List<Object[]> tagRows = new ArrayList<>();
    for (Tuple2<JournalPekkoSerializationRow, Set<String>> event : events) {
      JournalPekkoSerializationRow row = event._1();
      Long ordering = orderings.get(key(row.persistenceId(), row.sequenceNumber()));
      if (ordering == null) {
        throw new SQLException("no ordering returned for " + row.persistenceId() + " #" + row.sequenceNumber());
      }
      for (String tag : CollectionConverters.asJava(event._2())) tagRows.add(new Object[] {ordering, tag});
    }
    if (tagRows.isEmpty()) return;
    try (PreparedStatement insert = connection.prepareStatement(
        tagInsert + String.join(", ", Collections.nCopies(tagRows.size(), "(?, ?)")))) {
      int p = 1;
      for (Object[] tagRow : tagRows) {
        insert.setLong(p++, (Long) tagRow[0]);
        insert.setString(p++, (String) tagRow[1]);
      }
      insert.executeUpdate();
    }
  }

  private static String key(String persistenceId, long sequenceNr) {
    return sequenceNr + "/" + persistenceId;
  }

  private static String table(Option<String> schema, String name) {
    return (schema.isDefined() ? quoted(schema.get())[0] + "." : "") + quoted(name)[0];
  }

  private static String[] quoted(String... identifiers) {
    String[] out = new String[identifiers.length];
    for (int i = 0; i < identifiers.length; i++) out[i] = '"' + identifiers[i].replace("\"", "\"\"") + '"';
    return out;
  }
}
