package io.stockhold.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stockhold.access.KeyRing.Issued;
import io.stockhold.access.KeyRing.NewKey;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Who a caller is and what it may do: keys in a real (in-memory H2) table, no transport. */
class AccessTest {

  private static final String MASTER = "the-master-key-of-this-test";
  private static final Instant NOW = Instant.parse("2026-12-07T10:00:00Z");

  private JdbcDataSource database;
  private KeyRing keys;
  private Access access;

  @BeforeEach
  void open() throws Exception {
    database = new JdbcDataSource();
    database.setURL("jdbc:h2:mem:keys-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    keys = KeyRing.open(database, clock);
    access = Access.checking(MASTER, keys, clock);
  }

  private Issued key(Set<Scope> scopes, Set<String> locations) throws Exception {
    return keys.create(
        new NewKey("till 3", scopes, locations, Optional.empty(), OptionalInt.empty()));
  }

  private static Optional<ApiKey> known(KeyRing ring, String secret) {
    return ring.find(secret, KeyRing.hash(secret).getBytes(StandardCharsets.US_ASCII));
  }

  private static Optional<String> bearer(String key) {
    return Optional.of("Bearer " + key);
  }

  @Test
  void theMasterKeyIsTheMasterWithEveryScopeAndLocation() {
    Access.Verdict verdict = access.authenticate(bearer(MASTER));
    Principal master = assertInstanceOf(Access.Allowed.class, verdict).principal();
    assertEquals("master", master.actor());
    assertEquals(Optional.empty(), access.denial(master, Scope.KEYS_ADMIN, List.of("store-8")));
    assertEquals("", master.idempotencyScope(), "the master key derives operation ids as before");
  }

  @Test
  void noKeyAMalformedHeaderOrAnUnknownKeyIsNobody() throws Exception {
    Issued real = key(Set.of(Scope.STOCK_READ), Set.of());
    String forged = real.secret().substring(0, real.secret().length() - 1) + "x";
    for (Optional<String> header :
        List.of(
            Optional.<String>empty(),
            Optional.of("Basic dXNlcjpwYXNz"),
            Optional.of("Bearer"),
            bearer("shk_0123456789abcdef_nope"),
            bearer(forged),
            bearer(MASTER + "x"))) {
      assertInstanceOf(
          Access.Unauthenticated.class, access.authenticate(header), header.toString());
    }
  }

  @Test
  void aKeyIsItsScopesAtItsLocations() throws Exception {
    Issued till = key(Set.of(Scope.POS, Scope.RESERVATIONS_WRITE), Set.of("store-7"));
    Principal principal =
        assertInstanceOf(Access.Allowed.class, access.authenticate(bearer(till.secret())))
            .principal();
    assertEquals(till.key().keyId(), principal.actor());
    assertEquals(till.key().keyId(), principal.idempotencyScope());
    assertEquals(
        Optional.empty(), access.denial(principal, Scope.RESERVATIONS_WRITE, List.of("store-7")));
    assertEquals(
        Optional.of("this key lacks the scope stock:write"),
        access.denial(principal, Scope.STOCK_WRITE, List.of("store-7")));
    assertEquals(
        Optional.of("this key may not touch location store-8"),
        access.denial(principal, Scope.RESERVATIONS_WRITE, List.of("store-7", "store-8")));
    assertEquals(Optional.of(Set.of("store-7")), principal.onlyLocations());
  }

  @Test
  void aRevokedOrExpiredKeyIsRefusedAndOnlyItsHashIsStored() throws Exception {
    Issued revoked = key(Set.of(Scope.STOCK_READ), Set.of());
    Issued expired =
        keys.create(
            new NewKey(
                "old",
                Set.of(Scope.STOCK_READ),
                Set.of(),
                Optional.of(NOW.minusSeconds(1)),
                OptionalInt.empty()));
    assertTrue(keys.revoke(revoked.key().keyId()));
    assertFalse(keys.revoke("ffffffffffffffff"), "no such key");

    assertEquals(
        "API key " + revoked.key().keyId() + " was revoked",
        assertInstanceOf(
                Access.Unauthenticated.class, access.authenticate(bearer(revoked.secret())))
            .detail());
    assertEquals(
        "API key " + expired.key().keyId() + " has expired",
        assertInstanceOf(
                Access.Unauthenticated.class, access.authenticate(bearer(expired.secret())))
            .detail());

    try (Connection c = database.getConnection();
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT * FROM stockhold_api_key")) {
      int columns = r.getMetaData().getColumnCount();
      while (r.next()) {
        for (int i = 1; i <= columns; i++) {
          String value = String.valueOf(r.getObject(i));
          assertFalse(value.contains(revoked.secret().substring(21)), "a secret was stored");
          assertFalse(value.contains(expired.secret().substring(21)), "a secret was stored");
        }
      }
    }
  }

  @Test
  void aKeyCreatedOrRevokedElsewhereIsKnownAfterARefresh() throws Exception {
    // Another node: its own ring over the same table.
    KeyRing elsewhere = KeyRing.open(database, Clock.fixed(NOW, ZoneOffset.UTC));
    Issued late = key(Set.of(Scope.STOCK_READ), Set.of());
    assertTrue(known(elsewhere, late.secret()).isEmpty(), "not read yet");
    elsewhere.refresh();
    assertTrue(known(elsewhere, late.secret()).isPresent());

    Access there = Access.checking(MASTER, elsewhere, Clock.fixed(NOW, ZoneOffset.UTC));
    keys.revoke(late.key().keyId());
    assertInstanceOf(Access.Allowed.class, there.authenticate(bearer(late.secret())), "stale");
    elsewhere.refresh();
    assertInstanceOf(Access.Unauthenticated.class, there.authenticate(bearer(late.secret())));
  }

  @Test
  void aRateLimitStartsFullRefillsContinuouslyAndATurnedAwayRequestTakesNothing() {
    RateLimits limits = new RateLimits();
    ApiKey key =
        new ApiKey(
            "0123456789abcdef",
            "limited",
            Set.of(Scope.STOCK_READ),
            Set.of(),
            Optional.empty(),
            OptionalInt.of(10),
            NOW,
            Optional.empty(),
            "hash");
    long t = 1_000_000_000L;
    for (int i = 0; i < 10; i++) assertEquals(0, limits.secondsToWait(key, t), "burst " + i);
    assertEquals(1, limits.secondsToWait(key, t), "empty: wait");
    assertEquals(1, limits.secondsToWait(key, t), "a refusal took no token");
    assertEquals(0, limits.secondsToWait(key, t + 100_000_000L), "one token after 0.1 s");
    assertEquals(1, limits.secondsToWait(key, t + 100_000_000L));
    // A whole second refills 10, never more than the bucket holds.
    long later = t + 5_000_000_000L;
    for (int i = 0; i < 10; i++) assertEquals(0, limits.secondsToWait(key, later));
    assertEquals(1, limits.secondsToWait(key, later));
  }

  @Test
  void withCheckingOffEveryCallerIsAnonymousAndMayDoAnything() {
    Access off = Access.off(keys);
    Principal anybody =
        assertInstanceOf(Access.Allowed.class, off.authenticate(Optional.empty())).principal();
    assertEquals("anonymous", anybody.actor());
    assertEquals(Optional.empty(), off.denial(anybody, Scope.KEYS_ADMIN, List.of("any")));
  }
}
