#include "server/http_server.h"

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

namespace tally::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr size_t k_header_bytes_max = 16 * 1024;

// The same shape as the API's problems (docs/api.md): type, title, status, detail.
std::string problem_body(std::string_view type, int status, std::string_view detail) {
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
  out += "\"}";
  return out;
}

class Session;

}  // namespace

struct HttpServer::Impl {
  HttpOptions options;
  Handler handler;
  // Declared before the io_context: sessions that outlive the threads are destroyed with it
  // and unregister themselves under `mu`.
  std::mutex mu;
  std::condition_variable drained;
  size_t in_flight = 0;  // requests read and not yet answered and written
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;

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

  void accept();
  void finished_one() {
    std::lock_guard lock(mu);
    --in_flight;
    if (in_flight == 0) drained.notify_all();
  }
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, HttpServer::Impl& server)
      : stream_(std::move(socket)), server_(server) {}
  ~Session() {
    std::lock_guard lock(server_.mu);
    server_.sessions.erase(this);
  }

  void start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
  }

  // From shutdown(): an idle connection closes now; a busy one after its response.
  void stop() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_) self->close();
    });
  }

 private:
  void read() {
    if (server_.stopping) return close();
    parser_.emplace();
    parser_->body_limit(server_.options.body_max_bytes);
    parser_->header_limit(k_header_bytes_max);
    stream_.expires_after(std::chrono::milliseconds(server_.options.read_timeout_ms));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(beast::error_code ec) {
    // Closed by shutdown() while this read's completion was already queued: the request
    // cannot be answered any more, so it must not be applied either.
    if (closed_) return;
    if (ec == http::error::end_of_stream) return close();
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
    HttpRequest r;
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
    server_.handler(std::move(r), [self = shared_from_this()](HttpResponse response) {
      net::post(self->stream_.get_executor(),
                [self, response = std::move(response)]() mutable { self->write(std::move(response)); });
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
    begin_request();
    write({status, "application/problem+json", problem_body(type, status, detail), {}});
  }

  void write(HttpResponse r) {
    response_ = {};
    response_.version(version_);
    response_.result(static_cast<unsigned>(r.status));
    response_.set(http::field::content_type, r.content_type);
    response_.set(http::field::cache_control, "no-store");
    for (auto& [name, value] : r.headers) response_.set(name, value);
    response_.body() = std::move(r.body);
    response_.keep_alive(keep_alive_ && !server_.stopping);
    response_.prepare_payload();
    stream_.expires_after(std::chrono::milliseconds(server_.options.write_timeout_ms));
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        self->on_write(ec);
                      });
  }

  void on_write(beast::error_code ec) {
    busy_ = false;
    const bool again = !ec && response_.keep_alive();
    server_.finished_one();
    if (!again) return refused_ ? linger() : close();
    read();
  }

  // After refusing a request whose body was not read: stop sending, then read and drop what
  // the client still sends (for a moment), so that closing does not reset the connection
  // before the client has read the refusal.
  void linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::seconds(2));
    drain_.resize(16 * 1024);
    linger_more();
  }
  void linger_more() {
    stream_.async_read_some(net::buffer(drain_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->stream_.close();
                              self->linger_more();
                            });
  }

  void close() {
    closed_ = true;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  HttpServer::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  bool busy_ = false;
  bool closed_ = false;
  bool refused_ = false;
  std::vector<char> drain_;
  bool keep_alive_ = true;
  unsigned version_ = 11;
};

}  // namespace

void HttpServer::Impl::accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (stopping || ec == net::error::operation_aborted) return;
      // E.g. too many open files: keep serving the others, and try again shortly.
      accept_retry.expires_after(std::chrono::milliseconds(50));
      return accept_retry.async_wait([this](beast::error_code waited) {
        if (!waited && !stopping) accept();
      });
    }
    ++connections_total;
    auto session = std::make_shared<Session>(std::move(socket), *this);
    bool full;
    {
      std::lock_guard lock(mu);
      full = sessions.size() >= options.connections_max;
      if (!full) sessions.emplace(session.get(), session);
    }
    if (!full) session->start();  // else it closes as it goes out of scope
    accept();
  });
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::expected<std::unique_ptr<HttpServer>, std::string> HttpServer::start(HttpOptions options,
                                                                           Handler handler) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->handler = std::move(handler);
  beast::error_code ec;
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
    impl->threads.emplace_back([raw = impl.get()] { raw->ioc.run(); });
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
  std::vector<std::shared_ptr<Session>> open;
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
  return c;
}

}  // namespace tally::server
