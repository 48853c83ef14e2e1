package io.stockhold.bench;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Just enough of the Redis protocol (RESP2) for the lock baseline: {@code PING}, {@code SET key
 * value NX EX seconds}, {@code GET}, {@code DEL}. One socket, one command at a time; written here
 * so the bench needs no Redis client library.
 */
final class RespClient implements AutoCloseable {

  private final Socket socket;
  private final OutputStream out;
  private final InputStream in;

  RespClient(String host, int port, int timeoutMillis) throws IOException {
    socket = new Socket();
    try {
      socket.setTcpNoDelay(true);
      socket.setSoTimeout(timeoutMillis);
      socket.connect(new InetSocketAddress(host, port), timeoutMillis);
      out = new BufferedOutputStream(socket.getOutputStream(), 512);
      in = new BufferedInputStream(socket.getInputStream(), 512);
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  String ping() throws IOException {
    return (String) call("PING");
  }

  /** {@code SET key value NX EX seconds}: true when this client took the key. */
  boolean setIfAbsent(String key, String value, int seconds) throws IOException {
    return call("SET", key, value, "NX", "EX", Integer.toString(seconds)) != null;
  }

  String get(String key) throws IOException {
    return (String) call("GET", key);
  }

  long del(String key) throws IOException {
    return (Long) call("DEL", key);
  }

  /** Sends one command as an array of bulk strings and reads its reply. */
  private Object call(String... words) throws IOException {
    StringBuilder command = new StringBuilder().append('*').append(words.length).append("\r\n");
    for (String w : words) {
      byte[] bytes = w.getBytes(StandardCharsets.UTF_8);
      command.append('$').append(bytes.length).append("\r\n").append(w).append("\r\n");
    }
    out.write(command.toString().getBytes(StandardCharsets.UTF_8));
    out.flush();
    return reply();
  }

  /** Simple string, error, integer or bulk string (null for nil). */
  private Object reply() throws IOException {
    int type = in.read();
    String line = line();
    return switch (type) {
      case '+' -> line;
      case '-' -> throw new IOException("Redis: " + line);
      case ':' -> Long.parseLong(line);
      case '$' -> {
        int length = Integer.parseInt(line);
        if (length < 0) yield null;
        byte[] bytes = in.readNBytes(length);
        if (bytes.length < length) throw new EOFException("Redis closed the connection");
        line(); // the CRLF after the data
        yield new String(bytes, StandardCharsets.UTF_8);
      }
      case -1 -> throw new EOFException("Redis closed the connection");
      default -> throw new IOException("unexpected Redis reply type '" + (char) type + "'");
    };
  }

  private String line() throws IOException {
    StringBuilder line = new StringBuilder();
    for (int c = in.read(); c != '\r'; c = in.read()) {
      if (c == -1) throw new EOFException("Redis closed the connection");
      line.append((char) c);
    }
    if (in.read() != '\n') throw new IOException("malformed Redis reply");
    return line.toString();
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // closing; nothing to do
    }
  }
}
