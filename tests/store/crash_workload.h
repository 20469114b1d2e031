// The crash test's workload, shared by the driver that is killed and the test that replays it.
#pragma once

#include <functional>
#include <string>

#include "ledger/text.h"
#include "service/service.h"

namespace tally::crash {

inline TimeUs clock() {
  return TimeUs{1'790'000'000'000'000};
}  // fixed: no expiry interferes

// Sends an account's sequence; calls `acknowledged(key)` for each reply received. The same
// keys on a second run retry the first (rule 8): an account ends at 85 credits exactly once.
inline void run_account(service::Service& s, const std::string& a,
                        const std::function<void(const std::string&)>& acknowledged) {
  auto send = [&](const std::string& step, Command c) {
    Result r = s.submit({cat(a, ":", step), std::move(c)}).get();
    acknowledged(cat(a, ":", step));
    return r;
  };
  const Credits one = Credits::from_credits(1);
  send("open", OpenAccount{a, "", true});
  send("grant",
       Grant{.account = a, .source = Source::purchase, .amount = Credits::from_credits(100)});
  Result hold = send("hold", PlaceHold{a, Credits::from_credits(30), "video", std::nullopt, "v1"});
  if (hold) send("capture", Capture{std::get<HoldReply>(*hold).hold, Credits::from_credits(12)});
  Result spend = send("spend", SpendNow{a, Credits::from_credits(5), "image", "v1"});
  if (spend) send("refund", Refund{std::get<SpendReply>(*spend).spend, one + one, "job failed"});
}

}  // namespace tally::crash
