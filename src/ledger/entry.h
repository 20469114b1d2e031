// Entries: the immutable lines of the journal (DESIGN rule 9).
//
// Each entry moves credits on exactly one lot of one account, and balances itself against
// one system book: the lot's available remaining changes by `amount`, its held portion by
// `held`, and the system book named by `counter` by -(amount + held). So every entry, and
// every command's set of entries, sums to zero across account lots and system books, and the
// journal alone recomputes every balance (journal.h).
//
//   kind     amount  held  counter               meaning
//   grant    +a      0     issuance[source]      a new lot (a refund lot's counter is the
//                          (or consumption/      book its credits come back from)
//                          expired for refund
//                          lots)
//   hold     -a      +a    none                  reserve for a job
//   release  +a      -a    none                  job failed or cancelled, or TTL passed
//   capture  0       -a    consumption[tool]     job succeeded
//   spend    -a      0     consumption[tool]     one-shot spend
//   refund   +a      0     consumption[tool]     credits of a spend returned to their lot
//   expire   -a|0    0|-a  expired               remainder written off at expiry; or a held
//                                                portion of an expired lot when released
//   void     -a|0    0|-a  voided                remainder of a lot removed (charge-back)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/credits.h"
#include "ledger/time.h"
#include "ledger/types.h"

namespace tally {

enum class EntryKind : uint8_t {
  grant = 0,
  hold = 1,
  release = 2,
  capture = 3,
  spend = 4,
  refund = 5,
  expire = 6,
  void_lot = 7,  // named "void" everywhere outside C++
};
std::string_view entry_kind_name(EntryKind k);
std::optional<EntryKind> parse_entry_kind(std::string_view name);

// The system books. `issuance` is keyed by source, `consumption` by tool.
enum class Book : uint8_t { none = 0, issuance = 1, consumption = 2, expired = 3, voided = 4 };
std::string_view book_name(Book b);
std::optional<Book> parse_book(std::string_view name);

struct Entry {
  uint64_t seq = 0;  // per shard, from 1, no gaps
  TimeUs at;
  EntryKind kind = EntryKind::grant;
  Book counter = Book::none;
  Source source = Source::admin;  // the lot's source
  std::string account;
  LotId lot;
  Credits amount;         // change of the lot's available remaining
  Credits held;           // change of the lot's held portion
  Credits balance_after;  // the account's balance (sum of lot remaining) after this entry
  HoldId hold;
  SpendId spend;
  std::string tool;  // consumption key; the tool a hold or spend paid for
  std::string reason;
  // Grant entries only: the lot's validity, so history and balance-as-of need no lot table.
  TimeUs effective_at;
  TimeUs expires_at;
  // Team accounts only (team.h): the member and project of the hold or spend this entry moves
  // credits for (hold, capture, release, spend, refund, and the expire and grant of a refund
  // lot they cause). Empty on every other entry and on every entry of a personal account.
  std::string member;
  std::string project;

  // The change of the counter system book: -(amount + held).
  Credits counter_amount() const { return -(amount + held); }
  friend bool operator==(const Entry&, const Entry&) = default;
};

// One line of canonical text: every field, in a fixed order, with exact amounts. Two entries
// are equal exactly when their lines are; determinism tests compare these bytes.
std::string format_entry(const Entry& e);

}  // namespace tally
