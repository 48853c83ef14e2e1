package io.stockhold.bench;

import io.stockhold.bench.Seller.Outcome;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The usual ways to sell the last unit with a SQL database, each on PostgreSQL (the same server as
 * Stockhold's journal). Every baseline keeps its own two tables per phase: {@code <name>_items (id,
 * stock, version)} and {@code <name>_sales}, one row per sale written in the same transaction as
 * the stock change, so oversold units are counted from the sales rows, not from the buyers.
 *
 * <p>Each is written the way it is commonly written, and each gets its best honest shot: prepared
 * statements, one connection per buyer, and one round trip where the pattern allows one.
 */
final class Baselines {

  private Baselines() {}

  /** Every baseline, on one database; Redis's only when Redis answered ({@code redis} not null). */
  static List<Contender> all(SqlDatabase sql, int retries, RedisLock.Target redis) {
    List<Contender> list =
        new ArrayList<>(
            List.of(
                new Naive(sql),
                new ForUpdate(sql),
                new ConditionalUpdate(sql),
                new SqlTransaction(sql),
                new Optimistic(sql, retries)));
    if (redis != null) list.add(new RedisLock(sql, redis));
    return list;
  }

  /**
   * Where the baselines' tables live, and the buyers' connections between phases: each PostgreSQL
   * connection is a new server process, and opening 64 of them for every phase cost seconds a phase
   * on a busy machine. A buyer's connection goes back idle, its statements closed, when its phase
   * ends.
   */
  static final class SqlDatabase implements AutoCloseable {
    private final String url;
    private final String user;
    private final String password;
    private final Deque<Connection> idle = new ArrayDeque<>();

    SqlDatabase(String url, String user, String password) {
      this.url = url;
      this.user = user;
      this.password = password;
    }

    /** A connection of its own, for setting up and counting. */
    Connection connect() throws SQLException {
      return DriverManager.getConnection(url, user, password);
    }

    /** A buyer's connection: one an earlier phase gave back, else a new one. */
    Connection borrow() throws SQLException {
      synchronized (idle) {
        Connection c = idle.poll();
        if (c != null) return c;
      }
      return connect();
    }

    /** Back to idle, in autocommit with no transaction open; closed instead if it is broken. */
    void giveBack(Connection c) {
      try {
        if (!c.getAutoCommit()) {
          c.rollback();
          c.setAutoCommit(true);
        }
        synchronized (idle) {
          idle.push(c);
        }
      } catch (SQLException e) {
        quietlyClose(c);
      }
    }

    @Override
    public void close() {
      synchronized (idle) {
        idle.forEach(Baselines::quietlyClose);
        idle.clear();
      }
    }
  }

