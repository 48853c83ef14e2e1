package io.stockhold.api.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/** Metrics and access lines name routes exactly as the OpenAPI document does. */
class RouteTemplatesTest {

  @Test
  void everyDocumentedPathIsItsOwnTemplate() throws Exception {
    Map<String, Object> paths;
    try (InputStream in = RouteTemplatesTest.class.getResourceAsStream("/openapi.yaml")) {
      Map<String, Object> doc = new Yaml().load(in);
      @SuppressWarnings("unchecked")
      Map<String, Object> p = (Map<String, Object>) doc.get("paths");
      paths = p;
    }
    assertTrue(paths.size() > 15, "the document's paths: " + paths.keySet());
    for (String path : paths.keySet()) {
      String sample = path.replaceAll("\\{[^}]+}", "x-1");
      assertEquals(path, RouteTemplates.of(sample), "the template of " + sample);
    }
  }

  @Test
  void anythingElseIsOther() {
    for (String path :
        java.util.List.of("/", "/v2/stock", "/v1/stock/a/b/c/d", "/v1/kits", "/metrics"))
      assertEquals(RouteTemplates.OTHER, RouteTemplates.of(path), path);
  }
}
