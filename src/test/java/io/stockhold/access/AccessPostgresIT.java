package io.stockhold.access;

import io.stockhold.testing.TestStore;

/** Access control on PostgreSQL (a database of its own on 127.0.0.1:5432). */
class AccessPostgresIT extends AccessContract {
  @Override
  TestStore.Kind storeKind() {
    return TestStore.Kind.POSTGRES;
  }
}
