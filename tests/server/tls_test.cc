// TLS end to end (issue 21): `tally serve --tls-cert --tls-key` with a certificate this test
// makes (OpenSSL API: an EC P-256 key, self-signed, for IP 127.0.0.1), on 127.0.0.1 only.
// A client that verifies the certificate talks HTTP/1.1 over TLS 1.2+ with keep-alive; a
// client limited to TLS 1.1 and a plain-HTTP client get nothing; the server stops cleanly.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "tests/server/server_process.h"
#include "tests/server/test_certificate.h"

namespace tally::testing {
namespace {

int connect_tcp(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// One TLS connection that verifies the server's certificate against `ca_file` and its IP.
class TlsClient {
 public:
  TlsClient(int port, const std::string& ca_file, int max_version = 0) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr);
    if (max_version) {
      SSL_CTX_set_security_level(ctx_, 0);  // let the client offer the old version at all
      SSL_CTX_set_min_proto_version(ctx_, TLS1_VERSION);
      SSL_CTX_set_max_proto_version(ctx_, max_version);
    }
    fd_ = connect_tcp(port);
    ssl_ = SSL_new(ctx_);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), "127.0.0.1");
    SSL_set_fd(ssl_, fd_);
    connected_ = fd_ >= 0 && SSL_connect(ssl_) == 1;
    ERR_clear_error();
  }
  ~TlsClient() {
    if (connected_) SSL_shutdown(ssl_);
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return connected_; }
  int version() const { return SSL_version(ssl_); }
  bool verified() const { return SSL_get_verify_result(ssl_) == X509_V_OK; }

  // One request; the reply's status line and body (Content-Length framed).
  std::pair<std::string, std::string> send(const std::string& method, const std::string& path,
                                           const std::string& body = "",
                                           const std::string& headers = "") {
    const std::string req =
        method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers +
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\n\r\n" + body;
    if (SSL_write(ssl_, req.data(), static_cast<int>(req.size())) <= 0) return {};
    std::string in;
    char buf[4096];
    while (true) {
      const size_t end = in.find("\r\n\r\n");
      if (end != std::string::npos) {
        const size_t cl = in.find("Content-Length: ");
        const size_t length = cl == std::string::npos ? 0 : std::stoul(in.substr(cl + 16));
        if (in.size() >= end + 4 + length) {
          return {in.substr(0, in.find("\r\n")), in.substr(end + 4, length)};
        }
      }
      const int n = SSL_read(ssl_, buf, sizeof buf);
      if (n <= 0) return {};
      in.append(buf, static_cast<size_t>(n));
    }
  }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool connected_ = false;
};

TEST(Tls, ServesHttpsEndToEnd) {
  const CertFiles files = make_certificate();
  {
    ServerProcess server(ServerOptions{
        .extra_args = {"--clock", "manual", "--tls-cert", files.cert, "--tls-key", files.key}});
    {
      TlsClient c(server.port(), files.cert);
      ASSERT_TRUE(c.connected());
      EXPECT_TRUE(c.verified());
      EXPECT_GE(c.version(), TLS1_2_VERSION);
      auto [status, body] = c.send("GET", "/healthz");
      EXPECT_EQ(status, "HTTP/1.1 200 OK") << body;
      EXPECT_NE(body.find("\"ok\""), std::string::npos) << body;
      // Keep-alive, authenticated, a change: the same connection.
      const std::string auth = "Authorization: Bearer " + server.admin_key() + "\r\n";
      auto [s2, b2] = c.send("POST", "/v1/accounts", R"({"id":"tls-1"})",
                             auth + "Idempotency-Key: tls-open\r\n");
      EXPECT_EQ(s2, "HTTP/1.1 201 Created") << b2;
      auto [s3, b3] = c.send("GET", "/v1/accounts/tls-1", "", auth);
      EXPECT_EQ(s3, "HTTP/1.1 200 OK") << b3;
      // A dashboard link names https.
      auto [s4, b4] = c.send("POST", "/v1/accounts/tls-1/tokens", "{}", auth);
      EXPECT_EQ(s4, "HTTP/1.1 201 Created") << b4;
      EXPECT_NE(b4.find("\"url\":\"https://127.0.0.1:"), std::string::npos) << b4;
    }
    {
      TlsClient old(server.port(), files.cert, TLS1_1_VERSION);
      EXPECT_FALSE(old.connected()) << "a TLS 1.1 client was served";
    }
    {
      HttpClient plain(server.port());
      EXPECT_EQ(plain.send("GET", "/healthz").status, 0) << "plain HTTP was answered";
    }
    {
      TlsClient after(server.port(), files.cert);  // still serving after the failures
      ASSERT_TRUE(after.connected());
      EXPECT_EQ(after.send("GET", "/healthz").first, "HTTP/1.1 200 OK");
    }
    EXPECT_EQ(server.stop(), 0);
  }
  std::filesystem::remove_all(files.dir);
}

TEST(Tls, RefusesToStartWithAKeyThatIsNotTheCertificates) {
  const CertFiles a = make_certificate();
  const CertFiles b = make_certificate();
  auto run = run_tally({"serve", "--data", a.dir + "/data", "--listen", "127.0.0.1:0", "--tls-cert",
                        a.cert, "--tls-key", b.key},
                       30'000);
  EXPECT_EQ(run.status, 1) << run.output;
  EXPECT_NE(run.output.find("it must be the PEM private key of --tls-cert"), std::string::npos)
      << run.output;
  auto half = run_tally({"serve", "--data", a.dir + "/data", "--tls-cert", a.cert}, 30'000);
  EXPECT_NE(half.status, 0) << half.output;
  std::filesystem::remove_all(a.dir);
  std::filesystem::remove_all(b.dir);
}

}  // namespace
}  // namespace tally::testing
