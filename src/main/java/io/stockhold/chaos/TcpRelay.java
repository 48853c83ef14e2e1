package io.stockhold.chaos;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loopback TCP relay in front of a port, so that a harness can cut the network: {@link #cut()}
 * drops every connection and refuses new ones until {@link #heal()}. In front of a node's cluster
 * remoting port (the node tells the cluster the relay's port as its address, so every other node
 * reaches it only through here) it cuts the node off from the others while its HTTP port still
 * takes clients; in front of a broker, it is a network outage to the broker.
 */
public final class TcpRelay implements AutoCloseable {

  private final int target;
  private final ServerSocket server;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private volatile boolean cut;

  /** A relay on a free loopback port to {@code target} on loopback. */
  public TcpRelay(int target) throws IOException {
    this.target = target;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread.ofVirtual().name("relay-" + server.getLocalPort()).start(this::accept);
  }

  public int port() {
    return server.getLocalPort();
  }

  public void cut() {
    cut = true;
    for (Socket s : open) close(s);
  }

  public void heal() {
    cut = false;
  }

  private void accept() {
    while (!server.isClosed()) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException closed) {
        return;
      }
      if (cut) {
        close(client);
        continue;
      }
      try {
        Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
        open.add(client);
        open.add(upstream);
        Thread.ofVirtual().start(() -> relay(client, upstream));
        Thread.ofVirtual().start(() -> relay(upstream, client));
      } catch (IOException nodeDown) {
        // The node is not listening (killed, restarting): the caller sees its connection drop.
        close(client);
      }
    }
  }

  private void relay(Socket from, Socket to) {
    try (InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream()) {
      byte[] buffer = new byte[16 * 1024];
      for (int n; (n = in.read(buffer)) >= 0; ) {
        if (cut) break;
        out.write(buffer, 0, n);
        out.flush();
      }
    } catch (IOException dropped) {
      // either side went away
    } finally {
      close(from);
      close(to);
    }
  }

  private void close(Socket s) {
    open.remove(s);
    try {
      s.close();
    } catch (IOException ignored) {
      // already closed
    }
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException ignored) {
      // already closed
    }
    cut();
  }
}
