package io.stockhold.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MasterKeyTest {

  private static Config masterKey(String value) {
    return ConfigFactory.parseMap(Map.of("stockhold.auth.master-key", value));
  }

  @Test
  void aConfiguredKeyIsUsedAndAShortOneStopsTheNode(@TempDir Path data) {
    assertEquals(
        "0123456789abcdef", MasterKey.resolve(masterKey("0123456789abcdef"), false, data).key());
    MasterKey.Refused refused =
        assertThrows(
            MasterKey.Refused.class, () -> MasterKey.resolve(masterKey("too-short"), true, data));
    assertTrue(refused.getMessage().contains("at least 16 characters"), refused.getMessage());
  }

  @Test
  void onPostgresWithoutAKeyTheNodeRefusesNamingTheVariable(@TempDir Path data) {
    MasterKey.Refused refused =
        assertThrows(MasterKey.Refused.class, () -> MasterKey.resolve(masterKey(""), false, data));
    assertTrue(refused.getMessage().contains("STOCKHOLD_MASTER_KEY"), refused.getMessage());
  }

  @Test
  void onTheEmbeddedStoreAKeyIsMadeOnceKeptPrivateAndReused(@TempDir Path data) throws Exception {
    MasterKey.Resolved first = MasterKey.resolve(masterKey(""), true, data);
    Path file = data.resolve("master.key");
    assertEquals(file.toAbsolutePath().normalize().toString(), first.source());
    assertEquals(first.key() + "\n", Files.readString(file));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertTrue(first.key().length() >= MasterKey.MIN_LENGTH);
    assertEquals(first.key(), MasterKey.resolve(masterKey(""), true, data).key(), "kept");
  }
}
