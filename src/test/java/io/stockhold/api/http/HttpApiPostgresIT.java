package io.stockhold.api.http;

import io.stockhold.testing.TestStore;

/** The REST contract on PostgreSQL (a database of its own on 127.0.0.1:5432). */
class HttpApiPostgresIT extends HttpApiContract {
  @Override
  TestStore.Kind storeKind() {
    return TestStore.Kind.POSTGRES;
  }
}
