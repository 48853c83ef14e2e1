package io.stockhold.storage;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.projection.jdbc.JdbcSession;

/** One transaction of a JDBC projection: a pooled connection with auto-commit off. */
public final class ProjectionSession implements JdbcSession {

  private final Connection connection;

  public ProjectionSession(DataSource dataSource) {
    try {
      this.connection = dataSource.getConnection();
      connection.setAutoCommit(false);
    } catch (SQLException e) {
      throw new IllegalStateException("no read-model connection", e);
    }
  }

  /**
   * Whether {@code c} is PostgreSQL's, where a projection writes a whole group with one statement
   * over arrays ({@code unnest}); the embedded store takes one statement per row instead.
   */
  public static boolean onPostgres(Connection c) throws SQLException {
    return c.getMetaData().getDatabaseProductName().equals("PostgreSQL");
  }

  @Override
  public <Result> Result withConnection(Function<Connection, Result> func) throws Exception {
    return func.apply(connection);
  }

  @Override
  public void commit() throws SQLException {
    connection.commit();
  }

  @Override
  public void rollback() throws SQLException {
    connection.rollback();
  }

  @Override
  public void close() throws SQLException {
    connection.close();
  }
}
