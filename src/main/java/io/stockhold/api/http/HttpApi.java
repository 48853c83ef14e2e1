package io.stockhold.api.http;

import io.stockhold.access.Access;
import io.stockhold.readmodel.StockHistory;
import io.stockhold.readmodel.StockLevels;
import io.stockhold.reservation.ReservationService;
import io.stockhold.stock.StockItems;
import io.stockhold.transfer.Transfers;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.RemoteAddress;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.http.scaladsl.model.IllegalRequestException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The REST API v1 as one route: request ids and one access-log line per request around it, and
 * every error — ours or pekko-http's — as problem+json.
 */
public final class HttpApi extends AllDirectives {

  private static final Logger ACCESS = LoggerFactory.getLogger("io.stockhold.http.access");
  private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
  private static final Pattern REQUEST_ID = Pattern.compile("[\\x21-\\x7E]{1,200}");
  static final String OPENAPI_RESOURCE = "/openapi.yaml";

  private final Access access;
  private final byte[] openApi;

  /**
   * The v1 routes, built once: a route is an immutable function of the request, and building the
   * directive tree inside the per-request wrapper cost more than answering a read.
   */
  private final Route v1;

  public HttpApi(
      StockItems items,
      ReservationService reservationService,
      StockHistory history,
      StockLevels levels,
      Duration defaultTtl,
      Access access,
      Executor blocking,
      Clock clock,
      Transfers transferService) {
    this.access = access;
    StockRoutes stock = new StockRoutes(items, history, levels, reservationService.kits(), access);
    ReservationRoutes reservations = new ReservationRoutes(reservationService, defaultTtl, access);
    KeyRoutes keys = new KeyRoutes(access.keys(), access, blocking, clock);
    PoolRoutes pools = new PoolRoutes(reservationService, access);
    TransferRoutes transfers = new TransferRoutes(transferService, access);
    KitRoutes kits = new KitRoutes(reservationService.kits(), access);
    this.openApi = openApiDocument();
    Route withKey =
        concat(
            stock.route(),
            reservations.route(),
            pools.route(),
            transfers.route(),
            kits.route(),
            keys.route());
    DocsRoutes docs = new DocsRoutes();
    this.v1 =
        handleRejections(
            rejections(),
            () ->
                concat(
                    pathPrefix(
                        "v1",
                        () ->
                            concat(
                                path("openapi.yaml", () -> get(() -> complete(openApiResponse()))),
                                path(
                                    "asyncapi.yaml",
                                    () -> get(() -> complete(yaml(AsyncApi.document())))),
                                authenticated(withKey))),
                    docs.route()));
  }

  /**
   * {@code inner} as the caller its {@code Authorization} header names; 401 without a valid key,
   * 429 over the key's rate. Nothing behind it runs for a refused caller.
   */
  private Route authenticated(Route inner) {
    return optionalHeaderValueByName(
        "Authorization",
        header ->
            switch (access.authenticate(header)) {
              case Access.Allowed allowed ->
                  mapRequest(
                      request -> request.addAttribute(ApiDirectives.PRINCIPAL, allowed.principal()),
                      () -> inner);
              case Access.Unauthenticated refused ->
                  complete(Problem.unauthenticated(refused.detail()));
              case Access.RateLimited limited ->
                  complete(Problem.rateLimited(limited.keyId(), limited.retryAfterSeconds()));
            });
  }

  public Route route() {
    return extractRequest(request -> withAccessLine(clientOf(request), request));
  }

  /** The connection's peer: a proxy's X-Forwarded-For is the client's say, and not taken. */
  static Optional<String> clientOf(HttpRequest request) {
    return request
        .getAttribute(AttributeKeys.remoteAddress)
        .flatMap(RemoteAddress::getAddress)
        .map(InetAddress::getHostAddress);
  }

