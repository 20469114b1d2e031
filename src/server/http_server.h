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
  // The request's X-Request-Id when it is one (1 to 128 of A-Z a-z 0-9 . _ : + / = @ -), else
  // one made here (16 hex digits, unique in this process). Returned in the X-Request-Id
  // header of the answer; the API puts it in problem bodies too.
  std::string request_id;
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query, as sent ("/v1/accounts/u1/entries?limit=10")
  std::string authorization;
  std::string idempotency_key;
  bool has_idempotency_key = false;
  std::string content_type;
  std::string host;  // the Host header
  std::string body;
};

// What the handler adds to its request's access-log line (docs/operations.md "Logs"): what
// HTTP does not know. Filled by the handler in the answer it gives.
struct AccessNote {
  std::string_view route;  // the route's pattern ("/v1/holds/{}"), a literal; empty: none
  std::string key_id;      // the key that authenticated the request, or
  std::string token_id;    // the end-user token (its id, never the token)
  std::string account;     // the account the request names, if any
  // Stages, ns; -1 when the request did not go through it: routing, authentication and
  // decoding until handed to a shard (or answered); waiting in the shard's queue; the commit of
  // its batch; from handed to answered (queue, apply, commit and the batch before it).
  int64_t decode_ns = -1;
  int64_t queue_ns = -1;
  int64_t commit_ns = -1;
  int64_t shard_ns = -1;
};

struct HttpResponse {
  int status = 200;
  // A literal or another text that lives as long as the process (no allocation per answer).
  std::string_view content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones (Allow, ...)
  AccessNote note;
};

// One request and its answer as the access log sees them, once the answer is written (or the
// connection failed). Views into the connection's buffers, valid during the call only.
struct Exchange {
  std::string_view request_id;
  std::string_view method;  // empty when the request could not be read (431, say)
  std::string_view target;
  std::string_view idempotency_key;
  std::string_view remote;  // the peer's address
  int status = 0;
  uint64_t bytes_in = 0;   // the request as read (head and body)
  uint64_t bytes_out = 0;  // the answer (head and body)
  int64_t total_ns = 0;    // request read until its answer written
  int64_t write_ns = 0;    // answer given until written (the reply stage)
  bool written = true;     // false: the connection failed before the answer was all sent
  const AccessNote* note = nullptr;
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
  // Called on an I/O thread after each answer is written; must be quick (the access log).
  std::function<void(const Exchange&)> on_exchange;
};

// Whether `id` may be used as a request id as sent (HttpRequest::request_id).
bool is_request_id(std::string_view id);
// A new request id: 16 lowercase hex digits, distinct for every call in this process and
// unlikely to repeat across processes.
std::string new_request_id();

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
