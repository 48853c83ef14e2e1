package io.stockhold.api.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stockhold.testing.RunningNode;
import io.stockhold.testing.TestKeys;
import io.stockhold.testing.TestStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Interoperability: a terminal written in Python with the stock gRPC library (grpcio, its C core)
 * and no code generated from this build: it learns the service by server reflection and calls every
 * kind of RPC. Skipped, saying why, where Debian's python3-grpcio is not installed ({@code
 * bin/test} installs it).
 */
class PythonInteropIT {

  static final String PYTHON = "/usr/bin/python3";

  @Test
  void aPythonGrpcioClientWithoutGeneratedCodeUsesEveryKindOfRpc() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(Path.of(PYTHON)), PYTHON + " is not installed");
    Process probe =
        new ProcessBuilder(PYTHON, "-c", "import grpc, google.protobuf")
            .redirectErrorStream(true)
            .start();
    String probeOutput = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    Assumptions.assumeTrue(
        probe.waitFor() == 0,
        "python3-grpcio / python3-protobuf are not installed (apt-get install python3-grpcio"
            + " python3-protobuf): "
            + probeOutput.strip());

    try (RunningNode running = RunningNode.start(TestStore.Kind.H2)) {
      assertEquals(200, running.client().stock("py-store", "apple", 5).status());
      assertEquals(200, running.client().stock("py-store", "pear", 11).status());

      ProcessBuilder terminal =
          new ProcessBuilder(
                  PYTHON,
                  Path.of("src/test/python/pos_interop.py").toString(),
                  "127.0.0.1",
                  Integer.toString(running.node().httpPort()),
                  "py-store")
              .redirectError(ProcessBuilder.Redirect.INHERIT);
      // The terminal presents this key on every call, reflection included.
      terminal.environment().put("STOCKHOLD_API_KEY", TestKeys.MASTER);
      Process client = terminal.start();
      String output = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(client.waitFor(120, TimeUnit.SECONDS), "the Python client did not finish");
      assertEquals(0, client.exitValue(), "the Python client failed; it printed: " + output);

      JsonNode seen = new ObjectMapper().readTree(output);
      List<String> services =
          new ObjectMapper()
              .convertValue(seen.get("services"), new TypeReference<List<String>>() {});
      assertTrue(services.contains("stockhold.pos.v1.PointOfSale"), seen.toString());
      assertEquals(5, seen.at("/apple/onHand").asLong());
      assertEquals(1, seen.at("/reserve/status").asInt(), "RESERVATION_STATUS_HELD");
      assertTrue(
          seen.at("/reserve/replayedSameId").asBoolean(),
          "the same request_id replays the reservation");
      assertEquals(2, seen.get("commit").asInt(), "RESERVATION_STATUS_COMMITTED");
      assertEquals("NOT_FOUND", seen.get("ghost").asText());
      assertEquals("INVALID_ARGUMENT", seen.at("/badQuantity/0").asText());
      assertTrue(seen.at("/badQuantity/1").asText().contains("lines[0].quantity"), seen.toString());
      assertEquals("apple", seen.at("/watchFirst/sku").asText());
      assertEquals(3, seen.at("/watchFirst/onHand").asLong(), "5 less the 2 committed");
      assertEquals(2, seen.at("/sync/applied").asInt());
      assertEquals(1, seen.at("/sync/duplicates").asInt());
      assertEquals(1, seen.at("/sync/oversold").asInt());
      assertEquals(0, seen.at("/sync/rejected").asInt());
      assertEquals(-2, seen.get("pearOnHand").asLong());
    }
  }
}
