package io.stockhold.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stockhold.testing.Client;
import io.stockhold.testing.RunningNode;
import io.stockhold.testing.TestKeys;
import io.stockhold.testing.TestStore;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** {@code stockhold keys} against a running node, as an operator would use it. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KeysCommandIT {

  private RunningNode running;
  private String url;

  @BeforeAll
  void start() throws Exception {
    running = RunningNode.start(TestStore.Kind.H2);
    url = "http://127.0.0.1:" + running.node().httpPort();
  }

  @AfterAll
  void stop() {
    if (running != null) running.close();
  }

  private record Run(int exit, String out) {}

  private Run keys(String action, Map<String, String> options, Map<String, String> env)
      throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    int exit =
        KeysCommand.run(
            action, options, env, new PrintStream(printed, true, StandardCharsets.UTF_8));
    return new Run(exit, printed.toString(StandardCharsets.UTF_8));
  }

  private static final Map<String, String> MASTER = Map.of("STOCKHOLD_MASTER_KEY", TestKeys.MASTER);

  @Test
  void aKeyIsCreatedShownOnceListedAndRevoked() throws Exception {
    Run created =
        keys(
            "create",
            Map.of(
                "name", "till 3",
                "scopes", "pos,stock:read",
                "locations", "store-7",
                "rate", "20",
                "url", url),
            MASTER);
    assertEquals(0, created.exit(), created.out());
    String secret =
        created.out().lines().filter(l -> l.startsWith("key: ")).findFirst().orElseThrow();
    secret = secret.substring("key: ".length());
    String keyId = secret.substring(4, 20);
    assertTrue(
        created
            .out()
            .startsWith(keyId + "  till 3  scopes pos,stock:read  locations store-7  rate 20/s"),
        created.out());

    Client withKey = new Client(running.node().httpPort(), secret);
    assertEquals(404, withKey.get("/v1/stock/store-7/pen").status(), "served: never stocked");

    Run listed = keys("list", Map.of("url", url), MASTER);
    assertEquals(0, listed.exit());
    assertTrue(listed.out().contains(keyId + "  till 3"), listed.out());
    assertTrue(!listed.out().contains(secret), "the list never shows a secret");

    Run revoked = keys("revoke", Map.of("id", keyId, "url", url), MASTER);
    assertEquals(0, revoked.exit(), revoked.out());
    assertEquals(401, withKey.get("/v1/stock/store-7/pen").status());
    assertTrue(keys("list", Map.of("url", url), MASTER).out().contains("REVOKED"));
  }

  @Test
  void refusalsAreOneLineWithAnExitCode() throws Exception {
    Run badScope =
        keys("create", Map.of("name", "x", "scopes", "stock:delete", "url", url), MASTER);
    assertEquals(1, badScope.exit());
    assertTrue(badScope.out().startsWith("keys: 400 "), badScope.out());

    Run wrongMaster =
        keys("list", Map.of("url", url), Map.of("STOCKHOLD_MASTER_KEY", "not-the-master-key"));
    assertEquals(1, wrongMaster.exit());
    assertTrue(wrongMaster.out().startsWith("keys: 401 "), wrongMaster.out());
    assertTrue(wrongMaster.out().contains("this node's master key?"), wrongMaster.out());

    Run noMaster =
        keys("list", Map.of("url", url), Map.of("STOCKHOLD_DATA_DIR", "/nonexistent-stockhold"));
    assertEquals(2, noMaster.exit());
    assertTrue(noMaster.out().contains("STOCKHOLD_MASTER_KEY"), noMaster.out());

    Run unknownOption = keys("revoke", Map.of("id", "x", "secret", "y"), MASTER);
    assertEquals(2, unknownOption.exit());
    assertTrue(unknownOption.out().startsWith("keys revoke takes no option --secret"));

    Run nobodyThere = keys("list", Map.of("url", "http://127.0.0.1:1"), MASTER);
    assertEquals(2, nobodyThere.exit());
    assertTrue(nobodyThere.out().startsWith("keys: no node answers at"), nobodyThere.out());
  }
}
