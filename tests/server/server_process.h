// Test support: runs `tally serve` as a child process on 127.0.0.1 (any free port) with its
// own data directory, and talks to it over plain HTTP/1.1 (a small blocking client, so the
// tests exercise the real server, sockets and all). The test that starts a server stops it.
#pragma once

#include <rapidjson/document.h>
#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace tally::testing {

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
  rapidjson::Document json() const;  // the body parsed (asserts it is JSON)
};

// One keep-alive connection.
class HttpClient {
 public:
  explicit HttpClient(int port);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request and reads the reply; status 0 if the connection failed.
  HttpReply send(const std::string& method, const std::string& path, const std::string& body = "",
                 const std::vector<std::pair<std::string, std::string>>& headers = {});
  // Sends raw bytes and reads one reply (for malformed requests).
  HttpReply raw(const std::string& bytes);
  bool connected() const { return fd_ >= 0; }

  // For slow and broken clients: sends bytes without reading a reply (connecting first if
  // needed); false if the connection failed or the server no longer reads.
  bool send_only(const std::string& bytes);
  // Reads one reply, waiting at most `timeout_ms` for each chunk; status 0 (and the
  // connection closed) if the server closed it or sent nothing in time.
  HttpReply receive(int timeout_ms = 30'000);
  // Half-closes: the server reads end of stream; replies can still arrive.
  void shutdown_send();
  // Waits until the server closes the connection (end of stream or reset), keeping what it
  // sent in `*received` if given; false if it is still open after `timeout_ms`.
  bool wait_closed(int timeout_ms, std::string* received = nullptr);

 private:
  bool connect_();
  HttpReply read_reply(int timeout_ms = 30'000);
  int port_;
  int fd_ = -1;
  std::string buffer_;
};

struct ServerOptions {
  std::string data_dir;  // empty: a fresh temporary one (removed by the destructor)
  std::string config;    // empty: the built-in default
  std::vector<std::string> extra_args = {"--clock", "manual"};
  std::string admin_key = "tk_admin_test";
};

class ServerProcess {
 public:
  explicit ServerProcess(ServerOptions options = {});
  // Stops the server with SIGTERM if it still runs (and removes a temporary data dir).
  ~ServerProcess();

  int port() const { return port_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& admin_key() const { return options_.admin_key; }
  pid_t pid() const { return pid_; }
  // SIGTERM and wait: the exit status (-1 if killed by a signal).
  int stop();
  // SIGKILL and wait.
  void kill();
  // Starts again on the same data directory.
  void restart();

 private:
  void start();
  ServerOptions options_;
  std::string data_dir_;
  bool own_dir_ = false;
  pid_t pid_ = -1;
  int port_ = 0;
};

// The path of the tally binary under test.
std::string tally_binary();

struct CommandRun {
  int status = -1;  // the exit status; -1 if it ended by a signal
  bool timed_out = false;  // still running after the timeout: killed
  std::string output;  // stdout and stderr, interleaved
};
// Runs `tally ARGS...` to its end, killing it (SIGKILL) if it runs longer than `timeout_ms`.
CommandRun run_tally(const std::vector<std::string>& args, int timeout_ms);

// Bearer header for a secret.
std::pair<std::string, std::string> bearer(const std::string& secret);
// `method path body` sent with `secret` as its bearer token and, unless empty, `key` as its
// Idempotency-Key.
HttpReply send_as(HttpClient& client, const std::string& secret, const std::string& method,
                  const std::string& path, const std::string& body = "",
                  const std::string& key = "");

}  // namespace tally::testing
