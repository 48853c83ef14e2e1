package io.stockhold.api.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Properties;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code /docs}: the API's interactive documentation, Swagger UI over the node's own {@code
 * /v1/openapi.yaml}, with bearer sign-in ("Authorize"). Every file comes from the node's jar (the
 * page from {@code docs/index.html}, Swagger UI's from its webjar), read once at start; nothing is
 * fetched from elsewhere. Open to anybody, as the OpenAPI document is: the calls it makes need a
 * key.
 */
final class DocsRoutes extends AllDirectives {

  private static final String WEBJAR = "META-INF/resources/webjars/swagger-ui/";

  /** The files the page loads, and their types: nothing else is served. */
  private static final Map<String, ContentType> FILES =
      Map.of(
          "swagger-ui.css", ContentTypes.create(MediaTypes.TEXT_CSS, HttpCharsets.UTF_8),
          "swagger-ui-bundle.js",
              ContentTypes.create(MediaTypes.APPLICATION_JAVASCRIPT, HttpCharsets.UTF_8),
          "swagger-ui-standalone-preset.js",
              ContentTypes.create(MediaTypes.APPLICATION_JAVASCRIPT, HttpCharsets.UTF_8),
          "favicon-32x32.png", ContentTypes.create(MediaTypes.IMAGE_PNG),
          "favicon-16x16.png", ContentTypes.create(MediaTypes.IMAGE_PNG));

  private final byte[] page;
  private final Map<String, byte[]> files;

  DocsRoutes() {
    this.page = read("docs/index.html");
    String base = WEBJAR + version() + "/";
    this.files =
        Map.copyOf(
            FILES.keySet().stream()
                .collect(java.util.stream.Collectors.toMap(f -> f, f -> read(base + f))));
  }

  Route route() {
    return pathPrefix(
        "docs",
        () ->
            get(
                () ->
                    concat(
                        pathEnd(
                            () ->
                                complete(
                                    HttpResponse.create()
                                        .withStatus(StatusCodes.MOVED_PERMANENTLY)
                                        .addHeader(Location.create("/docs/")))),
                        pathSingleSlash(
                            () ->
                                complete(
                                    HttpResponse.create()
                                        .withEntity(ContentTypes.TEXT_HTML_UTF8, page))),
                        path(
                            file ->
                                files.containsKey(file)
                                    ? complete(
                                        HttpResponse.create()
                                            .withEntity(FILES.get(file), files.get(file)))
                                    : reject()))));
  }

  /** The webjar's version, from its own Maven metadata. */
  private static String version() {
    Properties p = new Properties();
    try (InputStream in = resource("META-INF/maven/org.webjars/swagger-ui/pom.properties")) {
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p.getProperty("version");
  }

  private static byte[] read(String name) {
    try (InputStream in = resource(name)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static InputStream resource(String name) {
    InputStream in = DocsRoutes.class.getClassLoader().getResourceAsStream(name);
    if (in == null) throw new IllegalStateException(name + " is not in the jar");
    return in;
  }
}
