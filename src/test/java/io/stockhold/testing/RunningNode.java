package io.stockhold.testing;

import io.stockhold.node.StockholdNode;

/**
 * A node on a store of its own, with a client for it; closing it stops the node and drops the
 * store.
 */
public record RunningNode(TestStore store, StockholdNode node, Client client)
    implements AutoCloseable {

  public static RunningNode start(TestStore.Kind kind) throws Exception {
    TestStore store = TestStore.create(kind);
    try {
      StockholdNode node = TestNodes.start(store);
      return new RunningNode(store, node, new Client(node.httpPort()));
    } catch (Exception e) {
      store.close();
      throw e;
    }
  }

  @Override
  public void close() {
    try {
      node.close();
    } finally {
      store.close();
    }
  }
}
