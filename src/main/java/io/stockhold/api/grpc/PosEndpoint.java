package io.stockhold.api.grpc;

import io.stockhold.access.Access;
import io.stockhold.api.grpc.health.Health;
import io.stockhold.api.grpc.health.HealthHandlerFactory;
import io.stockhold.api.grpc.v1.PointOfSalePowerApiHandlerFactory;
import io.stockhold.api.http.Traceparent;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.grpc.javadsl.WebHandler;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.RemoteAddress;
import org.apache.pekko.http.javadsl.model.RequestEntity;
import org.apache.pekko.http.javadsl.model.Trailer;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.headers.TimeoutAccess;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.stream.SystemMaterializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;
import scala.concurrent.duration.Duration;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The one handler of the API port, telling its three kinds of traffic apart by content type: gRPC
 * ({@code application/grpc*}, HTTP/2) goes to the POS service and server reflection (and gRPC's
 * health service, {@link GrpcHealth}), gRPC-Web ({@code application/grpc-web*}, HTTP/1.1 from
 * browsers) to its own handler (which answers 415 to anything else, so nothing else may reach it),
 * and everything else to REST.
 */
public final class PosEndpoint {

  private PosEndpoint() {}

  /** The path prefix of gRPC's health service's calls. */
  private static final String HEALTH = "/" + Health.name + "/";

  public static Function<HttpRequest, CompletionStage<HttpResponse>> handler(
      Route rest, PointOfSaleService service, Access access, ActorSystem<?> system) {
    Function<HttpRequest, CompletionStage<HttpResponse>> grpc =
        withKeyForReflection(
            PointOfSalePowerApiHandlerFactory.createWithServerReflection(service, system), access);
    Function<HttpRequest, CompletionStage<HttpResponse>> grpcWeb =
        WebHandler.grpcWebHandler(
            List.of(PointOfSalePowerApiHandlerFactory.create(service, system)),
            system,
            SystemMaterializer.get(system).materializer());
    Function<HttpRequest, CompletionStage<HttpResponse>> health =
        HealthHandlerFactory.create(new GrpcHealth(system), system);
    Function<HttpRequest, CompletionStage<HttpResponse>> restHandler = rest.handler(system);
    return request -> {
      String media = request.entity().getContentType().mediaType().toString();
      if (media.startsWith("application/grpc-web")) return logged(grpcWeb, request);
      if (media.startsWith("application/grpc")) {
        // health asks no key: a probe has none
        if (request.getUri().path().startsWith(HEALTH)) return health.apply(longLived(request));
        return logged(grpc, longLived(request));
      }
      return restHandler.apply(request);
    };
  }

  private static final Logger ACCESS = LoggerFactory.getLogger("io.stockhold.http.access");

  /**
   * The call, and one access line once its response starts: who called, the method, the HTTP status
   * and gRPC status ({@link #grpcStatus}), time to the response, and the caller's {@code
   * x-request-id} if it sent one. Health probes are not logged: the kubelet asks every few seconds.
   */
  private static CompletionStage<HttpResponse> logged(
      Function<HttpRequest, CompletionStage<HttpResponse>> handler, HttpRequest request)
      throws Exception {
    long started = System.nanoTime();
    Traceparent trace =
        Traceparent.of(request.getHeader(Traceparent.HEADER).map(HttpHeader::value));
    return handler
        .apply(request)
        .thenApply(
            response -> {
              String requestId =
                  request.getHeader("x-request-id").map(HttpHeader::value).orElse("-");
              String client =
                  request
                      .getAttribute(AttributeKeys.remoteAddress)
                      .flatMap(RemoteAddress::getAddress)
                      .map(InetAddress::getHostAddress)
                      .orElse("-");
              String grpcStatus = grpcStatus(response);
              long millis = (System.nanoTime() - started) / 1_000_000;
              ACCESS
                  .atInfo()
                  .addKeyValue("requestId", requestId)
                  .addKeyValue("client", client)
                  .addKeyValue("method", "POST")
                  .addKeyValue("route", request.getUri().path())
                  .addKeyValue("status", response.status().intValue())
                  .addKeyValue("grpcStatus", grpcStatus)
                  .addKeyValue("durationMs", millis)
                  .addKeyValue("traceId", trace.traceId())
                  .log(
                      "{} {} POST {} {} grpc-status {} {}ms trace {}",
                      requestId,
                      client,
                      request.getUri().path(),
                      response.status().intValue(),
                      grpcStatus,
                      millis,
                      trace.traceId());
              return response.addHeader(RawHeader.create(Traceparent.HEADER, trace.toString()));
            });
  }

  /**
   * A gRPC response's status as far as it is known when the response starts: in its headers (a
   * refusal, trailers-only), in the trailer of a single answer (a unary call's), or {@code
   * streamed} when it comes at the end of a stream.
   */
  public static String grpcStatus(HttpResponse response) {
    Optional<String> up = response.getHeader("grpc-status").map(HttpHeader::value);
    if (up.isPresent()) return up.get();
    Optional<Trailer> trailer = response.getAttribute(AttributeKeys.trailer);
    if (trailer.isPresent()
        && trailer.get() instanceof org.apache.pekko.http.scaladsl.model.Trailer t) {
      for (Tuple2<String, String> h : CollectionConverters.asJava(t.headers())) {
        if (h._1().equalsIgnoreCase("grpc-status")) return h._2();
      }
    }
    return "streamed";
  }

  /** Whether {@code request} is a gRPC call (not gRPC-Web), and not a health probe. */
  public static boolean isGrpcCall(HttpRequest request) {
    String media = request.entity().getContentType().mediaType().toString();
    return media.startsWith("application/grpc")
        && !media.startsWith("application/grpc-web")
        && !request.getUri().path().startsWith(HEALTH);
  }

  /**
   * Server reflection describes the service to a caller that has a key: the POS service checks its
   * own calls' keys, reflection has nobody to do it, so it is checked here (and answered {@code
   * UNAUTHENTICATED} in gRPC's own terms, a trailers-only response).
   */
  private static Function<HttpRequest, CompletionStage<HttpResponse>> withKeyForReflection(
      Function<HttpRequest, CompletionStage<HttpResponse>> grpc, Access access) {
    return request -> {
      if (request.getUri().path().startsWith("/grpc.reflection.")) {
        Optional<String> authorization = request.getHeader("authorization").map(HttpHeader::value);
        if (!(access.authenticate(authorization) instanceof Access.Allowed)) {
          return CompletableFuture.completedFuture(
              HttpResponse.create()
                  .withStatus(200)
                  .addHeader(RawHeader.create("grpc-status", "16"))
                  .addHeader(
                      RawHeader.create("grpc-message", "unauthenticated: an API key is required"))
                  .withEntity(
                      ContentTypes.create(MediaTypes.applicationBinary("grpc", false)),
                      new byte[0]));
        }
      }
      return grpc.apply(request);
    };
  }

  /**
   * A gRPC call may stream for hours (WatchStock, a long SyncOfflineSales): neither pekko-http's
   * request timeout nor the body size ceiling meant for REST applies to it. Unary calls are still
   * bounded, by the engine's ask timeouts.
   */
  private static HttpRequest longLived(HttpRequest request) {
    request
        .getHeader(TimeoutAccess.class)
        .ifPresent(t -> t.timeoutAccess().updateTimeout(Duration.Inf()));
    // The javadsl types it as HttpEntity; a request's entity without a limit is still a request
    // entity.
    return request.withEntity((RequestEntity) request.entity().withoutSizeLimit());
  }
}
