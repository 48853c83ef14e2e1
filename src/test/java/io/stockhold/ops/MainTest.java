package io.stockhold.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MainTest {

  @Test
  void anOptionACommandDoesNotTakeIsNamed() {
    assertEquals(Optional.of("serve takes no option --bogus"), Main.problem("serve", Map.of("bogus", "true")));
    assertEquals(Optional.of("verify takes no option --units"), Main.problem("verify", Map.of("units", "3")));
  }

  @Test
  void aNumberThatIsNotOneIsRefusedWithItsName() {
    assertEquals(Optional.of("--limit must be a whole number of at least 0, not abc"),
        Main.problem("verify", Map.of("limit", "abc")));
    assertEquals(Optional.of("--units must be a whole number of at least 1, not 0"),
        Main.problem("demo", Map.of("units", "0")));
    assertEquals(Optional.of("--buyers must be a whole number of at least 1, not 1.5"),
        Main.problem("demo", Map.of("buyers", "1.5")));
  }

  @Test
  void theOptionsEachCommandTakesPass() {
    assertEquals(Optional.empty(), Main.problem("verify", Map.of("config", "conf/postgres.conf", "limit", "0")));
    assertEquals(Optional.empty(), Main.problem("demo", Map.of("units", "20", "buyers", "600")));
    assertEquals(Optional.empty(), Main.problem("serve", Map.of("config", "conf/node1.conf")));
  }
}
