// One webhook delivery over HTTP or HTTPS (docs/webhooks.md): a POST of a JSON body with the
// given headers, bounded as a whole by a timeout, on the connection of the previous post when
// the receiver kept it open (HTTP/1.1 keep-alive), else on a new one. A kept connection that
// the receiver closed meanwhile is replaced and the POST sent again on the new one. HTTPS verifies
// the receiver's certificate (the system's CAs, plus `ca_file` when set) and its host name or IP.
// Beast stays inside sender.cc: this header names no Boost type.
//
// Thread-safety: a Sender is used by one thread at a time; cancel() may be called from any
// thread to end the exchange in progress (the delivery threads stop with it).
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tally::webhooks {

// Where deliveries go: "http[s]://host[:port][/path][?query]".
struct Url {
  bool tls = false;
  std::string host;  // without the brackets of an IPv6 literal
  std::string port;  // "80" or "443" when the URL names none
  std::string target = "/";
};
inline constexpr size_t k_url_bytes_max = 2048;
// Error: why the URL cannot be used (scheme, host, port, length, characters).
[[nodiscard]] std::expected<Url, std::string> parse_url(std::string_view url);

struct PostResult {
  int status = 0;     // the receiver's HTTP status; 0: none (see error)
  std::string error;  // empty when a status came: connect refused, timeout, TLS...
  int64_t latency_ms = 0;
  int connections_opened = 0;  // connections this post opened (0: a kept one carried it)
};

struct SenderOptions {
  std::chrono::milliseconds timeout{10'000};
  std::string ca_file;  // more trusted certificates (PEM), e.g. a test's own
};

class Sender {
 public:
  explicit Sender(SenderOptions options);
  ~Sender();
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;

  PostResult post(const Url& url, std::string_view body,
                  const std::vector<std::pair<std::string, std::string>>& headers);
  // Ends the exchange in progress, if any, with an error; the next post() works.
  void cancel();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tally::webhooks
