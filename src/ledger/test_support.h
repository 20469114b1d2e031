// Test harness for the ledger: applies commands at a hand-driven time, keeps the whole
// journal, and checks every invariant and `verify` after every command (docs/design.md §8).
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ledger/command.h"
#include "ledger/journal.h"
#include "ledger/ledger.h"

namespace tally {
// Readable values in test failures.
inline void PrintTo(const Credits& c, std::ostream* os) {
  *os << format_credits(c);
}
inline void PrintTo(const TimeUs& t, std::ostream* os) {
  *os << format_time(t);
}
}  // namespace tally

namespace tally::testing {

TimeUs at(const char* rfc3339);
Credits cr(const char* decimal);  // "12.5" -> 12.5 credits
Credits book(BookMicro b);        // a system book as Credits (asserts it fits)

class Harness {
 public:
  explicit Harness(LedgerConfig config = {}, const char* start = "2026-01-05T00:00:00Z",
                   std::shared_ptr<const Catalog> catalog = nullptr);

  // Applies `c` at now() under `key` (a fresh key if empty), then checks invariants and verify;
  // a violation fails the current test.
  Result run(const Command& c, std::string key = "");
  void advance_us(int64_t us);
  void advance_to(TimeUs t);
  TimeUs now() const { return now_; }

  // Shorthands that expect success.
  void open(const std::string& account);
  LotId grant(const std::string& account, Source source, const char* amount, Expiry expiry = {},
              std::vector<std::string> scope = {});
  HoldReply hold(const std::string& account, const char* amount, const std::string& tool = "image");
  CaptureReply capture(HoldId h, std::optional<Credits> amount = std::nullopt);
  ReleaseReply release(HoldId h);
  SpendReply spend(const std::string& account, const char* amount,
                   const std::string& tool = "image");
  RefundReply refund(SpendId s, std::optional<Credits> amount = std::nullopt);

  Credits available(const std::string& account) const;
  const Lot& lot(LotId id) const;
  // Entries appended since `from` (an index into journal()).
  std::vector<Entry> since(size_t from) const;

  Ledger& ledger() { return ledger_; }
  const std::vector<Entry>& journal() const { return journal_; }
  void check() const;

 private:
  Ledger ledger_;
  std::vector<Entry> journal_;
  TimeUs now_;
  uint64_t key_counter_ = 0;
};

// Plans and packs of the seeds, written out in C++ (the TOML examples load the same values).
// MiocAI: weekly free 5 / premium 40 / elite 100 (cycle resets), daily reward 1 (premium and
// elite are members, boost x2), packs. Amisi: free (5 one-time), basic 20 / pro 50 /
// business 150 monthly with rollover caps 40 / 100 / 300, enterprise custom; packs p20..p200.
std::shared_ptr<const Catalog> test_catalog();
// The default configuration with change tracking on, as under a store (events need it).
LedgerConfig tracked_config();
// A hold (tool "video") and a spend (tool "image") of `amount` on the team account `account`,
// by `member`, for `project` ("" for none).
PlaceHold team_hold(const char* account, const char* member, const char* amount,
                    const char* project = "");
SpendNow team_spend(const char* account, const char* member, const char* amount,
                    const char* project = "");

// A fresh, empty directory for a test's files, removed when the test program ends.
std::string scratch_dir(std::string_view name);

Expiry expires_at(const char* rfc3339);
Expiry never_expires();

}  // namespace tally::testing
