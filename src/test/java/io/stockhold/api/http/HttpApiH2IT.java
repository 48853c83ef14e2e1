package io.stockhold.api.http;

import io.stockhold.testing.TestStore;

/** The REST contract on the embedded store. */
class HttpApiH2IT extends HttpApiContract {
  @Override
  TestStore.Kind storeKind() {
    return TestStore.Kind.H2;
  }
}
