// Test support: a small HTTP/1.1 server on 127.0.0.1 that receives webhook deliveries, answers
// each with the status the test sets (or never, while it "hangs"), and records them. It keeps
// connections open between requests (keep-alive) unless told to close each, and counts the
// connections it accepted. It can be
// stopped (connections refused) and started again on the same port, as a receiver that goes
// down and comes back. With a certificate and key (PEM files) it speaks HTTPS. The test that
// makes one stops it (the destructor).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tally::testing {

class WebhookReceiver {
 public:
  struct Request {
    std::string target;
    std::map<std::string, std::string> headers;  // names lowercased
    std::string body;
    int answered = 0;    // the status sent; 0: none (the receiver hung or stopped)
    int connection = 0;  // which connection it came on: 1, 2, ... in the order accepted
    std::chrono::steady_clock::time_point at;  // when it was read whole
  };

  // Listening on a free port; HTTPS when `cert_file` and `key_file` are given.
  explicit WebhookReceiver(const std::string& cert_file = "", const std::string& key_file = "");
  ~WebhookReceiver();
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path = "/hook") const;

  // Every request from now on is answered with `status` (200 at first).
  void set_status(int status);
  // true: requests are read and never answered until set_hang(false) or stop().
  void set_hang(bool hang);
  // false: each answer says `Connection: close` and the connection is closed (true at first).
  void set_keep_alive(bool keep_alive);
  // Connections accepted (and, for HTTPS, shaken hands on) so far.
  int connections() const;
  // Closes the listener and every connection: deliveries are refused until start().
  void stop();
  void start();  // listening again, on the same port

  std::vector<Request> requests() const;
  // The requests answered 2xx, in the order they arrived.
  std::vector<Request> delivered() const;
  // Waits until `done(requests())` holds; false after `timeout_ms`.
  bool wait_until(const std::function<bool(const std::vector<Request>&)>& done,
                  int timeout_ms = 30'000) const;

 private:
  void listen_();
  void accept_loop(int listener);
  void serve(int fd);

  int port_ = 0;
  void* tls_ = nullptr;  // SSL_CTX*, when HTTPS
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::vector<Request> requests_;
  int status_ = 200;
  bool hang_ = false;
  bool keep_alive_ = true;
  int accepted_ = 0;
  bool stopping_ = false;
  int listener_ = -1;
  std::thread acceptor_;
  std::vector<std::thread> connections_;
  std::vector<int> open_fds_;
};

}  // namespace tally::testing
