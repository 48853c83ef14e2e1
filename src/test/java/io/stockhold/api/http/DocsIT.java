package io.stockhold.api.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stockhold.testing.Client;
import io.stockhold.testing.Client.Response;
import io.stockhold.testing.RunningNode;
import io.stockhold.testing.TestStore;
import org.junit.jupiter.api.Test;

/**
 * {@code /docs} on a real node: Swagger UI over the node's own OpenAPI document, every file from
 * the node itself, without a key (its calls need one).
 */
class DocsIT {

  @Test
  void theDocsPageAndItsFilesComeFromTheNodeWithoutAKey() throws Exception {
    try (RunningNode running = RunningNode.start(TestStore.Kind.H2)) {
      Client anybody = Client.anonymous(running.node().httpPort());
      Response bare = anybody.get("/docs");
      assertEquals(301, bare.status());
      assertEquals("/docs/", bare.header("Location"));
      Response page = anybody.get("/docs/");
      assertEquals(200, page.status(), page::toString);
      assertTrue(page.contentType().startsWith("text/html"), page.contentType());
      assertTrue(page.body().contains("SwaggerUIBundle"), "Swagger UI");
      assertTrue(page.body().contains("../v1/openapi.yaml"), "over the node's own document");
      assertTrue(
          !page.body().contains("http://") && !page.body().contains("https://"), "no other host");
      for (String file :
          new String[] {
            "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"
          }) {
        Response r = anybody.get("/docs/" + file);
        assertEquals(200, r.status(), file);
        assertTrue(r.body().length() > 1000, file + " is the real file");
      }
      assertEquals(
          "javascript",
          anybody.get("/docs/swagger-ui-bundle.js").contentType().replaceAll(".*/|;.*", ""));
      assertEquals(404, anybody.get("/docs/index.html.map").status(), "only the page's files");
      assertEquals(404, anybody.get("/docs/swagger-ui.js").status(), "not one the page loads");
      assertEquals(200, anybody.get("/v1/openapi.yaml").status(), "the document it shows");
      Response doc = anybody.get("/v1/openapi.yaml");
      assertTrue(doc.body().contains("bearerAuth"), "with bearer sign-in");
    }
  }
}
