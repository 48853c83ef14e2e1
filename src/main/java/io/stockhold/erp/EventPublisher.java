package io.stockhold.erp;

import java.util.List;

/**
 * Where inventory events go. {@link #publish} returns only when every message is safely taken
 * (confirmed by the broker, or written and synced to the file) and throws otherwise: the caller
 * keeps its offset and tries the same messages again.
 */
public interface EventPublisher extends AutoCloseable {

  void publish(List<OutboundMessage> messages) throws Exception;

  @Override
  void close();
}
