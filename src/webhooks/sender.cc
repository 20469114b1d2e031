// The only file of the webhooks that compiles Beast. Each step of an exchange is an
// asynchronous operation run to its end on the Sender's own io_context: the TCP stream's timer
// bounds them all by one deadline (Beast's timeouts apply to asynchronous operations only), and
// cancel() stops the io_context from another thread. The connection stays open between posts
// (HTTP/1.1 keep-alive) until the receiver says `Connection: close`, or an error or a
// cancel() closes it; the next post() then opens a new one.
#include "webhooks/sender.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>
#include <optional>

namespace tally::webhooks {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t k_response_body_max = 64 * 1024;  // what a receiver answers is not kept

bool printable(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

std::expected<Url, std::string> parse_url(std::string_view url) {
  if (url.size() > k_url_bytes_max) return std::unexpected("the URL is longer than 2048 bytes");
  if (!printable(url)) return std::unexpected("the URL has a space or a control character");
  Url out;
  if (url.starts_with("https://")) {
    out.tls = true;
    out.port = "443";
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    out.port = "80";
    url.remove_prefix(7);
  } else {
    return std::unexpected("the URL must start with http:// or https://");
  }
  const size_t path = url.find_first_of("/?#");
  std::string_view authority = url.substr(0, path);
  if (path != std::string_view::npos) {
    std::string_view rest = url.substr(path);
    if (const size_t hash = rest.find('#'); hash != std::string_view::npos)
      rest = rest.substr(0, hash);
    out.target = rest.starts_with('/') ? std::string(rest) : "/" + std::string(rest);
  }
  if (authority.find('@') != std::string_view::npos) {
    return std::unexpected("the URL may not hold a user name or password");
  }
  std::string_view port;
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::unexpected("the URL's IPv6 host has no ']'");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':'))
      return std::unexpected("the URL's host is malformed");
    if (!after.empty()) port = after.substr(1);
  } else if (const size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    out.host = std::string(authority.substr(0, colon));
    port = authority.substr(colon + 1);
  } else {
    out.host = std::string(authority);
  }
  if (out.host.empty()) return std::unexpected("the URL has no host");
  if (!port.empty()) {
    int n = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
    if (ec != std::errc() || end != port.data() + port.size() || n < 1 || n > 65535) {
      return std::unexpected("the URL's port must be 1 to 65535");
    }
    out.port = std::string(port);
  }
  return out;
}

namespace {

// A connection kept open between deliveries (HTTP/1.1 keep-alive), to the URL it was made for.
struct Connection {
  explicit Connection(net::io_context& io, Url to) : url(std::move(to)), tcp(io) {}
  Url url;
  beast::tcp_stream tcp;
  std::unique_ptr<net::ssl::stream<beast::tcp_stream&>> tls;  // over `tcp`, for https://
  beast::flat_buffer buffer;  // bytes read past an answer (none from a well-behaved receiver)
};

// What one exchange on a connection came to.
struct Exchange {
  PostResult result;
  bool keep = false;    // the connection may carry the next delivery
  bool unsent = false;  // it failed before the receiver answered a byte: a closed connection
};

bool same_place(const Url& a, const Url& b) {
  return a.tls == b.tls && a.host == b.host && a.port == b.port;
}

}  // namespace

struct Sender::Impl {
  SenderOptions options;
  net::io_context io;
  std::optional<net::ssl::context> tls;
  std::string tls_error;             // why HTTPS cannot be used (a bad ca_file)
  std::unique_ptr<Connection> conn;  // the open connection, if any

  // Runs the io_context until the operation in flight sets `done`, or it is stopped.
  bool run(const bool& done) {
    io.restart();
    io.run();
    return done;
  }
  // After a stop: the operations in flight end (aborted) and the io_context is clean again.
  void drain(beast::tcp_stream& tcp) {
    beast::error_code ignored;
    tcp.socket().close(ignored);
    io.restart();
    io.run();
  }
  // Starts one asynchronous operation with `start(handler)` and runs it to its end: its error,
  // or nullopt if cancel() stopped it (the connection is closed then).
  template <typename Start>
  std::optional<beast::error_code> step(beast::tcp_stream& tcp, Start&& start) {
    beast::error_code ec;
    bool done = false;
    start([&](beast::error_code e, auto&&...) {
      ec = e;
      done = true;
    });
    if (!run(done)) {
      drain(tcp);
      return std::nullopt;
    }
    return ec;
  }

  std::string failure(const beast::error_code& ec, std::string_view what) const {
    if (ec == beast::error::timeout) {
      return "timed out after " + std::to_string(options.timeout.count()) + " ms (" +
             std::string(what) + ")";
    }
    return std::string(what) + ": " + ec.message();
  }

  void close() {
    if (!conn) return;
    beast::error_code ignored;
    conn->tcp.socket().shutdown(tcp::socket::shutdown_both, ignored);
    conn->tcp.socket().close(ignored);
    conn.reset();
  }

