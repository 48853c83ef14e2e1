package io.stockhold.erp;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * The embedded stand-in for the broker: each message becomes one JSON line in a file under the data
 * directory, written and synced before the offset moves, so {@code serve} without RabbitMQ shows
 * exactly what the ERP would receive. Every slice appends to the same file; a line is written whole
 * in one call.
 */
public final class FileEventPublisher implements EventPublisher {

  private final Path file;

  public FileEventPublisher(Path file) {
    this.file = file;
  }

  @Override
  public void publish(List<OutboundMessage> messages) throws IOException {
    if (messages.isEmpty()) return;
    int size = 0;
    for (OutboundMessage m : messages) size += m.body().length + 1;
    ByteBuffer buffer = ByteBuffer.allocate(size);
    for (OutboundMessage m : messages) buffer.put(m.body()).put((byte) '\n');
    buffer.flip();
    Files.createDirectories(file.getParent());
    // One writer at a time across this node's slices keeps lines whole.
    synchronized (FileEventPublisher.class) {
      try (FileChannel out =
          FileChannel.open(
              file,
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE,
              StandardOpenOption.APPEND)) {
        while (buffer.hasRemaining()) out.write(buffer);
        out.force(false);
      }
    }
  }

  @Override
  public void close() {}
}
