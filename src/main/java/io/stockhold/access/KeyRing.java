package io.stockhold.access;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.Collectors;
import javax.sql.DataSource;

/**
 * The API keys, cluster-wide: a table in the journal's database is the truth, and every node keeps
 * all of it in memory, read again every few seconds ({@link #refresh}). So a key created or revoked
 * on one node is honoured or refused on every node within one refresh interval, and checking a key
 * — or turning away a guessed one — never waits for the database. Only a hash of each secret is
 * stored; the secret is shown once, when the key is created.
 *
 * <p>A key reads {@code shk_<keyId>_<secret>}: the id finds the key without a search, and the
 * secret (32 random bytes) is what the hash is compared with.
 */
public final class KeyRing {

  static final String PREFIX = "shk_";
  private static final int KEY_ID_LENGTH = 16;

  private static final String CREATE_TABLE =
      """
      CREATE TABLE IF NOT EXISTS stockhold_api_key (
        key_id VARCHAR(32) PRIMARY KEY,
        name VARCHAR(200) NOT NULL,
        scopes VARCHAR(500) NOT NULL,
        locations VARCHAR(8000) NOT NULL,
        expires_at BIGINT,
        requests_per_second INTEGER,
        created_at BIGINT NOT NULL,
        revoked_at BIGINT,
        secret_hash VARCHAR(64) NOT NULL)\
      """;

  private static final String COLUMNS =
      "key_id, name, scopes, locations, expires_at, requests_per_second, created_at, revoked_at,"
          + " secret_hash";

  private static final SecureRandom RANDOM = new SecureRandom();

  /** What a new key is to be. */
  public record NewKey(
      String name,
      Set<Scope> scopes,
      Set<String> locations,
      Optional<Instant> expiresAt,
      OptionalInt requestsPerSecond) {}

  /** A key just created, with its secret: the only time the secret is known. */
  public record Issued(ApiKey key, String secret) {}

  private final DataSource database;
  private final Clock clock;
  private volatile Map<String, ApiKey> byId = Map.of();

  private KeyRing(DataSource database, Clock clock) {
    this.database = database;
    this.clock = clock;
  }

  /** The key table (created when missing) and every key in it. */
  public static KeyRing open(DataSource database, Clock clock) throws SQLException {
    try (Connection c = database.getConnection();
        Statement s = c.createStatement()) {
      s.execute(CREATE_TABLE);
    }
    KeyRing ring = new KeyRing(database, clock);
    ring.refresh();
    return ring;
  }

  /** Reads every key again: what other nodes created or revoked since the last time. */
  public void refresh() throws SQLException {
    Map<String, ApiKey> keys = new HashMap<>();
    for (ApiKey key : query("SELECT " + COLUMNS + " FROM stockhold_api_key", null)) {
      keys.put(key.keyId(), key);
    }
    byId = Map.copyOf(keys);
  }

