package io.stockhold.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.ConnectException;
import java.nio.file.NoSuchFileException;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MainTest {

  @Test
  void anOptionACommandDoesNotTakeIsNamed() {
    assertEquals(
        Optional.of("serve takes no option --bogus"),
        Main.problem("serve", Map.of("bogus", "true")));
    assertEquals(
        Optional.of("verify takes no option --units"),
        Main.problem("verify", Map.of("units", "3")));
  }

  @Test
  void aNumberThatIsNotOneIsRefusedWithItsName() {
    assertEquals(
        Optional.of("--limit must be a whole number of at least 0, not abc"),
        Main.problem("verify", Map.of("limit", "abc")));
    assertEquals(
        Optional.of("--units must be a whole number of at least 1, not 0"),
        Main.problem("demo", Map.of("units", "0")));
    assertEquals(
        Optional.of("--buyers must be a whole number of at least 1, not 1.5"),
        Main.problem("demo", Map.of("buyers", "1.5")));
    // verify --limit, with nothing after it
    assertEquals(
        Optional.of("--limit must be a whole number of at least 0"),
        Main.problem("verify", Map.of("limit", "true")));
  }

  @Test
  void theOptionsEachCommandTakesPass() {
    assertEquals(
        Optional.empty(),
        Main.problem("verify", Map.of("config", "conf/postgres.conf", "limit", "0")));
    assertEquals(Optional.empty(), Main.problem("demo", Map.of("units", "20", "buyers", "600")));
    assertEquals(Optional.empty(), Main.problem("serve", Map.of("config", "conf/node1.conf")));
  }

  @Test
  void verifySaysInOneLineWhyItCannotReadTheJournal() {
    var postgres =
        new IllegalStateException(
            "query failed",
            new SQLException(
                "ERROR: relation \"event_journal\" does not exist\n  Position: 22", "42P01"));
    assertEquals(
        List.of(
            "verify: cannot read the journal: ERROR: relation \"event_journal\" does not exist",
            "  This store has no journal yet: a node creates its tables when it first starts."),
        Main.unreadable(postgres));

    var h2 =
        new SQLException(
            "Table \"event_journal\" not found (this database is empty); SQL statement:\n"
                + "select distinct \"persistence_id\" from \"event_journal\" [42104-224]",
            "42S04");
    assertEquals(
        List.of(
            "verify: cannot read the journal: Table \"event_journal\" not found (this database is"
                + " empty)",
            "  This store has no journal yet: a node creates its tables when it first starts."),
        Main.unreadable(h2));

    var missing =
        new NoSuchFileException(
            "/srv/stockhold/stockhold.mv.db", null, "there is no embedded store here");
    assertEquals(
        List.of(
            "verify: cannot read the journal: /srv/stockhold/stockhold.mv.db: there is no embedded"
                + " store here",
            "  This store has no journal yet: a node creates its tables when it first starts."),
        Main.unreadable(missing));

    var locked =
        new SQLException("Database may be already in use: \"data/stockhold.mv.db\"", "90020");
    assertEquals(
        "  The embedded store is open in a node: stop the node, then verify.",
        Main.unreadable(locked).get(1));

    assertEquals(
        List.of("verify: cannot read the journal: Connection refused"),
        Main.unreadable(new RuntimeException(new ConnectException("Connection refused"))));
  }
}
