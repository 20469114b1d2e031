// HTTP/1.1 transport of `tally serve` (issue 6): Boost.Beast over Asio, kept out of this
// header so only http_server.cc compiles it. Keep-alive, a bounded body, read and write
// timeouts (a slow client cannot hold a connection open by trickling bytes), and a graceful
// shutdown that finishes the requests already read.
//
// Threads: `threads` I/O threads run the connections. The handler is called on an I/O thread;
// it may answer later from any thread by calling `Respond` exactly once.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "service/histogram.h"

namespace tally::server {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query, as sent ("/v1/accounts/u1/entries?limit=10")
  std::string authorization;
  std::string idempotency_key;
  bool has_idempotency_key = false;
  std::string content_type;
  std::string host;  // the Host header
  std::string body;
};

struct HttpResponse {
  int status = 200;
  // A literal or another text that lives as long as the process (no allocation per answer).
  std::string_view content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones (Allow, ...)
};

// Thread-safe; call exactly once per request.
using Respond = std::function<void(HttpResponse)>;
using Handler = std::function<void(HttpRequest&& request, Respond respond)>;

struct HttpOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 8080;  // 0: any free port (see HttpServer::port)
  size_t threads = 2;
  size_t body_max_bytes = 1 << 20;
  // A whole request (headers and body) must arrive within this; an idle keep-alive
  // connection is closed after it too.
  int64_t read_timeout_ms = 15'000;
  int64_t write_timeout_ms = 15'000;
  size_t connections_max = 10'000;  // past it new connections are closed at once
  // Both set: HTTPS only (TLS 1.2 or later), with this PEM certificate chain and private key.
  // A client that does not complete the handshake within read_timeout_ms is disconnected.
  std::string tls_cert_file;
  std::string tls_key_file;
};

class HttpServer {
 public:
  // Binds, listens and starts the I/O threads. Fails with a message if the address cannot
  // be bound, or the TLS certificate or key cannot be read or do not match.
  static std::expected<std::unique_ptr<HttpServer>, std::string> start(HttpOptions options,
                                                                        Handler handler);
  // shutdown(), then joins the threads.
  ~HttpServer();

  uint16_t port() const;
  // Stops accepting, closes idle connections, waits until every request already read has
  // been answered and written, then closes the rest. Returns once nothing is in flight.
  void shutdown();

  struct Counters {
    uint64_t connections_open = 0;
    uint64_t connections_total = 0;
    uint64_t requests = 0;
    uint64_t refused_too_large = 0;
    uint64_t timeouts = 0;
    // The reply stage: from an answer given (Respond called, its batch durable) to its bytes
    // written to the socket, ns (the hop back to the I/O thread, encoding, the write).
    service::HistogramSnapshot reply_ns;
  };
  Counters counters() const;

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tally::server
