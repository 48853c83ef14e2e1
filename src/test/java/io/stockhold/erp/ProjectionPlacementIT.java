package io.stockhold.erp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.stockhold.node.StockholdNode;
import io.stockhold.testing.Client;
import io.stockhold.testing.TestNodes;
import io.stockhold.testing.TestStore;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * {@code stockhold.projections.role}: the read model and the ERP slices run only on nodes with that
 * cluster role, so an operator can keep them off the nodes that serve the hot items.
 */
class ProjectionPlacementIT {

  @Test
  void aNodeWithoutTheRoleServesButDoesNotProject() throws Exception {
    try (TestStore store = TestStore.create(TestStore.Kind.H2);
        StockholdNode node =
            TestNodes.start(
                store, ConfigFactory.parseString("stockhold.projections.role = projector"))) {
      Client api = new Client(node.httpPort());
      assertEquals(200, api.stock("store-1", "sku-1", 10).status());
      assertEquals(201, api.reserve("web", "store-1", "sku-1", 1, null, null).status());
      // Long enough for a slice that ran here to start and publish (the role node does it in < 1
      // s).
      Thread.sleep(3_000);
      assertFalse(
          Files.exists(store.dataDir().resolve("erp-events.jsonl")),
          "an ERP slice ran without the role");
      for (int slice = 0; slice < 4; slice++) {
        assertTrue(
            Double.isNaN(node.erpLag().events("stock-" + slice)),
            "slice " + slice + " is watched here");
      }
      assertEquals(
          0,
          api.get("/v1/stock?location=store-1").json().get("items").size(),
          "the read model was written");
    }
  }

  @Test
  void aNodeWithTheRoleProjects() throws Exception {
    try (TestStore store = TestStore.create(TestStore.Kind.H2);
        StockholdNode node =
            TestNodes.start(
                store,
                ConfigFactory.parseString(
                    "stockhold.projections.role = projector\npekko.cluster.roles = [projector]"))) {
      Client api = new Client(node.httpPort());
      assertEquals(200, api.stock("store-1", "sku-1", 10).status());
      Path file = store.dataDir().resolve("erp-events.jsonl");
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (!(Files.exists(file) && Files.readString(file).contains("stock-adjusted"))
          && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertTrue(Files.readString(file).contains("stock-adjusted"));
      while (api.get("/v1/stock?location=store-1").json().get("items").size() < 1
          && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertEquals(1, api.get("/v1/stock?location=store-1").json().get("items").size());
    }
  }
}
