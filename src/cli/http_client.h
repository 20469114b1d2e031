// A small synchronous HTTP/1.1 client for the CLI's commands that talk to `tally serve`: one
// request per connection, plain http only (put TLS in front of the server with a proxy).
// Beast stays inside http_client.cc: this header names no Boost type.
//
// Thread-safety: every call is independent; nothing is shared between calls.
#pragma once

#include <chrono>
#include <expected>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tally::cli {

// Where the server is: "http://host:port[/base]". The base path (no trailing slash) is put
// before every request's path, for a server behind a path-routing proxy.
struct ServerUrl {
  std::string host;
  std::string port = "80";
  std::string base_path;

  friend bool operator==(const ServerUrl&, const ServerUrl&) = default;
};

// Parses "http://host[:port][/base]" (a bare "host:port" is taken as http too). Error: a
// human message (an https URL, an empty host, a port that is not 1..65535).
[[nodiscard]] std::expected<ServerUrl, std::string> parse_server_url(std::string_view url);

struct ClientRequest {
  std::string method;  // "GET", "POST", "PUT", "DELETE"
  std::string target;  // path and query, from "/"
  std::string body;    // sent as application/json when not empty
  std::vector<std::pair<std::string, std::string>> headers;
};

struct ClientResponse {
  int status = 0;
  std::string content_type;
  std::string body;
};

// Connects, sends one request, reads the whole response (at most 64 MiB) and closes. The
// timeout bounds the whole exchange. Error: a human message when the server cannot be reached
// or the exchange fails (resolve, connect, timeout, a malformed response); an HTTP error
// status is a response, not an error.
[[nodiscard]] std::expected<ClientResponse, std::string> http_send(const ServerUrl& server,
                                                                   const ClientRequest& request,
                                                                   std::chrono::seconds timeout);

}  // namespace tally::cli
