#include "server/http_server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>

#include "log/log.h"

namespace tally::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr size_t k_header_bytes_max = 16 * 1024;

std::string_view view(beast::string_view s) { return {s.data(), s.size()}; }

// The same shape as the API's problems (docs/api.md): type, title, status, detail, request_id.
std::string problem_body(std::string_view type, int status, std::string_view detail,
                         std::string_view request_id) {
  std::string_view title = "Bad Request";
  if (status == 413) title = "Payload Too Large";
  if (status == 431) title = "Request Header Fields Too Large";
  std::string out = R"({"type":")";
  out += type;
  out += R"(","title":")";
  out += title;
  out += R"(","status":)";
  out += std::to_string(status);
  out += R"(,"detail":")";
  out += detail;  // only fixed texts of this file: nothing to escape
  out += R"(","request_id":")";
  out += request_id;  // is_request_id: nothing to escape
  out += "\"}";
  return out;
}

// splitmix64: a bijection, so distinct counters give distinct ids.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// The request id of a request: its own X-Request-Id when sane, else a new one.
std::string request_id_of(const http::request<http::string_body>& req) {
  if (auto it = req.find("X-Request-Id"); it != req.end() && is_request_id(view(it->value()))) {
    return std::string(view(it->value()));
  }
  return new_request_id();
}

// A connection as the server's registry sees it, plain or TLS.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void stop() = 0;
};

// A connection's strand, as a concrete type: beast::tcp_stream's type-erased executor
// (any_io_executor) allocates whenever a strand is copied into it, several times per request.
using Strand = net::strand<net::io_context::executor_type>;
using Socket = tcp::socket::rebind_executor<Strand>::other;
using TcpStream = beast::basic_stream<tcp, Strand>;
using PlainStream = TcpStream;
using TlsStream = beast::ssl_stream<TcpStream>;

}  // namespace

bool is_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("._:+/=@-").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

std::string new_request_id() {
  // A random start per process (ids of two processes do not collide by starting at 0), then a
  // counter; mixed, so that ids of one process do not look sequential either.
  static const uint64_t k_start = [] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }();
  static std::atomic<uint64_t> next{0};
  const uint64_t v = mix(k_start + next.fetch_add(1, std::memory_order_relaxed));
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 0; i < 16; ++i) out[static_cast<size_t>(i)] = k_hex[(v >> (60 - 4 * i)) & 15];
  return out;
}

struct HttpServer::Impl {
  HttpOptions options;
  Handler handler;
  // Declared before the io_context: sessions that outlive the threads are destroyed with it
  // and unregister themselves under `mu`.
  std::mutex mu;
  std::condition_variable drained;
  size_t in_flight = 0;  // requests read and not yet answered and written
  std::unordered_map<SessionBase*, std::weak_ptr<SessionBase>> sessions;
  // Set when serving HTTPS: TLS 1.2 or later, the certificate and key of the options.
  std::optional<net::ssl::context> tls;

  net::io_context ioc;
  // Keeps the I/O threads running while answers are still to come from the shards, also
  // once the acceptor and every connection have nothing pending.
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work{ioc.get_executor()};
  tcp::acceptor acceptor{ioc};
  // After a failed accept (out of file descriptors, say), the next waits a little rather than
  // spinning a core. Used by the accept chain only, one step at a time.
  net::steady_timer accept_retry{ioc};
  std::vector<std::thread> threads;
  std::atomic<bool> stopping{false};

  std::atomic<uint64_t> connections_total{0};
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> refused_too_large{0};
  std::atomic<uint64_t> timeouts{0};
  service::Histogram reply_ns;

  void accept();
  std::expected<void, std::string> use_tls();
  void finished_one() {
    std::lock_guard lock(mu);
    --in_flight;
    if (in_flight == 0) drained.notify_all();
  }
};

namespace {

// One connection over `Stream`: PlainStream, or TlsStream (a handshake first, a close_notify
// last).
template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool k_tls = std::is_same_v<Stream, TlsStream>;

 public:
  Session(Socket&& socket, HttpServer::Impl& server)
    requires(!k_tls)
      : remote_(remote_of(socket)), stream_(std::move(socket)), server_(server) {}
  Session(Socket&& socket, HttpServer::Impl& server)
    requires(k_tls)
      : remote_(remote_of(socket)), stream_(std::move(socket), *server.tls), server_(server) {}
  ~Session() override {
    std::lock_guard lock(server_.mu);
    server_.sessions.erase(this);
  }

