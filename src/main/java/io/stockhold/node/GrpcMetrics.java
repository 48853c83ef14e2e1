package io.stockhold.node;

import io.stockhold.api.grpc.PosEndpoint;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.japi.function.Function;

/**
 * Counts and times every gRPC call on the API port (health probes aside) by method and gRPC status,
 * to its response: {@code stockhold_grpc_requests_seconds{method,status}}. The status is the one
 * the response starts with ({@link PosEndpoint#grpcStatus}); a stream's ({@code WatchStock}) comes
 * at its end, so it is counted as {@code streamed}.
 */
final class GrpcMetrics {

  private final Metrics metrics;

  GrpcMetrics(Metrics metrics) {
    this.metrics = metrics;
  }

  Function<HttpRequest, CompletionStage<HttpResponse>> around(
      Function<HttpRequest, CompletionStage<HttpResponse>> port) {
    return request -> {
      if (!PosEndpoint.isGrpcCall(request)) return port.apply(request);
      long started = System.nanoTime();
      return port.apply(request)
          .thenApply(
              response -> {
                metrics.grpcCall(
                    request.getUri().path(),
                    PosEndpoint.grpcStatus(response),
                    System.nanoTime() - started);
                return response;
              });
    };
  }
}
