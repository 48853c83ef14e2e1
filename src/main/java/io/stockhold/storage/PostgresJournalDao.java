package io.stockhold.storage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
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
 * The journal's writes on PostgreSQL, one statement per write of up to {@value
 * #EVENTS_PER_STATEMENT} events.
 *
 * <p>persistence-jdbc inserts tagged events one {@code INSERT … RETURNING ordering} at a time,
 * because each tag row points at its event's ordering: a hot item's write of 30 events was 30 round
 * trips inside one transaction, most of the write's time and much of PostgreSQL's CPU. This writes
 * the same rows with one statement: a multi-row {@code INSERT} of the events whose {@code
 * RETURNING} feeds the {@code INSERT} of their tag rows. One statement is atomic on its own, so a
 * write is one round trip with no {@code BEGIN}/{@code COMMIT} around it; a write of more events,
 * or on a connection not in auto-commit, takes a transaction. Reading, deleting and the embedded
 * store stay persistence-jdbc's ({@code jdbc-journal.dao} names this class only on PostgreSQL; see
 * {@link Storage}).
 */
public final class PostgresJournalDao extends DefaultJournalDao {

  /**
   * Events per statement: 12 bind parameters each and 3 per tag (a stock item's event has one),
   * 15,000 in all, well under PostgreSQL's 65,535.
   */
  private static final int EVENTS_PER_STATEMENT = 1000;

  private final String journalInsert;
  private final String returning;
  private final String tagInsert;
  private final String tagsOfWritten;

  public PostgresJournalDao(
      JdbcBackend.JdbcDatabaseDef db,
      JdbcProfile profile,
      JournalConfig config,
      Serialization serialization,
      ExecutionContext ec,
      Materializer mat) {
    super(db, profile, config, serialization, ec, mat);
    EventJournalTableConfiguration journal = config.eventJournalTableConfiguration();
    EventJournalTableColumnNames c = journal.columnNames();
    journalInsert =
        "INSERT INTO "
            + table(journal.schemaName(), journal.tableName())
            + " ("
            + String.join(
                ", ",
                quoted(
                    c.deleted(),
                    c.persistenceId(),
                    c.sequenceNumber(),
                    c.writer(),
                    c.writeTimestamp(),
                    c.adapterManifest(),
                    c.eventSerId(),
                    c.eventSerManifest(),
                    c.eventPayload(),
                    c.metaSerId(),
                    c.metaSerManifest(),
                    c.metaPayload()))
            + ") VALUES ";
    // What the tag rows are joined on: each event's ordering, found by its persistence id and
    // sequence number.
    String[] key = quoted(c.ordering(), c.persistenceId(), c.sequenceNumber());
    returning = " RETURNING " + String.join(", ", key);
    EventTagTableConfiguration tags = config.eventTagTableConfiguration();
    tagInsert =
        "INSERT INTO "
            + table(tags.schemaName(), tags.tableName())
            + " ("
            + String.join(", ", quoted(tags.columnNames().eventId(), tags.columnNames().tag()))
            + ") ";
    tagsOfWritten =
        " SELECT written."
            + key[0]
            + ", tags.tag FROM written JOIN (VALUES %s)"
            + " AS tags(persistence_id, sequence_number, tag) ON tags.persistence_id = written."
            + key[1]
            + " AND tags.sequence_number = written."
            + key[2];
  }

  @Override
  public Future<BoxedUnit> writeJournalRows(
      Seq<Tuple2<JournalPekkoSerializationRow, Set<String>>> rows) {
    List<Tuple2<JournalPekkoSerializationRow, Set<String>>> events =
        new ArrayList<>(CollectionConverters.asJava(rows));
    // As persistence-jdbc does: within a write, lower sequence numbers get lower orderings.
    events.sort(Comparator.comparingLong(e -> e._1().sequenceNumber()));
    SimpleJdbcAction<BoxedUnit> action =
        new SimpleJdbcAction<>(
            ctx -> {
              write(ctx.connection(), events);
              return BoxedUnit.UNIT;
            });
    return run(db(), action);
  }

  /**
   * Runs {@code action} on {@code db}, for both DAOs. {@code db.run} takes an action of any effect:
   * Scala's effect type is contravariant, which Java's generics cannot express, hence the raw type.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  static <T> Future<T> run(JdbcBackend.JdbcDatabaseDef db, SimpleJdbcAction<T> action) {
    return (Future<T>) db.run((DBIOAction) action);
  }

  private void write(
      Connection connection, List<Tuple2<JournalPekkoSerializationRow, Set<String>>> events) {
    try {
      // Alone, the statement is only atomic and durable when auto-commit makes it its own
      // transaction: a connection handed over with auto-commit off gets an explicit one.
      if (events.size() <= EVENTS_PER_STATEMENT && connection.getAutoCommit()) {
        insert(connection, events);
      } else {
        inTransaction(connection, events);
      }
    } catch (SQLException e) {
      // A duplicate (persistence id, sequence number) lands here too: a second writer for an
      // item. The write fails, and the item stops, as with persistence-jdbc's own writer.
      throw new IllegalStateException("journal write failed: " + e.getMessage(), e);
    }
  }

  private void inTransaction(
      Connection connection, List<Tuple2<JournalPekkoSerializationRow, Set<String>>> events)
      throws SQLException {
    boolean autoCommit = connection.getAutoCommit();
    connection.setAutoCommit(false);
    try {
      for (int from = 0; from < events.size(); from += EVENTS_PER_STATEMENT) {
        insert(
            connection, events.subList(from, Math.min(events.size(), from + EVENTS_PER_STATEMENT)));
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
  }

  /**
   * One statement: the events, and the tag rows of those that have tags, joined to the orderings
   * the events got by persistence id and sequence number.
   */
  private void insert(
      Connection connection, List<Tuple2<JournalPekkoSerializationRow, Set<String>>> events)
      throws SQLException {
    int tagCount = 0;
    for (Tuple2<JournalPekkoSerializationRow, Set<String>> event : events)
      tagCount += event._2().size();
    String rows =
        journalInsert
            + String.join(
                ", ", Collections.nCopies(events.size(), "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    String sql =
        tagCount == 0
            ? rows
            : "WITH written AS ("
                + rows
                + returning
                + ") "
                + tagInsert
                + tagsOfWritten.formatted(
                    String.join(", ", Collections.nCopies(tagCount, "(?, ?, ?)")));
    try (PreparedStatement insert = connection.prepareStatement(sql)) {
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
      for (Tuple2<JournalPekkoSerializationRow, Set<String>> event : events) {
        for (String tag : CollectionConverters.asJava(event._2())) {
          insert.setString(p++, event._1().persistenceId());
          insert.setLong(p++, event._1().sequenceNumber());
          insert.setString(p++, tag);
        }
      }
      int written = insert.executeUpdate();
      // Each tag row joins the event just inserted with its persistence id and sequence number.
      // A count short of that would be a projection missing an event: never a success, then
      // (callers hear the outcome is unknown, and the item restarts from the journal).
      if (written != (tagCount == 0 ? events.size() : tagCount)) {
        throw new SQLException(
            "wrote "
                + written
                + " rows for "
                + events.size()
                + " events with "
                + tagCount
                + " tags");
      }
    }
  }

  static String table(Option<String> schema, String name) {
    return (schema.isDefined() ? quoted(schema.get())[0] + "." : "") + quoted(name)[0];
  }

  static String[] quoted(String... identifiers) {
    String[] out = new String[identifiers.length];
    for (int i = 0; i < identifiers.length; i++)
      out[i] = '"' + identifiers[i].replace("\"", "\"\"") + '"';
    return out;
  }
}
