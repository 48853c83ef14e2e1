package io.stockhold.storage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.NotUsed;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.jdbc.PekkoSerialization$;
import org.apache.pekko.persistence.jdbc.config.EventJournalTableColumnNames;
import org.apache.pekko.persistence.jdbc.config.EventJournalTableConfiguration;
import org.apache.pekko.persistence.jdbc.config.EventTagTableConfiguration;
import org.apache.pekko.persistence.jdbc.config.ReadJournalConfig;
import org.apache.pekko.persistence.jdbc.journal.dao.JournalTables.JournalPekkoSerializationRow;
import org.apache.pekko.persistence.jdbc.query.dao.DefaultReadJournalDao;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.scaladsl.Source;
import scala.Option;
import scala.Tuple3;
import scala.collection.immutable.Set;
import scala.collection.immutable.Set$;
import scala.concurrent.ExecutionContext;
import scala.jdk.javaapi.FutureConverters;
import scala.util.Try;
import slick.jdbc.JdbcBackend;
import slick.jdbc.JdbcProfile;
import slick.jdbc.SimpleJdbcAction;

/**
 * The projections' reads of one tag (a slice) on PostgreSQL, by the tag rows instead of the events.
 *
 * <p>persistence-jdbc asks for the events in an ordering range and joins each to its tag row: every
 * slice's query walks every event of every slice, heap row and all, and probes the tags table for
 * each. With four slices and two projections each event was read eight times, most of PostgreSQL's
 * CPU on a hot item (and a sequential scan of the tags table where the planner misjudged a slice
 * with few events). This asks the same question from the other side: the tag rows of this tag in
 * the range (the tags table's primary key is event id then tag, so that is a walk of a narrow
 * index), then only their events. The answer is the same rows in the same order; everything else
 * (an item's events, the ordering poll) stays persistence-jdbc's. {@code jdbc-read-journal.dao}
 * names this class only on PostgreSQL; see {@link Storage}.
 */
public final class PostgresReadJournalDao extends DefaultReadJournalDao {

  private final Serialization serialization;
  private final String eventsByTag;

  public PostgresReadJournalDao(
      JdbcBackend.JdbcDatabaseDef db,
      JdbcProfile profile,
      ReadJournalConfig config,
      Serialization serialization,
      ExecutionContext ec,
      Materializer mat) {
    super(db, profile, config, serialization, ec, mat);
    this.serialization = serialization;
    EventJournalTableConfiguration journal = config.eventJournalTableConfiguration();
    EventJournalTableColumnNames c = journal.columnNames();
    EventTagTableConfiguration tags = config.eventTagTableConfiguration();
    String eventId = "t." + PostgresJournalDao.quoted(tags.columnNames().eventId())[0];
    List<String> columns = new ArrayList<>();
    for (String column :
        PostgresJournalDao.quoted(
            c.ordering(),
            c.deleted(),
            c.persistenceId(),
            c.sequenceNumber(),
            c.writer(),
            c.writeTimestamp(),
            c.adapterManifest(),
            c.eventPayload(),
            c.eventSerId(),
            c.eventSerManifest(),
            c.metaPayload(),
            c.metaSerId(),
            c.metaSerManifest())) {
      columns.add("j." + column);
    }
    eventsByTag =
        "SELECT "
            + String.join(", ", columns)
            + " FROM "
            + PostgresJournalDao.table(tags.schemaName(), tags.tableName())
            + " t"
            + " JOIN "
            + PostgresJournalDao.table(journal.schemaName(), journal.tableName())
            + " j"
            + " ON j."
            + PostgresJournalDao.quoted(c.ordering())[0]
            + " = "
            + eventId
            + " WHERE t."
            + PostgresJournalDao.quoted(tags.columnNames().tag())[0]
            + " = ?"
            + " AND "
            + eventId
            + " > ? AND "
            + eventId
            + " <= ?"
            + " AND NOT j."
            + PostgresJournalDao.quoted(c.deleted())[0]
            + " ORDER BY "
            + eventId
            + " LIMIT ?";
  }

  @Override
  public Source<Try<Tuple3<PersistentRepr, Set<String>, Object>>, NotUsed> eventsByTag(
      String tag, long offset, long maxOffset, long max) {
    SimpleJdbcAction<List<JournalPekkoSerializationRow>> read =
        new SimpleJdbcAction<>(ctx -> rows(ctx.connection(), tag, offset, maxOffset, max));
    Set<String> noTags =
        Set$.MODULE$.empty(); // as persistence-jdbc: the projections do not read them
    return org.apache.pekko.stream.javadsl.Source.completionStage(
            FutureConverters.asJava(PostgresJournalDao.run(db(), read)))
        .mapConcat(rows -> rows)
        .map(
            row ->
                PekkoSerialization$.MODULE$
                    .fromRow(serialization, row)
                    .map(
                        event ->
                            new Tuple3<PersistentRepr, Set<String>, Object>(
                                event._1(), noTags, event._2())))
        .asScala();
  }

  private List<JournalPekkoSerializationRow> rows(
      Connection c, String tag, long offset, long maxOffset, long max) {
    List<JournalPekkoSerializationRow> rows = new ArrayList<>();
    try (PreparedStatement select = c.prepareStatement(eventsByTag)) {
      select.setString(1, tag);
      select.setLong(2, offset);
      select.setLong(3, maxOffset);
      select.setLong(4, max);
      try (ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          long writeTimestamp = rs.getLong(6);
          byte[] metaPayload = rs.getBytes(11);
          int metaSerId = rs.getInt(12);
          boolean noMetaSerId = rs.wasNull();
          rows.add(
              new JournalPekkoSerializationRow(
                  rs.getLong(1),
                  rs.getBoolean(2),
                  rs.getString(3),
                  rs.getLong(4),
                  rs.getString(5),
                  writeTimestamp,
                  rs.getString(7),
                  rs.getBytes(8),
                  rs.getInt(9),
                  rs.getString(10),
                  Option.apply(metaPayload),
                  noMetaSerId ? Option.empty() : Option.<Object>apply(metaSerId),
                  Option.apply(rs.getString(13))));
        }
      }
    } catch (SQLException e) {
      // The projection's stream fails and restarts from its stored offset, as with the plugin's
      // query.
      throw new IllegalStateException("events by tag " + tag + " failed: " + e.getMessage(), e);
    }
    return rows;
  }
}
