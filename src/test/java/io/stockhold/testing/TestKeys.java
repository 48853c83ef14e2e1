package io.stockhold.testing;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import java.util.Map;
import java.util.concurrent.Executor;

/** The keys the tests' nodes and clients use: one master key for every test node. */
public final class TestKeys {

  /** Every test node's master key ({@code stockhold.auth.master-key}). */
  public static final String MASTER = "test-master-key-0123456789abcdef";

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private TestKeys() {}

  /** {@code Authorization: Bearer <key>}. */
  public static String bearer(String key) {
    return "Bearer " + key;
  }

  /** The header a REST call with the master key carries. */
  public static Map<String, String> masterHeader() {
    return Map.of("Authorization", bearer(MASTER));
  }

  /** gRPC call credentials that present {@code key}, for a client's settings. */
  public static CallCredentials grpc(String key) {
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(
          RequestInfo info, Executor executor, MetadataApplier applier) {
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, bearer(key));
        applier.apply(headers);
      }
    };
  }
}
