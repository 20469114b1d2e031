// Test support: one `tally serve` (manual clock, set to 2027-01-04T10:00:00Z, a fixed future
// time so every run sees the same calendar) shared by a suite's tests, each using its own
// accounts, with helpers to call it as the admin. A test binary includes this once and names
// its suites after `Api` (`using MySuite = Api;`).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/server/server_process.h"

namespace tally::testing {

class Api : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess();
    HttpClient c(server_->port());
    auto r = c.send("POST", "/v1/admin/clock", R"({"now":"2027-01-04T10:00:00Z"})",
                    {bearer(server_->admin_key())});
    ASSERT_EQ(r.status, 200) << r.body;
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(server_->stop(), 0);  // graceful: exit 0
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override { client_ = std::make_unique<HttpClient>(server_->port()); }

  HttpReply admin(const std::string& method, const std::string& path, const std::string& body = "",
                  const std::string& key = "") {
    return as(server_->admin_key(), method, path, body, key);
  }
  HttpReply as(const std::string& secret, const std::string& method, const std::string& path,
               const std::string& body = "", const std::string& key = "") {
    return send_as(*client_, secret, method, path, body, key);
  }
  // Opens an account with the default plan (free: 25 signup + 10 weekly) and grants `extra`;
  // returns the opening's reply.
  HttpReply open(const std::string& id, const std::string& extra = "") {
    auto r = admin("POST", "/v1/accounts", R"({"id":")" + id + "\"}", "open-" + id);
    EXPECT_EQ(r.status, 201) << r.body;
    if (!extra.empty()) {
      auto g = admin("POST", "/v1/accounts/" + id + "/grants",
                     R"({"amount":")" + extra + R"(","reason":"test credit"})", "grant-" + id);
      EXPECT_EQ(g.status, 201) << g.body;
    }
    return r;
  }
  std::string available(const std::string& id) {
    auto r = admin("GET", "/v1/accounts/" + id);
    return r.json()["balance"]["available"].GetString();
  }
  void set_clock(const std::string& t) {
    ASSERT_EQ(admin("POST", "/v1/admin/clock", R"({"now":")" + t + "\"}").status, 200);
  }
  static std::string type(const HttpReply& r) {
    auto j = r.json();
    if (!j.IsObject() || !j.HasMember("type")) return "(no type in " + r.body + ")";
    return j["type"].GetString();
  }

  static inline ServerProcess* server_ = nullptr;
  std::unique_ptr<HttpClient> client_;
};

}  // namespace tally::testing
