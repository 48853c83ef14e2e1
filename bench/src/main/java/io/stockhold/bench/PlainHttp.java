package io.stockhold.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * One buyer's keep-alive HTTP/1.1 connection to the node, written by hand: a request is one write,
 * a response is read up to its Content-Length (or last chunk). The bench shares two cores with the
 * node and PostgreSQL, and a general-purpose client (the JDK's, with its selector thread and
 * futures per request) spent more CPU per request than the engine it measured; this one spends a
 * small fraction of it, so more of the machine goes to the system under test. Not thread-safe: one
 * buyer, one connection. A request after a broken or closed connection reconnects. Every request
 * presents the node's API key ({@code Authorization: Bearer <key>}).
 */
final class PlainHttp implements AutoCloseable {

  /** A response: status and body. */
  record Response(int status, String body) {}

  private static final int TIMEOUT_MS = 10_000;

  private final String host;
  private final int port;

  /** The Authorization header line, made once: it is the same on every request. */
  private final String authorization;

  private Socket socket;
  private InputStream in;
  private OutputStream out;

  PlainHttp(String host, int port, String apiKey) {
    this.host = host;
    this.port = port;
    this.authorization = "Authorization: Bearer " + apiKey + "\r\n";
  }

  Response get(String path) throws IOException {
    return send(
        "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n" + authorization + "\r\n", null);
  }

  /** POSTs a JSON body; {@code headers} are extra "Name: value" lines. */
  Response post(String path, String json, String... headers) throws IOException {
    return withBody("POST", path, json, headers);
  }

  /** PUTs a JSON body. */
  Response put(String path, String json) throws IOException {
    return withBody("PUT", path, json);
  }

  private Response withBody(String method, String path, String json, String... headers)
      throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    StringBuilder head =
        new StringBuilder(160 + authorization.length() + json.length())
            .append(method)
            .append(' ')
            .append(path)
            .append(" HTTP/1.1\r\nHost: ")
            .append(host)
            .append("\r\n")
            .append(authorization)
            .append("Content-Type: application/json\r\nContent-Length: ")
            .append(body.length)
            .append("\r\n");
    for (String h : headers) head.append(h).append("\r\n");
    return send(head.append("\r\n").toString(), body);
  }

  private Response send(String head, byte[] body) throws IOException {
    if (socket == null) connect();
    try {
      byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
      if (body == null) {
        out.write(h);
      } else {
        byte[] all = new byte[h.length + body.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(body, 0, all, h.length, body.length);
        out.write(all);
      }
      out.flush();
      return read();
    } catch (IOException e) {
      close();
      throw e;
    }
  }

  private Response read() throws IOException {
    String statusLine = line();
    if (!statusLine.startsWith("HTTP/1.1 ") || statusLine.length() < 12) {
      throw new IOException("not an HTTP/1.1 response: " + statusLine);
    }
    int status = Integer.parseInt(statusLine.substring(9, 12));
    int length = -1;
    boolean chunked = false;
    boolean closing = false;
    for (String header = line(); !header.isEmpty(); header = line()) {
      int colon = header.indexOf(':');
      if (colon < 0) continue;
      String name = header.substring(0, colon).trim();
      String value = header.substring(colon + 1).trim();
      if (name.equalsIgnoreCase("Content-Length")) length = Integer.parseInt(value);
      else if (name.equalsIgnoreCase("Transfer-Encoding"))
        chunked = value.equalsIgnoreCase("chunked");
      else if (name.equalsIgnoreCase("Connection")) closing = value.equalsIgnoreCase("close");
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream(Math.max(length, 64));
    if (chunked) {
      for (int size = chunkSize(); size > 0; size = chunkSize()) {
        body.write(in.readNBytes(size));
        line();
      }
      while (!line().isEmpty()) {
        /* trailers */
      }
    } else if (length >= 0) {
      byte[] bytes = in.readNBytes(length);
      if (bytes.length < length) throw new EOFException("response body cut short");
      body.write(bytes);
    } else {
      body.write(in.readAllBytes());
      closing = true;
    }
    if (closing) close();
    return new Response(status, body.toString(StandardCharsets.UTF_8));
  }

  /** A chunk's size line: hexadecimal, perhaps followed by extensions after a ';'. */
  private int chunkSize() throws IOException {
    return Integer.parseInt(line().split(";")[0].trim(), 16);
  }

  private String line() throws IOException {
    StringBuilder s = new StringBuilder(64);
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) throw new EOFException("connection closed by the node");
      if (c != '\r') s.append((char) c);
    }
    return s.toString();
  }

  private void connect() throws IOException {
    Socket s = new Socket();
    s.setTcpNoDelay(true);
    s.setSoTimeout(TIMEOUT_MS);
    s.connect(new InetSocketAddress(host, port), 5_000);
    socket = s;
    in = new BufferedInputStream(s.getInputStream(), 8192);
    out = s.getOutputStream();
  }

  @Override
  public void close() {
    if (socket == null) return;
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing a connection that is already broken
    }
    socket = null;
  }
}
