#include "tests/server/server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cassert>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <thread>

namespace tally::testing {

namespace {

// In a child after fork(): its stdout (and stderr if `and_stderr`) into the pipe `out`, then
// `args` run in its place.
[[noreturn]] void exec_child(std::vector<std::string> args, const int out[2], bool and_stderr) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a test that crashes leaves no process behind
  ::dup2(out[1], 1);
  if (and_stderr) ::dup2(out[1], 2);
  ::close(out[0]);
  ::close(out[1]);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv(argv[0], argv.data());
  std::perror("execv");
  ::_exit(127);
}

}  // namespace

rapidjson::Document HttpReply::json() const {
  rapidjson::Document d;
  d.Parse(body.c_str());
  if (d.HasParseError()) throw std::runtime_error("not JSON: " + body);
  return d;
}

HttpClient::HttpClient(int port) : port_(port) { connect_(); }

HttpClient::~HttpClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool HttpClient::connect_() {
  if (fd_ >= 0) ::close(fd_);
  buffer_.clear();
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port_));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd_);
    fd_ = -1;
    return false;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return true;
}

HttpReply HttpClient::send(const std::string& method, const std::string& path,
                           const std::string& body,
                           const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) +
                    "\r\n";
  bool has_type = false;
  for (const auto& [k, v] : headers) {
    req += k + ": " + v + "\r\n";
    if (k == "Content-Type") has_type = true;
  }
  if (!body.empty() && !has_type) req += "Content-Type: application/json\r\n";
  if (!body.empty() || method == "POST" || method == "PUT") {
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  return raw(req);
}

HttpReply HttpClient::raw(const std::string& bytes) {
  if (fd_ < 0 && !connect_()) return {};
  send_only(bytes);  // a failure is fine: the server may have answered early (413)
  return read_reply();
}

bool HttpClient::send_only(const std::string& bytes) {
  if (fd_ < 0 && !connect_()) return false;
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

HttpReply HttpClient::receive(int timeout_ms) {
  if (fd_ < 0) return {};
  return read_reply(timeout_ms);
}

void HttpClient::shutdown_send() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

bool HttpClient::wait_closed(int timeout_ms, std::string* received) {
  if (fd_ < 0) return true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  if (received) *received += buffer_;
  buffer_.clear();
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    char chunk[4096];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      if (received) received->append(chunk, static_cast<size_t>(n));
      continue;
    }
    ::close(fd_);  // end of stream, or reset
    fd_ = -1;
    return true;
  }
}

HttpReply HttpClient::read_reply(int timeout_ms) {
  HttpReply r;
  auto fill = [&]() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    char chunk[65536];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  };
  size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill()) {
      ::close(fd_);
      fd_ = -1;
      return {};
    }
  }
  const std::string head = buffer_.substr(0, end);
  buffer_.erase(0, end + 4);
  r.status = std::atoi(head.substr(9, 3).c_str());
  size_t pos = head.find("\r\n");
  while (pos != std::string::npos) {
    const size_t next = head.find("\r\n", pos + 2);
    const std::string line = head.substr(pos + 2, next == std::string::npos ? next : next - pos - 2);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    }
    pos = next;
  }
  const size_t length = static_cast<size_t>(std::atoll(r.headers["content-length"].c_str()));
  while (buffer_.size() < length) {
    if (!fill()) {
      ::close(fd_);
      fd_ = -1;
      return {};
    }
  }
  r.body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  if (r.headers["connection"] == "close") {
    ::close(fd_);
    fd_ = -1;
  }
  return r;
}

std::string tally_binary() {
  const char* env = std::getenv("TALLY_BIN");
  return env ? env : TALLY_BIN_DEFAULT;
}

CommandRun run_tally(const std::vector<std::string>& args, int timeout_ms) {
  int out[2];
  if (::pipe(out) != 0) throw std::runtime_error("pipe");
  std::vector<std::string> argv_text = {tally_binary()};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  const pid_t pid = ::fork();
  if (pid == 0) exec_child(argv_text, out, true);
  ::close(out[1]);
  CommandRun r;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {  // until end of output (the process exited) or the deadline
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    pollfd p{out[0], POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) == 0) {
      r.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    char chunk[4096];
    const ssize_t n = ::read(out[0], chunk, sizeof chunk);
    if (n <= 0) break;
    r.output.append(chunk, static_cast<size_t>(n));
  }
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::pair<std::string, std::string> bearer(const std::string& secret) {
  return {"Authorization", "Bearer " + secret};
}

HttpReply send_as(HttpClient& client, const std::string& secret, const std::string& method,
                  const std::string& path, const std::string& body, const std::string& key) {
  std::vector<std::pair<std::string, std::string>> h = {bearer(secret)};
  if (!key.empty()) h.emplace_back("Idempotency-Key", key);
  return client.send(method, path, body, h);
}

ServerProcess::ServerProcess(ServerOptions options) : options_(std::move(options)) {
  data_dir_ = options_.data_dir;
  if (data_dir_.empty()) {
    char tmpl[] = "/tmp/tally-server-test-XXXXXX";
    data_dir_ = ::mkdtemp(tmpl);
    own_dir_ = true;
  }
  start();
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) stop();
  if (own_dir_) std::filesystem::remove_all(data_dir_);
}

void ServerProcess::start() {
  int out[2];
  if (::pipe(out) != 0) throw std::runtime_error("pipe");
  std::vector<std::string> args = {tally_binary(), "serve", "--data", data_dir_, "--listen",
                                   "127.0.0.1:0", "--shards", "2"};
  if (!options_.config.empty()) {
    args.push_back("--config");
    args.push_back(options_.config);
  }
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  pid_ = ::fork();
  if (pid_ == 0) {
    ::setenv("TALLY_ADMIN_KEY", options_.admin_key.c_str(), 1);
    exec_child(args, out, false);
  }
  ::close(out[1]);
  // The first line names the port: "tally: listening on http://127.0.0.1:PORT".
  std::string line;
  char c;
  while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
  // Keep draining stdout in the background so the server never blocks on a full pipe.
  std::thread([fd = out[0]] {
    char buf[4096];
    while (::read(fd, buf, sizeof buf) > 0) {
    }
    ::close(fd);
  }).detach();
  const size_t colon = line.rfind(':');
  if (line.find("listening on") == std::string::npos || colon == std::string::npos) {
    throw std::runtime_error("tally serve did not start: '" + line + "'");
  }
  port_ = std::atoi(line.c_str() + colon + 1);
}

int ServerProcess::stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void ServerProcess::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void ServerProcess::restart() {
  if (pid_ > 0) stop();
  start();
}

}  // namespace tally::testing