  public Issued create(NewKey spec) throws SQLException {
    String keyId = HexFormat.of().formatHex(random(KEY_ID_LENGTH / 2));
    String secret =
        PREFIX + keyId + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(random(32));
    ApiKey key =
        new ApiKey(
            keyId,
            spec.name(),
            spec.scopes(),
            spec.locations(),
            spec.expiresAt(),
            spec.requestsPerSecond(),
            clock.instant(),
            Optional.empty(),
            hash(secret));
    try (Connection c = database.getConnection();
        PreparedStatement insert =
            c.prepareStatement(
                "INSERT INTO stockhold_api_key ("
                    + COLUMNS
                    + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      insert.setString(1, key.keyId());
      insert.setString(2, key.name());
      insert.setString(
          3, key.scopes().stream().map(Scope::wireName).sorted().collect(Collectors.joining(",")));
      insert.setString(4, key.locations().stream().sorted().collect(Collectors.joining(",")));
      setMillis(insert, 5, key.expiresAt());
      if (key.requestsPerSecond().isPresent()) insert.setInt(6, key.requestsPerSecond().getAsInt());
      else insert.setNull(6, Types.INTEGER);
      insert.setLong(7, key.createdAt().toEpochMilli());
      insert.setNull(8, Types.BIGINT);
      insert.setString(9, key.secretHash());
      insert.executeUpdate();
    }
    remember(key);
    return new Issued(key, secret);
  }

  /** Every key, revoked ones included, oldest first. */
  public List<ApiKey> list() throws SQLException {
    return query("SELECT " + COLUMNS + " FROM stockhold_api_key ORDER BY created_at, key_id", null);
  }

  public Optional<ApiKey> get(String keyId) throws SQLException {
    return query("SELECT " + COLUMNS + " FROM stockhold_api_key WHERE key_id = ?", keyId).stream()
        .findFirst();
  }

  /** Revokes the key; false when there is no such key. Revoking twice keeps the first time. */
  public boolean revoke(String keyId) throws SQLException {
    Instant now = clock.instant();
    try (Connection c = database.getConnection();
        PreparedStatement update =
            c.prepareStatement(
                "UPDATE stockhold_api_key SET revoked_at = COALESCE(revoked_at, ?) WHERE key_id"
                    + " = ?")) {
      update.setLong(1, now.toEpochMilli());
      update.setString(2, keyId);
      if (update.executeUpdate() == 0) return false;
    }
    get(keyId).ifPresent(this::remember);
    return true;
  }

  /**
   * The key a caller presented ({@code presentedHash}: its {@link #hash}, as ASCII), if it is one
   * of ours and its secret matches; whether it is still active is the caller's question.
   */
  Optional<ApiKey> find(String presented, byte[] presentedHash) {
    if (!presented.startsWith(PREFIX) || presented.length() < PREFIX.length() + KEY_ID_LENGTH + 2) {
      return Optional.empty();
    }
    String keyId = presented.substring(PREFIX.length(), PREFIX.length() + KEY_ID_LENGTH);
    ApiKey key = byId.get(keyId);
    if (key == null) return Optional.empty();
    boolean matches =
        MessageDigest.isEqual(key.secretHash().getBytes(StandardCharsets.US_ASCII), presentedHash);
    return matches ? Optional.of(key) : Optional.empty();
  }

  private void remember(ApiKey key) {
    Map<String, ApiKey> keys = new HashMap<>(byId);
    keys.put(key.keyId(), key);
    byId = Map.copyOf(keys);
  }

  private List<ApiKey> query(String sql, String keyId) throws SQLException {
    List<ApiKey> keys = new ArrayList<>();
    try (Connection c = database.getConnection();
        PreparedStatement q = c.prepareStatement(sql)) {
      if (keyId != null) q.setString(1, keyId);
      try (ResultSet r = q.executeQuery()) {
        while (r.next()) keys.add(read(r));
      }
    }
    return keys;
  }

  private static ApiKey read(ResultSet r) throws SQLException {
    Set<Scope> scopes = new LinkedHashSet<>();
    for (String s : split(r.getString("scopes"))) Scope.ofWireName(s).ifPresent(scopes::add);
    int rate = r.getInt("requests_per_second");
    OptionalInt requestsPerSecond = r.wasNull() ? OptionalInt.empty() : OptionalInt.of(rate);
    return new ApiKey(
        r.getString("key_id"),
        r.getString("name"),
        scopes,
        new LinkedHashSet<>(split(r.getString("locations"))),
        millis(r, "expires_at"),
        requestsPerSecond,
        Instant.ofEpochMilli(r.getLong("created_at")),
        millis(r, "revoked_at"),
        r.getString("secret_hash"));
  }

  private static List<String> split(String joined) {
    return joined.isEmpty() ? List.of() : Arrays.asList(joined.split(","));
  }

  private static Optional<Instant> millis(ResultSet r, String column) throws SQLException {
    long value = r.getLong(column);
    return r.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(value));
  }

  private static void setMillis(PreparedStatement s, int index, Optional<Instant> at)
      throws SQLException {
    if (at.isPresent()) s.setLong(index, at.get().toEpochMilli());
    else s.setNull(index, Types.BIGINT);
  }

  private static byte[] random(int bytes) {
    byte[] out = new byte[bytes];
    RANDOM.nextBytes(out);
    return out;
  }

  /** SHA-256, hex: the secret is 32 random bytes, so a fast hash is as good as a slow one. */
  static String hash(String secret) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