  static void quietlyClose(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // closing; nothing to do
    }
  }

  /** Tables, stocking and the sales count, shared by every SQL baseline. */
  abstract static class SqlContender implements Contender {
    final SqlDatabase db;
    final String name;
    final String items;
    final String sales;

    SqlContender(SqlDatabase db, String name) {
      this.db = db;
      this.name = name;
      String prefix = name.replace('-', '_');
      this.items = prefix + "_items";
      this.sales = prefix + "_sales";
    }

    @Override
    public final String name() {
      return name;
    }

    @Override
    public void stock(Workload w) throws SQLException {
      try (Connection c = db.connect();
          Statement s = c.createStatement()) {
        s.execute("DROP TABLE IF EXISTS " + sales + ", " + items);
        s.execute(
            "CREATE TABLE "
                + items
                + " (id integer PRIMARY KEY, stock bigint NOT NULL, version bigint NOT NULL DEFAULT"
                + " 0)");
        s.execute(
            "CREATE TABLE "
                + sales
                + " (id bigserial PRIMARY KEY, item integer NOT NULL, sold_at timestamptz NOT NULL"
                + " DEFAULT clock_timestamp())");
        try (PreparedStatement p =
            c.prepareStatement(
                "INSERT INTO "
                    + items
                    + " (id, stock) SELECT g, ? FROM generate_series(0, ? - 1) g")) {
          p.setLong(1, w.unitsPerItem());
          p.setInt(2, w.items());
          p.executeUpdate();
        }
        s.execute("ANALYZE " + items);
      }
    }

    @Override
    public Optional<long[]> recordedSales(Workload w) throws SQLException {
      long[] sold = new long[w.items()];
      try (Connection c = db.connect();
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT item, count(*) FROM " + sales + " GROUP BY item")) {
        while (rs.next()) sold[rs.getInt(1)] = rs.getLong(2);
      }
      return Optional.of(sold);
    }

    @Override
    public void cleanUp(Workload w) throws SQLException {
      try (Connection c = db.connect();
          Statement s = c.createStatement()) {
        s.execute("DROP TABLE IF EXISTS " + sales + ", " + items);
      }
    }

    @Override
    public Seller open(Workload w) throws SQLException, IOException {
      Connection c = db.borrow();
      try {
        return open(c, w);
      } catch (SQLException | IOException | RuntimeException e) {
        quietlyClose(c);
        throw e;
      }
    }

    /** A seller on this buyer's connection {@code c}, given back when the seller closes. */
    abstract Seller open(Connection c, Workload w) throws SQLException, IOException;
  }

  /**
   * A seller on one borrowed JDBC connection; its statements are prepared through {@link #prepare}.
   */
  abstract static class SqlSeller implements Seller {
    final SqlDatabase db;
    final Connection c;
    private final List<PreparedStatement> statements = new ArrayList<>();

    SqlSeller(SqlDatabase db, Connection c) {
      this.db = db;
      this.c = c;
    }

    final PreparedStatement prepare(String sql) throws SQLException {
      PreparedStatement p = c.prepareStatement(sql);
      statements.add(p);
      return p;
    }

    @Override
    public void close() {
      statements.forEach(Baselines::quietlyClose);
      db.giveBack(c);
    }
  }

  /**
   * Read, then write what was read minus one: two buyers who read the same stock both sell, and the
   * second write hides the first. Read committed (PostgreSQL's default) does not stop it.
   */
  static final class Naive extends SqlContender {
    Naive(SqlDatabase db) {
      super(db, "naive");
    }

    @Override
    public String approach() {
      return "read-then-write: SELECT stock, then UPDATE … SET stock = ? in one read-committed"
          + " transaction";
    }

    @Override
    Seller open(Connection c, Workload w) throws SQLException {
      c.setAutoCommit(false);
      return new SqlSeller(db, c) {
        final PreparedStatement read = prepare("SELECT stock FROM " + items + " WHERE id = ?");
        final PreparedStatement write = prepare("UPDATE " + items + " SET stock = ? WHERE id = ?");
        final PreparedStatement record = prepare("INSERT INTO " + sales + " (item) VALUES (?)");

        @Override
        public Outcome sell(int item) throws SQLException {
          try {
            read.setInt(1, item);
            long stock;
            try (ResultSet rs = read.executeQuery()) {
              rs.next();
              stock = rs.getLong(1);
            }
            if (stock < 1) {
              c.commit();
              return Outcome.SOLD_OUT;
            }
            write.setLong(1, stock - 1);
            write.setInt(2, item);
            write.executeUpdate();
            record.setInt(1, item);
            record.executeUpdate();
            c.commit();
            return Outcome.SOLD;
          } catch (SQLException e) {
            c.rollback();
            throw e;
          }
        }
      };
    }
  }

  /**
   * Lock the row, decide, write, commit: correct, and every buyer of the item waits in line for the
   * lock.
   */
  static final class ForUpdate extends SqlContender {
    ForUpdate(SqlDatabase db) {
      super(db, "for-update");
    }

    @Override
    public String approach() {
      return "pessimistic: SELECT … FOR UPDATE, UPDATE, INSERT sale, COMMIT (the row lock held"
          + " across four round trips)";
    }

    @Override
    Seller open(Connection c, Workload w) throws SQLException {
      c.setAutoCommit(false);
      return new SqlSeller(db, c) {
        final PreparedStatement lock =
            prepare("SELECT stock FROM " + items + " WHERE id = ? FOR UPDATE");
        final PreparedStatement write =
            prepare("UPDATE " + items + " SET stock = stock - 1 WHERE id = ?");
        final PreparedStatement record = prepare("INSERT INTO " + sales + " (item) VALUES (?)");

        @Override
        public Outcome sell(int item) throws SQLException {
          try {
            lock.setInt(1, item);
            long stock;
            try (ResultSet rs = lock.executeQuery()) {
              rs.next();
              stock = rs.getLong(1);
            }
            if (stock < 1) {
              c.rollback();
              return Outcome.SOLD_OUT;
            }
            write.setInt(1, item);
            write.executeUpdate();
            record.setInt(1, item);
            record.executeUpdate();
            c.commit();
            return Outcome.SOLD;
          } catch (SQLException e) {
            c.rollback();
            throw e;
          }
        }
      };
    }
  }

  /**
   * The database decides in one statement: the stock falls only where a unit is left. The sale row
   * is written by the same statement (a data-modifying CTE), so a sale is one round trip and one
   * commit — this pattern's best case. Buyers of one item still queue on its row lock, one commit
   * at a time.
   */
  static final class ConditionalUpdate extends SqlContender {
    ConditionalUpdate(SqlDatabase db) {
      super(db, "conditional-update");
    }

    @Override
    public String approach() {
      return "atomic: UPDATE … SET stock = stock - 1 WHERE id = ? AND stock >= 1, sale row in the"
          + " same statement, autocommit — the database's ceiling for a sale: no hold deadline, no"
          + " idempotency, no event stream";
    }

    @Override
    Seller open(Connection c, Workload w) throws SQLException {
      c.setAutoCommit(true);
      return new SqlSeller(db, c) {
        final PreparedStatement sell =
            prepare(
                "WITH sold AS (UPDATE "
                    + items
                    + " SET stock = stock - 1 WHERE id = ? AND stock >= 1 RETURNING id) "
                    + "INSERT INTO "
                    + sales
                    + " (item) SELECT id FROM sold");

        @Override
        public Outcome sell(int item) throws SQLException {
          sell.setInt(1, item);
          return sell.executeUpdate() == 1 ? Outcome.SOLD : Outcome.SOLD_OUT;
        }
      };
    }
  }

  /**
   * What an application with a row per SKU writes to do the work a Stockhold reservation does: in
   * one transaction, the conditional {@code UPDATE} of the stock, a hold row (its id the request's
   * idempotency key, so a retry finds it, with the channel, the quantity and the deadline) and an
   * outbox row for the ERP (the event as JSON, read by a relay afterwards). Autocommit off and one
   * round trip per statement, as an application writes it through its driver or ORM; the sales
   * table is the holds table.
   */
  static final class SqlTransaction extends SqlContender {
    final String outbox;

    SqlTransaction(SqlDatabase db) {
      super(db, "sql-transaction");
      this.outbox = "sql_transaction_outbox";
    }

    @Override
    public String approach() {
      return "the same work in one SQL transaction: UPDATE … SET stock = stock - 1 WHERE id = ? AND"
          + " stock >= 1; INSERT hold (idempotency key as its id, channel, quantity, deadline);"
          + " INSERT outbox row (the event as JSON); COMMIT — four round trips, autocommit off."
          + " Gives holds with deadlines, idempotency by the hold's key and an outbox; expiring"
          + " holds and relaying the outbox to the ERP are further jobs, not measured";
    }

    @Override
    public void stock(Workload w) throws SQLException {
      super.stock(w);
      try (Connection c = db.connect();
          Statement s = c.createStatement()) {
        s.execute("DROP TABLE IF EXISTS " + outbox + ", " + sales);
        s.execute(
            "CREATE TABLE "
                + sales
                + " (id text PRIMARY KEY, item integer NOT NULL, channel text NOT NULL, quantity"
                + " integer NOT NULL, expires_at timestamptz NOT NULL, sold_at timestamptz NOT NULL"
                + " DEFAULT clock_timestamp())");
        s.execute(
            "CREATE TABLE "
                + outbox
                + " (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT"
                + " clock_timestamp(), payload jsonb NOT NULL)");
      }
    }

    @Override
    public void cleanUp(Workload w) throws SQLException {
      try (Connection c = db.connect();
          Statement s = c.createStatement()) {
        s.execute("DROP TABLE IF EXISTS " + outbox);
      }
      super.cleanUp(w);
    }

    @Override
    Seller open(Connection c, Workload w) throws SQLException {
      c.setAutoCommit(false);
      String buyer = UUID.randomUUID().toString();
      return new SqlSeller(db, c) {
        final PreparedStatement take =
            prepare("UPDATE " + items + " SET stock = stock - 1 WHERE id = ? AND stock >= 1");
        final PreparedStatement hold =
            prepare(
                "INSERT INTO "
                    + sales
                    + " (id, item, channel, quantity, expires_at) VALUES (?, ?, 'web', 1,"
                    + " now() + interval '3600 seconds')");
        final PreparedStatement event =
            prepare("INSERT INTO " + outbox + " (payload) VALUES (CAST(? AS jsonb))");
        long keys;

        @Override
        public Outcome sell(int item) throws SQLException {
          try {
            take.setInt(1, item);
            if (take.executeUpdate() == 0) {
              c.rollback();
              return Outcome.SOLD_OUT;
            }
            String holdId = buyer + "-" + keys++;
            hold.setString(1, holdId);
            hold.setInt(2, item);
            hold.executeUpdate();
            event.setString(
                1,
                "{\"type\":\"hold-placed\",\"holdId\":\""
                    + holdId
                    + "\",\"location\":\""
                    + w.location()
                    + "\",\"sku\":\""
                    + Workload.sku(item)
                    + "\",\"quantity\":1,\"channel\":\"web\"}");
            event.executeUpdate();
            c.commit();
            return Outcome.SOLD;
          } catch (SQLException e) {
            c.rollback();
            throw e;
          }
        }
      };
    }
  }

  /**
   * Read stock and version, write only if the version is unchanged, retry on a conflict; after
   * {@code retries} retries the buyer is told to try again later (turned away).
   */
  static final class Optimistic extends SqlContender {
    final int retries;

    Optimistic(SqlDatabase db, int retries) {
      super(db, "optimistic");
      this.retries = retries;
    }

    @Override
    public String approach() {
      return "optimistic: SELECT stock, version; UPDATE … WHERE id = ? AND version = ? (sale row in"
          + " the same statement); up to "
          + retries
          + " retries, then turned away";
    }

    @Override
    Seller open(Connection c, Workload w) throws SQLException {
      c.setAutoCommit(true);
      return new SqlSeller(db, c) {
        final PreparedStatement read =
            prepare("SELECT stock, version FROM " + items + " WHERE id = ?");
        final PreparedStatement write =
            prepare(
                "WITH sold AS (UPDATE "
                    + items
                    + " SET stock = ?, version = version + 1 WHERE id = ? AND version = ? RETURNING"
                    + " id) INSERT INTO "
                    + sales
                    + " (item) SELECT id FROM sold");

        @Override
        public Outcome sell(int item) throws SQLException {
          for (int attempt = 0; attempt <= retries; attempt++) {
            read.setInt(1, item);
            long stock;
            long version;
            try (ResultSet rs = read.executeQuery()) {
              rs.next();
              stock = rs.getLong(1);
              version = rs.getLong(2);
            }
            if (stock < 1) return Outcome.SOLD_OUT;
            write.setLong(1, stock - 1);
            write.setInt(2, item);
            write.setLong(3, version);
            if (write.executeUpdate() == 1) return Outcome.SOLD;
          }
          return Outcome.TURNED_AWAY;
        }
      };
    }
  }

  /**
   * The common Redis pattern: take a per-item lock with {@code SET lock NX EX 10}, read, write with
   * a version check, {@code DEL} the lock. A buyer who finds the lock taken is told to try again
   * (turned away) — that is how the pattern is usually shipped.
   */
  static final class RedisLock extends SqlContender {

    /**
     * Where Redis answers, and a prefix that keeps this run's lock keys apart from anyone else's.
     */
    record Target(String host, int port, String keyPrefix) {}

    final Target redis;

    RedisLock(SqlDatabase db, Target redis) {
      super(db, "redis-lock");
      this.redis = redis;
    }

    @Override
    public String approach() {
      return "Redis lock: SET lock NX EX 10 (busy → turned away), SELECT stock, version; UPDATE …"
          + " WHERE version = ?; DEL lock";
    }

    @Override
    Seller open(Connection c, Workload w) throws SQLException, IOException {
      c.setAutoCommit(true);
      RespClient resp = new RespClient(redis.host(), redis.port(), 10_000);
      // The lock's value names its holder, as the pattern recommends (the plain DEL below does not
      // check it).
      String token = UUID.randomUUID().toString();
      try {
        return redisSeller(c, w, resp, token);
      } catch (SQLException | RuntimeException e) {
        resp.close();
        throw e;
      }
    }

    private Seller redisSeller(Connection c, Workload w, RespClient resp, String token)
        throws SQLException {
      return new SqlSeller(db, c) {
        final PreparedStatement read =
            prepare("SELECT stock, version FROM " + items + " WHERE id = ?");
        final PreparedStatement write =
            prepare(
                "WITH sold AS (UPDATE "
                    + items
                    + " SET stock = ?, version = version + 1 WHERE id = ? AND version = ? RETURNING"
                    + " id) INSERT INTO "
                    + sales
                    + " (item) SELECT id FROM sold");

        @Override
        public Outcome sell(int item) throws SQLException, IOException {
          String lock = redis.keyPrefix() + w.key() + ":" + item;
          if (!resp.setIfAbsent(lock, token, 10)) return Outcome.TURNED_AWAY;
          try {
            read.setInt(1, item);
            long stock;
            long version;
            try (ResultSet rs = read.executeQuery()) {
              rs.next();
              stock = rs.getLong(1);
              version = rs.getLong(2);
            }
            if (stock < 1) return Outcome.SOLD_OUT;
            write.setLong(1, stock - 1);
            write.setInt(2, item);
            write.setLong(3, version);
            return write.executeUpdate() == 1 ? Outcome.SOLD : Outcome.TURNED_AWAY;
          } finally {
            resp.del(lock);
          }
        }

        @Override
        public void close() {
          resp.close();
          super.close();
        }
      };
    }
  }
}
