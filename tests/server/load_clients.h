// Test support: clients that load a `tally serve` with spends and grants on their own accounts,
// each request with its own idempotency key, remembering what was sent and acknowledged, so a
// test can crash, stop, back up or restore the server and then check that every acknowledged
// request is there exactly once (durability_test.cc, backup_test.cc).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/server/server_process.h"

namespace tally::testing {

inline constexpr int k_load_clients = 4;
inline constexpr int k_load_grant = 1'000'000;  // credits each account starts with

struct Sent {
  std::string account, key, body;  // body: the path, a newline, the JSON
  bool acked = false;
  // Acknowledged while `load`'s `mark` was still false (the reply had arrived before it was set).
  bool acked_before_mark = false;
  std::string id;  // of the spend or lot, when acknowledged
};

// Opens acct-0 … acct-3 with k_load_grant credits each that never expire.
void open_load_accounts(ServerProcess& server);

// Clients spend 1 credit per request on their own account with unique keys (tagged `round`)
// until `stop`; every 10th request is a grant of 2 (admin). A client stops when the server goes
// away. Returns every request sent. `mark` (optional) sets Sent::acked_before_mark.
std::vector<Sent> load(int port, const std::string& admin_key, std::atomic<bool>& stop, int round,
                       const std::atomic<bool>* mark = nullptr);

// Sends `s` again with its key.
HttpReply resend(HttpClient& c, const std::string& admin_key, const Sent& s);

// The change a request makes to its account's available balance, in credits.
int64_t effect(const Sent& s);

// An account's available balance, in whole credits.
int64_t available(HttpClient& c, const std::string& key, const std::string& account);

// `tally verify --data DIR`, or `--store URL` for a store given by URL: its exit status.
int verify(const std::string& data_dir, const std::string& store_url = "");

}  // namespace tally::testing
