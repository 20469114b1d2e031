#include "ledger/journal.h"

#include <gtest/gtest.h>

#include "ledger/test_support.h"

namespace tally::testing {
namespace {

TEST(Journal, BalanceAsOfFoldsEntriesUpToThatTime) {
  Harness h;
  h.open("u");
  h.open("other");
  h.grant("other", Source::purchase, "99");
  h.grant("u", Source::promo, "5", expires_at("2026-01-05T06:00:00Z"));
  h.advance_to(at("2026-01-05T01:00:00Z"));
  h.grant("u", Source::purchase, "20");
  h.hold("u", "8");  // 5 promo + 3 purchase, then it times out at 01:15
  h.advance_to(at("2026-01-06T00:00:00Z"));
  Grant later{.account = "u",
              .source = Source::promo,
              .amount = cr("4"),
              .effective_at = at("2026-01-08T00:00:00Z")};
  ASSERT_TRUE(h.run(later).has_value());

  auto b = [&](const char* t) { return balance_as_of(h.journal(), "u", at(t)); };
  EXPECT_EQ(b("2026-01-05T00:00:00Z").available, cr("5"));
  EXPECT_EQ(b("2026-01-05T01:00:00Z").available, cr("17"));
  EXPECT_EQ(b("2026-01-05T01:00:00Z").held, cr("8"));
  EXPECT_EQ(b("2026-01-05T01:00:00Z").total, cr("25"));
  EXPECT_EQ(b("2026-01-05T02:00:00Z").available, cr("25"));
  EXPECT_EQ(b("2026-01-05T07:00:00Z").available, cr("20"));  // the promo expired at 06:00
  EXPECT_EQ(b("2026-01-06T00:00:00Z").pending, cr("4"));
  EXPECT_EQ(b("2026-01-08T00:00:00Z").available, cr("24"));
  EXPECT_EQ(b("2026-01-08T00:00:00Z").pending, cr("0"));
}

TEST(Journal, PagesAnAccountsEntriesOldestFirst) {
  Harness h;
  h.open("u");
  h.open("v");
  for (int i = 0; i < 5; ++i) {
    h.grant("u", Source::admin, "1");
    h.grant("v", Source::admin, "1");
  }
  auto first = page_entries(h.journal(), "u", 0, 2);
  ASSERT_EQ(first.entries.size(), 2u);
  EXPECT_EQ(first.entries[1]->balance_after, cr("2"));
  auto second = page_entries(h.journal(), "u", first.next_after, 2);
  EXPECT_EQ(second.entries[0]->balance_after, cr("3"));
  auto last = page_entries(h.journal(), "u", second.next_after, 2);
  EXPECT_EQ(last.entries.size(), 1u);
  EXPECT_EQ(last.next_after, 0u);
}

TEST(Journal, EntryTextIsCanonical) {
  Harness h;
  h.open("u");
  h.grant("u", Source::admin, "1.5");
  EXPECT_EQ(format_entry(h.journal()[0]),
            "1 2026-01-05T00:00:00Z grant account=u lot=1 source=admin amount=1.5 held=0 "
            "counter=issuance balance_after=1.5 hold=- spend=- tool= "
            "effective_at=2026-01-05T00:00:00Z expires_at=2026-02-05T00:00:00Z reason=");
}

}  // namespace
}  // namespace tally::testing
