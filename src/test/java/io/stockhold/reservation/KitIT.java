package io.stockhold.reservation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.stockhold.cli.JournalAudit;
import io.stockhold.testing.Client;
import io.stockhold.testing.Client.Response;
import io.stockhold.testing.RunningNode;
import io.stockhold.testing.TestStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Kits over REST against a node on PostgreSQL: a kit holds every component or none, its
 * availability follows its components, and kits and components sold at once never oversell one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KitIT {

  private RunningNode running;
  private Client client;

  @BeforeAll
  void start() throws Exception {
    running = RunningNode.start(TestStore.Kind.POSTGRES);
    client = running.client();
  }

  @AfterAll
  void stop() {
    if (running != null) running.close();
  }

  private Response kit(String sku, String components) {
    return client.put("/v1/kits/" + sku, "{\"components\":" + components + "}");
  }

  private Response reserveKit(Client who, String location, String sku, long quantity) {
    return who.post(
        "/v1/reservations",
        "{\"channel\":\"web\",\"ttlSeconds\":600,\"lines\":[{\"location\":\""
            + location
            + "\",\"sku\":\""
            + sku
            + "\",\"quantity\":"
            + quantity
            + "}]}");
  }

  private long available(String location, String sku) {
    return client.level(location, sku).json().get("available").asLong();
  }

  private long reserved(String location, String sku) {
    return client.level(location, sku).json().get("reserved").asLong();
  }

  @Test
  void aKitHoldsAllItsComponentsOrNoneAndCommitsAndReleasesThemAll() {
    Response made =
        kit(
            "picnic-set",
            "[{\"sku\":\"plate\",\"quantity\":2},{\"sku\":\"basket\",\"quantity\":1}]");
    assertEquals(200, made.status(), made::toString);
    assertEquals(2, made.json().get("components").size());
    assertEquals(200, client.get("/v1/kits/picnic-set").status());
    client.stock("park", "plate", 3);
    client.stock("park", "basket", 5);

    JsonNode level = client.level("park", "picnic-set").json();
    assertTrue(level.get("kit").asBoolean());
    assertEquals(1, level.get("available").asLong(), "3 plates make one set");

    Response tooMany = reserveKit(client, "park", "picnic-set", 2);
    assertEquals(409, tooMany.status(), tooMany::toString);
    assertEquals("insufficient-stock", tooMany.problem());
    assertEquals(0, reserved("park", "plate"), "nothing held");
    assertEquals(0, reserved("park", "basket"), "nothing held");

    Response held = reserveKit(client, "park", "picnic-set", 1);
    assertEquals(201, held.status(), held::toString);
    JsonNode lines = held.json().get("lines");
    assertEquals(2, lines.size());
    for (JsonNode line : lines) assertEquals("picnic-set", line.get("kit").asText());
    assertEquals(2, reserved("park", "plate"));
    assertEquals(1, reserved("park", "basket"));
    assertEquals(0, client.level("park", "picnic-set").json().get("available").asLong());

    String id = held.json().get("reservationId").asText();
    assertEquals(200, client.post("/v1/reservations/" + id + "/commit", null).status());
    assertEquals(1, client.level("park", "plate").json().get("onHand").asLong());
    assertEquals(4, client.level("park", "basket").json().get("onHand").asLong());

    client.stock("park", "plate", 10);
    Response second = reserveKit(client, "park", "picnic-set", 2);
    assertEquals(201, second.status());
    assertEquals(
        200,
        client
            .post(
                "/v1/reservations/" + second.json().get("reservationId").asText() + "/release",
                null)
            .status());
    assertEquals(0, reserved("park", "plate"));
    assertEquals(0, reserved("park", "basket"));
  }

  @Test
  void aKitFromAPoolHoldsItsComponentsWhereThePoolHasThem() {
    assertEquals(
        200,
        kit("tea-set", "[{\"sku\":\"teapot\",\"quantity\":1},{\"sku\":\"mug\",\"quantity\":2}]")
            .status());
    assertEquals(
        200, client.put("/v1/pools/tea-shops", "{\"locations\":[\"tea-a\",\"tea-b\"]}").status());
    client.stock("tea-a", "teapot", 0);
    client.stock("tea-b", "teapot", 1);
    client.stock("tea-b", "mug", 2);
    Response held =
        client.post(
            "/v1/reservations",
            "{\"channel\":\"web\",\"lines\":[{\"pool\":\"tea-shops\",\"sku\":\"tea-set\","
                + "\"quantity\":1}]}");
    assertEquals(201, held.status(), held::toString);
    for (JsonNode line : held.json().get("lines")) {
      assertEquals("tea-set", line.get("kit").asText());
      assertEquals("tea-shops", line.get("pool").asText());
    }
    assertEquals(1, reserved("tea-b", "teapot"));
    assertEquals(2, reserved("tea-b", "mug"));
    Response none =
        client.post(
            "/v1/reservations",
            "{\"channel\":\"web\",\"lines\":[{\"pool\":\"tea-shops\",\"sku\":\"tea-set\","
                + "\"quantity\":1}]}");
    assertEquals(409, none.status(), none::toString);
  }

  @Test
  void kitsDoNotNestAndBadDefinitionsNameTheField() {
    Response itself = kit("lamp-set", "[{\"sku\":\"lamp-set\",\"quantity\":1}]");
    assertEquals(400, itself.status());
    assertTrue(itself.json().get("errors").toString().contains("/components/0/sku"));
    assertEquals(200, kit("desk-set", "[{\"sku\":\"desk\",\"quantity\":1}]").status());
    Response nested =
        kit(
            "office-set",
            "[{\"sku\":\"chair\",\"quantity\":1},{\"sku\":\"desk-set\",\"quantity\":1}]");
    assertEquals(400, nested.status());
    assertTrue(
        nested.json().get("errors").toString().contains("/components/1/sku"), nested::toString);
    Response component = kit("desk", "[{\"sku\":\"leg\",\"quantity\":4}]");
    assertEquals(400, component.status(), "desk is a component of desk-set");
    StringBuilder many = new StringBuilder("[");
    for (int i = 0; i < 21; i++)
      many.append(i == 0 ? "" : ",").append("{\"sku\":\"p" + i + "\",\"quantity\":1}");
    Response tooMany = kit("big-set", many.append("]").toString());
    assertEquals(400, tooMany.status());
    assertTrue(tooMany.json().get("errors").toString().contains("/components"));
    Response zero = kit("zero-set", "[{\"sku\":\"a\",\"quantity\":0}]");
    assertEquals(400, zero.status());
    assertTrue(zero.json().get("errors").toString().contains("/components/0/quantity"));
    assertEquals(404, client.get("/v1/kits/office-set").status(), "nothing was made");
    Response waiting =
        client.post(
            "/v1/reservations",
            "{\"channel\":\"web\",\"lines\":[{\"location\":\"park\",\"sku\":\"desk-set\","
                + "\"quantity\":1,\"allowBackorder\":true}]}");
    assertEquals(400, waiting.status());
    assertTrue(waiting.json().get("errors").toString().contains("/lines/0/allowBackorder"));
  }

  @Test
  void kitsAndTheirComponentsSoldAtOnceNeverOversellAComponent() throws Exception {
    assertEquals(
        200,
        kit("duo", "[{\"sku\":\"cup\",\"quantity\":2},{\"sku\":\"saucer\",\"quantity\":1}]")
            .status());
    client.stock("cafe", "cup", 50);
    client.stock("cafe", "saucer", 30);
    int buyers = 200;
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Response>> outcomes = new ArrayList<>();
    List<String> asked = new ArrayList<>();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < buyers; i++) {
        String sku = i % 2 == 0 ? "duo" : (i % 4 == 1 ? "cup" : "saucer");
        asked.add(sku);
        Client own = new Client(running.node().httpPort(), client.key());
        outcomes.add(
            pool.submit(
                () -> {
                  go.await();
                  return reserveKit(own, "cafe", sku, 1);
                }));
      }
      go.countDown();
      long cups = 0;
      long saucers = 0;
      int refused = 0;
      for (int i = 0; i < buyers; i++) {
        Response r = outcomes.get(i).get();
        if (r.status() != 201) refused++;
        if (r.status() == 201) {
          switch (asked.get(i)) {
            case "duo" -> {
              cups += 2;
              saucers += 1;
            }
            case "cup" -> cups += 1;
            default -> saucers += 1;
          }
        } else {
          assertEquals(409, r.status(), r::toString);
        }
      }
      assertTrue(cups <= 50 && saucers <= 30, cups + " cups, " + saucers + " saucers held");
      assertEquals(cups, reserved("cafe", "cup"));
      assertEquals(saucers, reserved("cafe", "saucer"));
      // 250 cups and 150 saucers asked of 50 and 30: some won, some were told no
      assertTrue(refused > 0 && refused < buyers, refused + " refused");
    }
    // every item's invariants, and every kit's components sold together or not at all
    assertEquals(
        List.of(),
        JournalAudit.run(running.store().config().withFallback(ConfigFactory.load())).violations());
    assertEquals(
        Math.min(available("cafe", "cup") / 2, available("cafe", "saucer")),
        client.level("cafe", "duo").json().get("available").asLong());
  }
}
