package io.stockhold.erp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stockhold.testing.RunningNode;
import io.stockhold.testing.TestStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Without a broker, the ERP's messages are JSON lines in the data directory. */
class ErpEventsFileIT {

  @Test
  void theEmbeddedNodeWritesWhatTheErpWouldReceive() throws Exception {
    try (RunningNode n = RunningNode.start(TestStore.Kind.H2)) {
      n.client().stock("store-2", "sku-5", 10);
      String id =
          n.client()
              .reserve("web", "store-2", "sku-5", 4, null, null)
              .json()
              .get("reservationId")
              .asText();
      n.client().post("/v1/reservations/" + id + "/commit", "");

      Path file = n.store().dataDir().resolve("erp-events.jsonl");
      List<JsonNode> lines = new ArrayList<>();
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (lines.size() < 3 && System.nanoTime() < deadline) {
        Thread.sleep(100);
        lines.clear();
        if (Files.exists(file)) {
          for (String line : Files.readAllLines(file)) lines.add(new ObjectMapper().readTree(line));
        }
      }
      assertEquals(
          List.of("stock-adjusted", "hold-placed", "hold-committed"),
          lines.stream().map(j -> j.get("type").asText()).toList());
      assertEquals(
          List.of(
              "StockItem|store-2/sku-5:1",
              "StockItem|store-2/sku-5:2",
              "StockItem|store-2/sku-5:3"),
          lines.stream().map(j -> j.get("eventId").asText()).toList());
      assertEquals(6, lines.get(2).get("onHand").asLong());
      // Every event is out: no slice is behind (this also runs the lag query on H2). A slice
      // records its progress after the file has the lines, so the lag reaches 0 a moment later.
      for (int slice = 0; slice < 4; slice++) {
        long behind = n.node().erpLag().measure("stock-" + slice).events();
        long until = System.nanoTime() + 10_000_000_000L;
        while (behind != 0 && System.nanoTime() < until) {
          Thread.sleep(100);
          behind = n.node().erpLag().measure("stock-" + slice).events();
        }
        assertEquals(0, behind, "events of slice stock-" + slice + " not recorded as published");
      }
    }
  }
}
