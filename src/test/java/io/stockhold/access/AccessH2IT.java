package io.stockhold.access;

import io.stockhold.testing.TestStore;

/** Access control on the embedded store. */
class AccessH2IT extends AccessContract {
  @Override
  TestStore.Kind storeKind() {
    return TestStore.Kind.H2;
  }
}
