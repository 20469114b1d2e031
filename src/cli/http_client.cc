// The only file of the CLI that compiles Beast (slow to build; header-only in Boost 1.74).
#include "cli/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>

namespace tally::cli {
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

namespace {
constexpr size_t k_response_body_max = 64u << 20;
}  // namespace

std::expected<ServerUrl, std::string> parse_server_url(std::string_view url) {
  const std::string_view original = url;
  if (url.starts_with("https://")) {
    return std::unexpected("https is not supported (" + std::string(original) +
                           "): use http:// or a local TLS proxy");
  }
  if (url.starts_with("http://")) url.remove_prefix(7);
  ServerUrl out;
  const size_t slash = url.find('/');
  if (slash != std::string_view::npos) {
    std::string_view base = url.substr(slash);
    while (base.ends_with('/')) base.remove_suffix(1);
    out.base_path = std::string(base);
    url = url.substr(0, slash);
  }
  std::string_view host = url;
  if (host.starts_with('[')) {  // [::1]:8080
    const size_t close = host.find(']');
    if (close == std::string_view::npos)
      return std::unexpected("bad IPv6 host in " + std::string(original));
    out.host = std::string(host.substr(1, close - 1));
    host = host.substr(close + 1);
    if (!host.empty() && host.front() != ':')
      return std::unexpected("bad server URL " + std::string(original));
    if (!host.empty()) out.port = std::string(host.substr(1));
  } else if (const size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    out.host = std::string(host.substr(0, colon));
    out.port = std::string(host.substr(colon + 1));
  } else {
    out.host = std::string(host);
  }
  if (out.host.empty())
    return std::unexpected("no host in server URL \"" + std::string(original) + "\"");
  int port = 0;
  const auto [end, ec] = std::from_chars(out.port.data(), out.port.data() + out.port.size(), port);
  if (ec != std::errc() || end != out.port.data() + out.port.size() || port < 1 || port > 65535) {
    return std::unexpected("bad port in server URL \"" + std::string(original) + "\"");
  }
  return out;
}

std::expected<ClientResponse, std::string> http_send(const ServerUrl& server,
                                                     const ClientRequest& request,
                                                     std::chrono::seconds timeout) {
  const std::string where = server.host + ":" + server.port;
  try {
    boost::asio::io_context io;
    tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    beast::error_code ec;
    const auto endpoints = resolver.resolve(server.host, server.port, ec);
    if (ec) return std::unexpected("cannot resolve " + server.host + ": " + ec.message());
    stream.expires_after(timeout);
    stream.connect(endpoints, ec);
    if (ec) return std::unexpected("cannot connect to " + where + ": " + ec.message());

    const http::verb verb = http::string_to_verb(request.method);
    if (verb == http::verb::unknown) return std::unexpected("unknown method " + request.method);
    http::request<http::string_body> req{verb, server.base_path + request.target, 11};
    req.set(http::field::host, where);
    req.set(http::field::user_agent, "tally-cli");
    req.set(http::field::accept, "application/json");
    for (const auto& [name, value] : request.headers) req.set(name, value);
    if (!request.body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = request.body;
    }
    req.keep_alive(false);
    req.prepare_payload();
    http::write(stream, req, ec);
    if (ec) return std::unexpected("cannot send to " + where + ": " + ec.message());

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(k_response_body_max);
    http::read(stream, buffer, parser, ec);
    if (ec) return std::unexpected("no answer from " + where + ": " + ec.message());
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);  // the server may close first

    const auto& res = parser.get();
    ClientResponse out;
    out.status = static_cast<int>(res.result_int());
    out.content_type = std::string(res[http::field::content_type]);
    out.body = res.body();
    return out;
  } catch (const std::exception& e) {  // Asio throws on allocation and a few setup failures
    return std::unexpected("HTTP exchange with " + where + " failed: " + e.what());
  }
}

}  // namespace tally::cli