  void start() {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (k_tls) {
        // The handshake counts against the read timeout: a client that never completes it
        // does not hold the connection.
        self->layer().expires_after(std::chrono::milliseconds(self->server_.options.read_timeout_ms));
        self->stream_.async_handshake(net::ssl::stream_base::server,
                                      [self](beast::error_code ec) {
                                        if (ec) return self->layer().close();  // not TLS 1.2+
                                        self->read();
                                      });
      } else {
        self->read();
      }
    });
  }

  // From shutdown(): an idle connection closes now; a busy one after its response.
  void stop() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->busy_) return;
      if constexpr (k_tls) {
        // A read is pending: no close_notify exchange beside it, the socket just closes.
        self->closed_ = true;
        return self->layer().close();
      }
      self->close();
    });
  }

 private:
  void read() {
    if (server_.stopping) return close();
    parser_.emplace();
    parser_->body_limit(server_.options.body_max_bytes);
    parser_->header_limit(k_header_bytes_max);
    layer().expires_after(std::chrono::milliseconds(server_.options.read_timeout_ms));
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                       self->on_read(ec, n);
                     });
  }

  static std::string remote_of(const Socket& socket) {
    beast::error_code ec;
    const auto endpoint = socket.remote_endpoint(ec);
    return ec ? std::string() : endpoint.address().to_string();
  }

  void on_read(beast::error_code ec, size_t bytes) {
    // Closed by shutdown() while this read's completion was already queued: the request
    // cannot be answered any more, so it must not be applied either.
    if (closed_) return;
    if (ec == http::error::end_of_stream || ec == net::ssl::error::stream_truncated) {
      return close();
    }
    if (ec == beast::error::timeout) {
      ++server_.timeouts;
      return close();
    }
    if (ec == http::error::body_limit) {
      ++server_.refused_too_large;
      return refuse(413, "payload_too_large", "the body is larger than the server accepts");
    }
    if (ec == http::error::header_limit) {
      return refuse(431, "invalid_request", "the request headers are too large");
    }
    if (ec && ec.category() == http::make_error_code(http::error::bad_target).category() &&
        ec != http::error::partial_message) {
      return refuse(400, "invalid_request", "the request is not valid HTTP/1.1");
    }
    if (ec) return close();  // the peer went away: nobody to answer

    http::request<http::string_body>& req = parser_->get();
    read_at_ = std::chrono::steady_clock::now();
    bytes_in_ = bytes;
    request_id_ = request_id_of(req);
    HttpRequest r;
    r.request_id = request_id_;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    if (auto it = req.find(http::field::authorization); it != req.end()) {
      r.authorization = std::string(it->value());
    }
    if (auto it = req.find("Idempotency-Key"); it != req.end()) {
      r.idempotency_key = std::string(it->value());
      r.has_idempotency_key = true;
    }
    if (auto it = req.find(http::field::host); it != req.end()) r.host = std::string(it->value());
    if (auto it = req.find(http::field::content_type); it != req.end()) {
      r.content_type = std::string(it->value());
    }
    r.body = std::move(req.body());
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    begin_request();
    server_.handler(std::move(r), [self = this->shared_from_this()](HttpResponse response) {
      const auto answered = std::chrono::steady_clock::now();
      net::post(self->stream_.get_executor(),
                [self, answered, response = std::move(response)]() mutable {
                  self->answered_ = answered;
                  self->write(std::move(response));
                });
    });
  }

  void begin_request() {
    busy_ = true;
    ++server_.requests;
    std::lock_guard lock(server_.mu);
    ++server_.in_flight;
  }

  // A request that could not be read whole: answer and close.
  void refuse(int status, std::string_view type, std::string_view detail) {
    keep_alive_ = false;
    refused_ = true;
    version_ = 11;
    read_at_ = std::chrono::steady_clock::now();
    bytes_in_ = 0;
    request_id_ = request_id_of(parser_->get());  // the head, when it was read whole
    begin_request();
    write({status, "application/problem+json", problem_body(type, status, detail, request_id_),
           {}});
  }

  // The head is written here, into a buffer the connection keeps (Beast's response message
  // allocates a node per header field), then head and body go out in one gather write.
  void write(HttpResponse r) {
    keep_open_ = keep_alive_ && !server_.stopping;
    body_ = std::move(r.body);
    status_ = r.status;
    note_ = std::move(r.note);
    head_.clear();
    head_ += version_ == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    head_ += std::to_string(r.status);
    head_ += ' ';
    const auto reason = http::obsolete_reason(http::int_to_status(static_cast<unsigned>(r.status)));
    head_.append(reason.data(), reason.size());
    add_header("Content-Type", r.content_type);
    const bool own_cache_control =
        std::any_of(r.headers.begin(), r.headers.end(),
                    [](const auto& h) { return beast::iequals(h.first, "Cache-Control"); });
    if (!own_cache_control) add_header("Cache-Control", "no-store");
    add_header("X-Request-Id", request_id_);
    for (const auto& [name, value] : r.headers) add_header(name, value);
    // No length on an answer that has no body (RFC 9110 §8.6); Tally sends none today.
    const bool bodiless = r.status < 200 || r.status == 204 || r.status == 304;
    if (!bodiless) add_header("Content-Length", std::to_string(body_.size()));
    // HTTP/1.1 keeps a connection open unless told; HTTP/1.0 closes it unless told.
    if (version_ != 10 && !keep_open_) add_header("Connection", "close");
    if (version_ == 10 && keep_open_) add_header("Connection", "keep-alive");
    head_ += "\r\n\r\n";
    layer().expires_after(std::chrono::milliseconds(server_.options.write_timeout_ms));
    const std::array<net::const_buffer, 2> buffers{net::buffer(head_), net::buffer(body_)};
    net::async_write(stream_, buffers,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       self->on_write(ec);
                     });
  }
  void add_header(std::string_view name, std::string_view value) {
    head_ += "\r\n";
    head_ += name;
    head_ += ": ";
    head_ += value;
  }

  void on_write(beast::error_code ec) {
    busy_ = false;
    const auto now = std::chrono::steady_clock::now();
    int64_t write_ns = 0;
    if (answered_ != std::chrono::steady_clock::time_point{}) {
      write_ns = (now - answered_).count();
      server_.reply_ns.record(static_cast<uint64_t>(write_ns));
      answered_ = {};
    }
    if (server_.options.on_exchange) exchanged(ec, now, write_ns);
    const bool again = !ec && keep_open_;
    server_.finished_one();
    if (!again) return refused_ ? linger() : close();
    read();
  }

  // After refusing a request whose body was not read: stop sending, then read and drop what
  // the client still sends (for a moment), so that closing does not reset the connection
  // before the client has read the refusal.
  void linger() {
    if constexpr (k_tls) return close();  // TLS: the refusal was sent whole; no half-close
    beast::error_code ignored;
    layer().socket().shutdown(tcp::socket::shutdown_send, ignored);
    layer().expires_after(std::chrono::seconds(2));
    drain_.resize(16 * 1024);
    linger_more();
  }
  void linger_more() {
    layer().async_read_some(net::buffer(drain_),
                          [self = this->shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->layer().close();
                              self->linger_more();
                            });
  }

  void close() {
    closed_ = true;
    if constexpr (k_tls) {
      // close_notify, then the socket (at once if the peer does not answer it in time).
      layer().expires_after(std::chrono::seconds(2));
      return stream_.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) { self->layer().close(); });
    }
    beast::error_code ignored;
    layer().socket().shutdown(tcp::socket::shutdown_send, ignored);
    layer().close();
  }

  TcpStream& layer() { return beast::get_lowest_layer(stream_); }

  // The access log's view of the request just answered (the head stays in parser_ until the
  // next read).
  void exchanged(beast::error_code ec, std::chrono::steady_clock::time_point now, int64_t write_ns) {
    Exchange x;
    x.request_id = request_id_;
    if (parser_) {
      const auto& req = parser_->get();
      x.method = view(req.method_string());
      x.target = view(req.target());
      if (auto it = req.find("Idempotency-Key"); it != req.end()) {
        x.idempotency_key = view(it->value());
      }
    }
    x.remote = remote_;
    x.status = status_;
    x.bytes_in = bytes_in_;
    x.bytes_out = head_.size() + body_.size();
    x.total_ns = (now - read_at_).count();
    x.write_ns = write_ns;
    x.written = !ec;
    x.note = &note_;
    server_.options.on_exchange(x);
  }

  const std::string remote_;  // the peer's address, read once
  Stream stream_;
  HttpServer::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string head_;  // the answer's status line and headers, reused
  std::string body_;
  bool keep_open_ = true;  // after the answer being written
  bool busy_ = false;
  bool closed_ = false;
  std::chrono::steady_clock::time_point answered_{};  // the answer's Respond, for reply_ns
  bool refused_ = false;
  std::vector<char> drain_;
  bool keep_alive_ = true;
  unsigned version_ = 11;
  // The request in progress, for its answer's header and the access log.
  std::string request_id_;
  std::chrono::steady_clock::time_point read_at_{};
  uint64_t bytes_in_ = 0;
  int status_ = 0;
  AccessNote note_;
};

}  // namespace

