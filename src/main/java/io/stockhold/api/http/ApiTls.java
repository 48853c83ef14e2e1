package io.stockhold.api.http;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;
import org.apache.pekko.pki.pem.DERPrivateKeyLoader;
import org.apache.pekko.pki.pem.PEMDecoder;

/**
 * TLS for the API port (REST, gRPC and gRPC-Web alike), from PEM files as a certificate manager or
 * a Kubernetes TLS secret provides them: the certificate chain, and its private key (PKCS#8 or
 * PKCS#1). Off unless {@code stockhold.http.tls.enabled}; HTTP/2 is then negotiated by ALPN.
 */
public final class ApiTls {

  private ApiTls() {}

  public static Optional<HttpsConnectionContext> from(Config config) {
    Config tls = config.getConfig("stockhold.http.tls");
    if (!tls.getBoolean("enabled")) return Optional.empty();
    Path certificate = Path.of(tls.getString("certificate"));
    Path key = Path.of(tls.getString("private-key"));
    try {
      return Optional.of(ConnectionContext.httpsServer(sslContext(certificate, key)));
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      throw new IllegalStateException(
          "TLS is on but certificate "
              + certificate
              + " with key "
              + key
              + " cannot be used: "
              + e.getMessage(),
          e);
    }
  }

  static SSLContext sslContext(Path certificatePem, Path privateKeyPem)
      throws IOException, GeneralSecurityException {
    Certificate[] chain;
    try (InputStream in = Files.newInputStream(certificatePem)) {
      chain =
          CertificateFactory.getInstance("X.509")
              .generateCertificates(in)
              .toArray(Certificate[]::new);
    }
    if (chain.length == 0)
      throw new GeneralSecurityException("no certificate in " + certificatePem);
    PrivateKey key =
        DERPrivateKeyLoader.load(
            PEMDecoder.decode(Files.readString(privateKeyPem, StandardCharsets.US_ASCII)));
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    char[] password = new char[0];
    store.setKeyEntry("api", key, password, chain);
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(store, password);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keys.getKeyManagers(), null, null);
    return context;
  }
}
