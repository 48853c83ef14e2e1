package io.stockhold.erp;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How far behind the journal each ERP slice running on this node is: the events tagged for the
 * slice past its stored offset, and the age of the oldest of them. Measured every {@code
 * stockhold.erp.lag-interval}, logged while a slice is behind (and once when it has caught up), and
 * read by {@code /metrics}.
 */
public final class ErpLag {

  private static final Logger LOG = LoggerFactory.getLogger(ErpLag.class);

  // Quoted lower-case names: how the journal and projection plugins create their tables on both
  // H2 and PostgreSQL.
  private static final String BEHIND =
      """
      SELECT COUNT(*), MIN(j."write_timestamp")
      FROM "event_tag" t JOIN "event_journal" j ON j."ordering" = t."event_id"
      WHERE t."tag" = ? AND t."event_id" > COALESCE(
        (SELECT CAST(o."current_offset" AS BIGINT) FROM "pekko_projection_offset_store" o
         WHERE o."projection_name" = ? AND o."projection_key" = ?), 0)\
      """;

  /** Events behind and seconds behind, as last measured. */
  public record Behind(long events, double seconds) {}

  private final DataSource dataSource;
  private final String projectionName;
  private final Clock clock;
  private final Map<String, Behind> slices = new ConcurrentHashMap<>();

  public ErpLag(DataSource dataSource, String projectionName, Clock clock) {
    this.dataSource = dataSource;
    this.projectionName = projectionName;
    this.clock = clock;
  }

  void watch(String slice) {
    slices.putIfAbsent(slice, new Behind(0, 0));
  }

  void unwatch(String slice) {
    slices.remove(slice);
  }

  /** Events {@code slice} was behind at the last measurement; NaN where it runs on another node. */
  public double events(String slice) {
    Behind b = slices.get(slice);
    return b == null ? Double.NaN : b.events();
  }

  /**
   * Age of {@code slice}'s oldest unpublished event at the last measurement; NaN where it runs
   * elsewhere.
   */
  public double seconds(String slice) {
    Behind b = slices.get(slice);
    return b == null ? Double.NaN : b.seconds();
  }

  /**
   * Measures every slice running here and logs the ones behind; blocking (JDBC), so call it off the
   * actor threads.
   */
  public void measureAll() {
    for (String slice : slices.keySet()) {
      try {
        Behind now = measure(slice);
        Behind before = slices.replace(slice, now);
        if (now.events() > 0) {
          LOG.info(
              "ERP slice {}: {} event(s) not yet published, oldest {} s old",
              slice,
              now.events(),
              String.format(Locale.ROOT, "%.1f", now.seconds()));
        } else if (before != null && before.events() > 0) {
          LOG.info("ERP slice {}: caught up", slice);
        }
      } catch (SQLException e) {
        LOG.warn("ERP slice {}: lag not measured: {}", slice, e.toString());
      }
    }
  }

  /** How far {@code slice} is behind the journal now. */
  public Behind measure(String slice) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement q = c.prepareStatement(BEHIND)) {
      q.setString(1, slice);
      q.setString(2, projectionName);
      q.setString(3, slice);
      try (ResultSet r = q.executeQuery()) {
        r.next();
        long events = r.getLong(1);
        long oldest = r.getLong(2);
        double seconds = events == 0 ? 0 : Math.max(0, (clock.millis() - oldest) / 1000.0);
        return new Behind(events, seconds);
      }
    }
  }
}