  // A new connection to `url` (connected, TLS handshake done) in `conn`, or why not.
  std::optional<std::string> open(const Url& url, Clock::time_point deadline) {
    close();
    if (url.tls && !tls_error.empty()) return tls_error;
    tcp::resolver resolver(io);
    tcp::resolver::results_type endpoints;
    beast::error_code ec;
    bool done = false;
    resolver.async_resolve(url.host, url.port,
                           [&](beast::error_code e, tcp::resolver::results_type found) {
                             ec = e;
                             endpoints = std::move(found);
                             done = true;
                           });
    io.restart();
    io.run_until(deadline);
    if (!done) {
      resolver.cancel();
      io.restart();
      io.run();
      return "timed out resolving " + url.host;
    }
    if (ec) return "cannot resolve " + url.host + ": " + ec.message();
    auto c = std::make_unique<Connection>(io, url);
    c->tcp.expires_at(deadline);
    const auto connected =
        step(c->tcp, [&](auto handler) { c->tcp.async_connect(endpoints, handler); });
    if (!connected) return "cancelled";
    if (*connected) return failure(*connected, "connecting");
    if (url.tls) {
      c->tls = std::make_unique<net::ssl::stream<beast::tcp_stream&>>(c->tcp, *tls);
      SSL* ssl = c->tls->native_handle();
      beast::error_code not_ip;
      (void)net::ip::make_address(url.host, not_ip);
      if (not_ip) {
        SSL_set_tlsext_host_name(ssl, url.host.c_str());
        SSL_set1_host(ssl, url.host.c_str());
      } else {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), url.host.c_str());
      }
      const auto shook = step(c->tcp, [&](auto handler) {
        c->tls->async_handshake(net::ssl::stream_base::client, handler);
      });
      if (!shook) return "cancelled";
      if (*shook) return failure(*shook, "TLS handshake");
    }
    conn = std::move(c);
    return std::nullopt;
  }

  template <typename Stream>
  Exchange exchange(Stream& stream, const Url& url, std::string_view body,
                    const std::vector<std::pair<std::string, std::string>>& headers) {
    Exchange x;
    beast::tcp_stream& tcp = conn->tcp;
    http::request<http::string_body> req{http::verb::post, url.target, 11};
    const bool v6 = url.host.find(':') != std::string::npos;
    const bool default_port = url.port == (url.tls ? "443" : "80");
    req.set(http::field::host,
            (v6 ? "[" + url.host + "]" : url.host) + (default_port ? "" : ":" + url.port));
    req.set(http::field::user_agent, "Tally-Webhooks/1");
    req.set(http::field::content_type, "application/json");
    for (const auto& [name, value] : headers) req.set(name, value);
    req.body() = std::string(body);
    req.keep_alive(true);
    req.prepare_payload();
    const auto sent = step(tcp, [&](auto handler) { http::async_write(stream, req, handler); });
    if (!sent || *sent) {
      x.result.error = sent ? failure(*sent, "sending") : "cancelled";
      x.unsent = sent && *sent != beast::error::timeout;
      return x;
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(k_response_body_max);
    const auto read =
        step(tcp, [&](auto handler) { http::async_read(stream, conn->buffer, parser, handler); });
    if (!read) {
      x.result.error = "cancelled";
      return x;
    }
    const beast::error_code ec = *read;
    const bool too_long = ec == http::error::body_limit && parser.is_header_done();
    if (ec && !too_long) {
      x.result.error = failure(ec, "reading the answer");
      x.unsent = !parser.got_some() && ec != beast::error::timeout;
      return x;
    }
    x.result.status = static_cast<int>(parser.get().result_int());
    x.keep = !too_long && parser.get().keep_alive();
    return x;
  }

  Exchange exchange(const Url& url, std::string_view body,
                    const std::vector<std::pair<std::string, std::string>>& headers) {
    if (conn->tls) return exchange(*conn->tls, url, body, headers);
    return exchange(conn->tcp, url, body, headers);
  }
};

Sender::Sender(SenderOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  auto& tls = impl_->tls.emplace(net::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
  tls.set_verify_mode(net::ssl::verify_peer);
  beast::error_code ec;
  tls.set_default_verify_paths(ec);
  if (!impl_->options.ca_file.empty()) {
    tls.load_verify_file(impl_->options.ca_file, ec);
    if (ec) impl_->tls_error = "ca_file " + impl_->options.ca_file + ": " + ec.message();
  }
}

Sender::~Sender() = default;

void Sender::cancel() {
  impl_->io.stop();
}

PostResult Sender::post(const Url& url, std::string_view body,
                        const std::vector<std::pair<std::string, std::string>>& headers) {
  Impl& m = *impl_;
  const auto start = Clock::now();
  const auto deadline = start + m.options.timeout;
  int opened = 0;
  PostResult r = [&]() -> PostResult {
    if (m.conn && !same_place(m.conn->url, url)) m.close();
    // A kept connection the receiver closed meanwhile (its idle timeout) fails before any
    // answer: the delivery goes again once on a new connection (at least once: it may have
    // been received, as with any lost answer).
    for (int attempt = 0; attempt < 2; ++attempt) {
      const bool reused = m.conn != nullptr;
      if (!reused) {
        if (auto why = m.open(url, deadline)) return {0, *why, 0};
        ++opened;
      }
      m.conn->tcp.expires_at(deadline);
      Exchange x = m.exchange(url, body, headers);
      if (!x.keep) m.close();
      if (reused && x.unsent) continue;
      return x.result;
    }
    return {0, "the receiver closed the connection twice before answering", 0};
  }();
  r.latency_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  r.connections_opened = opened;
  return r;
}

}  // namespace tally::webhooks
