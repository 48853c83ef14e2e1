package io.stockhold.storage;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.stockhold.testing.TestStore;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Nodes create their tables one at a time: while one holds the schema lock on a database, another
 * waits for it, and goes once it is released.
 */
class SchemaLockIT {

  @Test
  void aSecondNodeWaitsUntilTheFirstHasCreatedItsTables() throws Exception {
    try (TestStore store = TestStore.create(TestStore.Kind.POSTGRES)) {
      Storage storage = Storage.from(store.config().withFallback(ConfigFactory.load()));
      Storage.SchemaLock first = storage.lockSchema();
      CompletableFuture<Storage.SchemaLock> second =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return storage.lockSchema();
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      Thread.sleep(1_000);
      assertFalse(second.isDone(), "the second took the lock while the first held it");
      first.close();
      try (Storage.SchemaLock taken = second.get(10, TimeUnit.SECONDS)) {
        assertTrue(second.isDone());
      }
    }
  }
}