  /**
   * The request with its id (the caller's {@code X-Request-Id}, or a new one, echoed back), its
   * trace context ({@link Traceparent}, returned) and one access line once answered: who asked, the
   * route template, status, body bytes, duration, the id and the trace id. Never a body, never a
   * key.
   */
  private Route withAccessLine(Optional<String> client, HttpRequest request) {
    String requestId =
        request
            .getHeader("X-Request-Id")
            .map(h -> h.value())
            .filter(v -> REQUEST_ID.matcher(v).matches())
            .orElseGet(HttpApi::newRequestId);
    long started = System.nanoTime();
    RawHeader idHeader = RawHeader.create("X-Request-Id", requestId);
    Traceparent trace = Traceparent.of(request.getHeader(Traceparent.HEADER).map(h -> h.value()));
    RawHeader traceHeader = RawHeader.create(Traceparent.HEADER, trace.toString());
    return mapResponse(
        response -> {
          String route = RouteTemplates.of(request.getUri().path());
          long millis = (System.nanoTime() - started) / 1_000_000;
          long bytes = response.entity().getContentLengthOption().orElse(-1L);
          String from = client.orElse("-");
          ACCESS
              .atInfo()
              .addKeyValue("requestId", requestId)
              .addKeyValue("client", from)
              .addKeyValue("method", request.method().value())
              .addKeyValue("route", route)
              .addKeyValue("status", response.status().intValue())
              .addKeyValue("bytes", bytes)
              .addKeyValue("durationMs", millis)
              .addKeyValue("traceId", trace.traceId())
              .log(
                  "{} {} {} {} {} {}B {}ms trace {}",
                  requestId,
                  from,
                  request.method().value(),
                  route,
                  response.status().intValue(),
                  bytes,
                  millis,
                  trace.traceId());
          return response.addHeader(idHeader).addHeader(traceHeader);
        },
        () ->
            withRequestTimeoutResponse(
                timedOut ->
                    Problem.of(
                            503,
                            "timeout",
                            "Timed out",
                            "the request took too long; its outcome is unknown")
                        .toResponse()
                        .addHeader(idHeader)
                        .addHeader(traceHeader),
                () -> handleExceptions(exceptions(requestId, request), () -> v1)));
  }

  /**
   * A random version-4 UUID from the thread's own generator: a request id need not be unguessable,
   * and {@link UUID#randomUUID()} makes every request take the one shared SecureRandom's lock.
   */
  static String newRequestId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long high = (random.nextLong() & ~0xF000L) | 0x4000L;
    long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(high, low).toString();
  }

  private HttpResponse openApiResponse() {
    return yaml(openApi);
  }

  private static HttpResponse yaml(byte[] document) {
    return HttpResponse.create()
        .withEntity(
            ContentTypes.create(MediaTypes.applicationWithOpenCharset("yaml"), HttpCharsets.UTF_8),
            document);
  }

  private ExceptionHandler exceptions(String requestId, HttpRequest request) {
    return ExceptionHandler.newBuilder()
        .matchAny(
            failure -> {
              if (causedBy(failure, EntityStreamSizeException.class)
                  || failure instanceof IllegalRequestException tooLarge
                      && tooLarge.info().summary().startsWith("Request too large")) {
                return complete(ApiDirectives.tooLarge().toResponse());
              }
              if (failure instanceof IllegalRequestException bad) {
                return complete(
                    Problem.of(
                            bad.status().intValue(),
                            "invalid-request",
                            bad.status().reason(),
                            bad.info().summary())
                        .toResponse());
              }
              if (causedBy(failure, SQLException.class)) {
                // The database is down or refused the statement: a retry may well succeed.
                LOG.warn(
                    "{} {} {} failed on the database: {}",
                    requestId,
                    request.method().value(),
                    request.getUri().path(),
                    failure.toString());
                return complete(
                    Problem.of(
                            503,
                            "unavailable",
                            "Temporarily unavailable",
                            "the database did not answer; retry (request id " + requestId + ")")
                        .toResponse());
              }
              LOG.error(
                  "{} {} {} failed",
                  requestId,
                  request.method().value(),
                  request.getUri().path(),
                  failure);
              return complete(
                  Problem.of(
                          500,
                          "internal-error",
                          "Internal error",
                          "something went wrong; the request id is " + requestId)
                      .toResponse());
            })
        .build();
  }

  private static boolean causedBy(Throwable failure, Class<? extends Throwable> type) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (type.isInstance(t)) return true;
    }
    return false;
  }

  /** pekko-http's own rejections (unknown path, wrong method, ...) as problems. */
  private static RejectionHandler rejections() {
    return RejectionHandler.defaultHandler()
        .mapRejectionResponse(
            response -> {
              if (response.entity().getContentType().equals(Problem.PROBLEM_JSON)) return response;
              int status = response.status().intValue();
              String detail =
                  response.entity() instanceof HttpEntity.Strict strict
                      ? strict.getData().utf8String()
                      : response.status().reason();
              String slug =
                  switch (status) {
                    case 404 -> "not-found";
                    case 405 -> "method-not-allowed";
                    case 413 -> "payload-too-large";
                    case 415 -> "unsupported-media-type";
                    case 400 -> "invalid-request";
                    default -> "error";
                  };
              return Problem.of(status, slug, response.status().reason(), detail)
                  .toResponse()
                  .withHeaders(response.getHeaders());
            });
  }

  private static byte[] openApiDocument() {
    try (InputStream in = HttpApi.class.getResourceAsStream(OPENAPI_RESOURCE)) {
      if (in == null) throw new IllegalStateException("openapi.yaml is missing from the classpath");
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