void HttpServer::Impl::accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, Socket socket) {
    if (ec) {
      if (stopping || ec == net::error::operation_aborted) return;
      // E.g. too many open files: keep serving the others, and try again shortly.
      accept_retry.expires_after(std::chrono::milliseconds(50));
      return accept_retry.async_wait([this](beast::error_code waited) {
        if (!waited && !stopping) accept();
      });
    }
    ++connections_total;
    auto begin = [this](auto session) {
      bool full;
      {
        std::lock_guard lock(mu);
        full = sessions.size() >= options.connections_max;
        if (!full) sessions.emplace(session.get(), session);
      }
      if (!full) session->start();  // else it closes as it goes out of scope
    };
    if (tls) {
      begin(std::make_shared<Session<TlsStream>>(std::move(socket), *this));
    } else {
      begin(std::make_shared<Session<PlainStream>>(std::move(socket), *this));
    }
    accept();
  });
}

// TLS 1.2 or later (RFC 8996 deprecates 1.0 and 1.1), OpenSSL's default cipher suites.
std::expected<void, std::string> HttpServer::Impl::use_tls() {
  tls.emplace(net::ssl::context::tls_server);
  tls->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                   net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                   net::ssl::context::no_tlsv1_1 | net::ssl::context::single_dh_use);
  if (SSL_CTX_set_min_proto_version(tls->native_handle(), TLS1_2_VERSION) != 1) {
    return std::unexpected("TLS: cannot require TLS 1.2");
  }
  beast::error_code ec;
  if (tls->use_certificate_chain_file(options.tls_cert_file, ec); ec) {
    return std::unexpected("--tls-cert " + options.tls_cert_file + ": " + ec.message());
  }
  if (tls->use_private_key_file(options.tls_key_file, net::ssl::context::pem, ec); ec) {
    // OpenSSL checks here that the key is the certificate's ("key values mismatch").
    return std::unexpected("--tls-key " + options.tls_key_file + ": " + ec.message() +
                           " (it must be the PEM private key of --tls-cert " +
                           options.tls_cert_file + ")");
  }
  if (SSL_CTX_check_private_key(tls->native_handle()) != 1) {
    return std::unexpected("--tls-key " + options.tls_key_file +
                           " is not the private key of --tls-cert " + options.tls_cert_file);
  }
  return {};
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::expected<std::unique_ptr<HttpServer>, std::string> HttpServer::start(HttpOptions options,
                                                                           Handler handler) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->handler = std::move(handler);
  beast::error_code ec;
  if (!impl->options.tls_cert_file.empty()) {
    if (auto r = impl->use_tls(); !r) return std::unexpected(r.error());
  }
  const auto address = net::ip::make_address(impl->options.address, ec);
  if (ec) return std::unexpected("not an IP address: '" + impl->options.address + "'");
  const tcp::endpoint endpoint(address, impl->options.port);
  auto& a = impl->acceptor;
  if (a.open(endpoint.protocol(), ec); ec) return std::unexpected("socket: " + ec.message());
  if (a.set_option(net::socket_base::reuse_address(true), ec); ec) {
    return std::unexpected("socket option: " + ec.message());
  }
  if (a.bind(endpoint, ec); ec) {
    return std::unexpected("cannot listen on " + impl->options.address + ":" +
                           std::to_string(impl->options.port) + ": " + ec.message());
  }
  if (a.listen(net::socket_base::max_listen_connections, ec); ec) {
    return std::unexpected("listen: " + ec.message());
  }
  impl->accept();
  const size_t n = std::max<size_t>(1, impl->options.threads);
  for (size_t i = 0; i < n; ++i) {
    impl->threads.emplace_back([raw = impl.get(), i] {
      log::name_thread("http-" + std::to_string(i));
      raw->ioc.run();
    });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

uint16_t HttpServer::port() const { return impl_->acceptor.local_endpoint().port(); }

void HttpServer::shutdown() {
  Impl& s = *impl_;
  if (s.stopping.exchange(true)) return;
  net::post(s.acceptor.get_executor(), [&s] {
    beast::error_code ignored;
    s.acceptor.close(ignored);
  });
  std::vector<std::shared_ptr<SessionBase>> open;
  {
    std::lock_guard lock(s.mu);
    for (auto& [raw, weak] : s.sessions) {
      if (auto session = weak.lock()) open.push_back(std::move(session));
    }
  }
  for (auto& session : open) session->stop();
  open.clear();
  {
    // Every request already read is answered: its reply waits for its batch to be durable.
    std::unique_lock lock(s.mu);
    s.drained.wait(lock, [&s] { return s.in_flight == 0; });
  }
  s.work.reset();
  s.ioc.stop();
  for (auto& t : s.threads) {
    if (t.joinable()) t.join();
  }
}

HttpServer::~HttpServer() { shutdown(); }

HttpServer::Counters HttpServer::counters() const {
  Impl& s = *impl_;
  Counters c;
  {
    std::lock_guard lock(s.mu);
    c.connections_open = s.sessions.size();
  }
  c.connections_total = s.connections_total;
  c.requests = s.requests;
  c.refused_too_large = s.refused_too_large;
  c.timeouts = s.timeouts;
  c.reply_ns = s.reply_ns.snapshot();
  return c;
}

}  // namespace tally::server
