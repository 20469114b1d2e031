#include "tests/server/webhook_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <stdexcept>

namespace tally::testing {

WebhookReceiver::WebhookReceiver(const std::string& cert_file, const std::string& key_file) {
  if (!cert_file.empty()) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      SSL_CTX_free(ctx);
      throw std::runtime_error("the webhook receiver cannot use " + cert_file);
    }
    tls_ = ctx;
  }
  listen_();
}

WebhookReceiver::~WebhookReceiver() {
  stop();
  SSL_CTX_free(static_cast<SSL_CTX*>(tls_));
}

std::string WebhookReceiver::url(const std::string& path) const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + path;
}

void WebhookReceiver::listen_() {
  // An answer (or a TLS close_notify) written after Tally or stop() closed the connection: an
  // error to ignore, not a signal that ends the test (SSL_write writes to the socket itself).
  ::signal(SIGPIPE, SIG_IGN);
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port_));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 64) != 0) {
    ::close(fd);
    throw std::runtime_error("the webhook receiver cannot listen");
  }
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  std::lock_guard lock(mu_);
  stopping_ = false;
  listener_ = fd;
  acceptor_ = std::thread([this, fd] { accept_loop(fd); });
}

void WebhookReceiver::start() {
  if (acceptor_.joinable()) return;
  listen_();
}

void WebhookReceiver::stop() {
  std::vector<std::thread> connections;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    if (listener_ >= 0) ::shutdown(listener_, SHUT_RDWR);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    connections.swap(connections_);
  }
  changed_.notify_all();
  if (acceptor_.joinable()) acceptor_.join();
  for (auto& t : connections) t.join();
  std::lock_guard lock(mu_);
  if (listener_ >= 0) ::close(listener_);
  listener_ = -1;
}

void WebhookReceiver::accept_loop(int listener) {
  while (true) {
    pollfd p{listener, POLLIN, 0};
    ::poll(&p, 1, 100);
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    if (!(p.revents & POLLIN)) continue;
    const int fd = ::accept(listener, nullptr, nullptr);
    if (fd < 0) continue;
    std::lock_guard lock(mu_);
    open_fds_.push_back(fd);
    connections_.emplace_back([this, fd] { serve(fd); });
  }
}

namespace {

// One connection, plain or TLS.
struct Conn {
  int fd;
  SSL* ssl = nullptr;
  // Appends what arrives next to `out`; false on close or error.
  bool read_more(std::string* out) {
    char buf[4096];
    const long n = ssl ? SSL_read(ssl, buf, sizeof buf) : ::read(fd, buf, sizeof buf);
    if (n <= 0) return false;
    out->append(buf, static_cast<size_t>(n));
    return true;
  }
  void write(const std::string& s) {
    if (ssl) {
      SSL_write(ssl, s.data(), static_cast<int>(s.size()));
    } else {
      // Tally may have given up on this delivery (its timeout) and closed: no SIGPIPE.
      (void)!::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    }
  }
};

}  // namespace

void WebhookReceiver::serve(int fd) {
  Conn conn{fd};
  if (tls_) {
    conn.ssl = SSL_new(static_cast<SSL_CTX*>(tls_));
    SSL_set_fd(conn.ssl, fd);
    if (SSL_accept(conn.ssl) != 1) {  // e.g. a client that does not trust the certificate
      SSL_free(conn.ssl);
      std::lock_guard lock(mu_);
      ::close(fd);
      open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
      return;
    }
  }
  int number = 0;
  {
    std::lock_guard lock(mu_);
    number = ++accepted_;
  }
  std::string data;  // read and not yet parsed: the next request's first bytes
  while (true) {
    Request r;
    r.connection = number;
    size_t end = std::string::npos;
    while ((end = data.find("\r\n\r\n")) == std::string::npos) {
      if (!conn.read_more(&data)) break;
    }
    if (end == std::string::npos) break;  // closed between requests
    const std::string head = data.substr(0, end);
    size_t line_end = head.find("\r\n");
    const std::string request_line = head.substr(0, line_end);
    const size_t sp1 = request_line.find(' '), sp2 = request_line.rfind(' ');
    if (sp1 != std::string::npos && sp2 > sp1)
      r.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
    while (line_end != std::string::npos && line_end < head.size()) {
      const size_t next = head.find("\r\n", line_end + 2);
      const std::string line = head.substr(
          line_end + 2, next == std::string::npos ? std::string::npos : next - line_end - 2);
      const size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        size_t v = colon + 1;
        while (v < line.size() && line[v] == ' ') ++v;
        r.headers[name] = line.substr(v);
      }
      line_end = next;
    }
    const size_t length =
        r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
    while (data.size() < end + 4 + length && conn.read_more(&data)) {
    }
    const bool whole = data.size() >= end + 4 + length;
    r.body = data.substr(end + 4, length);
    data.erase(0, std::min(data.size(), end + 4 + length));
    r.at = std::chrono::steady_clock::now();
    // A request that arrives while the receiver hangs is never answered: the connection stays
    // open (the sender times out) until the hang ends, then closes.
    int status = 0;
    bool hung = false, keep = false;
    {
      std::lock_guard lock(mu_);
      hung = hang_;
      if (!hung && !stopping_ && whole) status = status_;
      keep = keep_alive_ && r.headers["connection"] != "close";
      r.answered = status;
      if (whole) requests_.push_back(r);
    }
    changed_.notify_all();
    if (hung) {
      std::unique_lock lock(mu_);
      changed_.wait(lock, [&] { return stopping_ || !hang_; });
      break;
    }
    if (status == 0) break;
    conn.write("HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: 2\r\nConnection: " +
               (keep ? "keep-alive" : "close") + "\r\n\r\nok");
    if (!keep) break;
  }
  if (conn.ssl) {
    SSL_shutdown(conn.ssl);
    SSL_free(conn.ssl);
  }
  std::lock_guard lock(mu_);
  ::close(fd);
  open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
}

void WebhookReceiver::set_status(int status) {
  std::lock_guard lock(mu_);
  status_ = status;
}

void WebhookReceiver::set_keep_alive(bool keep_alive) {
  std::lock_guard lock(mu_);
  keep_alive_ = keep_alive;
}

int WebhookReceiver::connections() const {
  std::lock_guard lock(mu_);
  return accepted_;
}

void WebhookReceiver::set_hang(bool hang) {
  {
    std::lock_guard lock(mu_);
    hang_ = hang;
  }
  changed_.notify_all();
}

std::vector<WebhookReceiver::Request> WebhookReceiver::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

std::vector<WebhookReceiver::Request> WebhookReceiver::delivered() const {
  std::vector<Request> out;
  for (Request& r : requests()) {
    if (r.answered >= 200 && r.answered < 300) out.push_back(std::move(r));
  }
  return out;
}

bool WebhookReceiver::wait_until(const std::function<bool(const std::vector<Request>&)>& done,
                                 int timeout_ms) const {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                           [&] { return done(requests_); });
}

}  // namespace tally::testing
