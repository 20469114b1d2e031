#include "tests/server/load_clients.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <mutex>
#include <thread>

namespace tally::testing {

void open_load_accounts(ServerProcess& server) {
  HttpClient c(server.port());
  for (int i = 0; i < k_load_clients; ++i) {
    const std::string id = "acct-" + std::to_string(i);
    auto r = c.send("POST", "/v1/accounts", R"({"id":")" + id + R"(","plan":null})",
                    {bearer(server.admin_key()), {"Idempotency-Key", "open-" + id}});
    ASSERT_EQ(r.status, 201) << r.body;
    r = c.send("POST", "/v1/accounts/" + id + "/grants",
               R"({"amount":")" + std::to_string(k_load_grant) +
                   R"(","reason":"float","never_expires":true})",
               {bearer(server.admin_key()), {"Idempotency-Key", "float-" + id}});
    ASSERT_EQ(r.status, 201) << r.body;
  }
}

std::vector<Sent> load(int port, const std::string& admin_key, std::atomic<bool>& stop, int round,
                       const std::atomic<bool>* mark) {
  std::vector<Sent> all;
  std::mutex mu;
  std::vector<std::thread> threads;
  for (int c = 0; c < k_load_clients; ++c) {
    threads.emplace_back([&, c] {
      HttpClient client(port);
      const std::string account = "acct-" + std::to_string(c);
      for (int i = 0; !stop; ++i) {
        Sent s;
        s.account = account;
        s.key = "r" + std::to_string(round) + "-c" + std::to_string(c) + "-" + std::to_string(i);
        const bool grant = i % 10 == 9;
        const std::string path = grant ? "/v1/accounts/" + account + "/grants" : "/v1/spends";
        s.body = grant ? R"({"amount":"2","reason":"top-up"})"
                       : R"({"account":")" + account + R"(","amount":"1","tool":"chat"})";
        s.body = path + "\n" + s.body;
        auto r = client.send("POST", path, s.body.substr(s.body.find('\n') + 1),
                             {bearer(admin_key), {"Idempotency-Key", s.key}});
        s.acked = r.status == 201;
        s.acked_before_mark = s.acked && mark && !*mark;
        if (s.acked) s.id = r.json()["id"].GetString();
        if (r.status != 0 && r.status != 201 && r.status != 503) {
          ADD_FAILURE() << "unexpected " << r.status << " " << r.body;
        }
        {
          std::lock_guard lock(mu);
          all.push_back(s);
        }
        if (r.status == 0) break;  // the server went away
      }
    });
  }
  for (auto& t : threads) t.join();
  return all;
}

HttpReply resend(HttpClient& c, const std::string& admin_key, const Sent& s) {
  const std::string path = s.body.substr(0, s.body.find('\n'));
  return c.send("POST", path, s.body.substr(s.body.find('\n') + 1),
                {bearer(admin_key), {"Idempotency-Key", s.key}});
}

int64_t effect(const Sent& s) {
  return s.body.starts_with("/v1/spends") ? -1 : 2;
}

int64_t available(HttpClient& c, const std::string& key, const std::string& account) {
  auto r = c.send("GET", "/v1/accounts/" + account, "", {bearer(key)});
  EXPECT_EQ(r.status, 200) << r.body;
  return r.json()["balance"]["available_micro"].GetInt64() / 1'000'000;
}

int verify(const std::string& data_dir, const std::string& store_url) {
  const std::string cmd = tally_binary() + " verify " +
                          (store_url.empty() ? "--data " + data_dir : "--store " + store_url) +
                          " > /dev/null";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace tally::testing
