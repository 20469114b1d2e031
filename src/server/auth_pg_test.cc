// Keys on PostgreSQL (auth_db.h, auth_pg.cc) against the test server: two nodes' Auth on one
// database. A node that lost its leases changes nothing (every write is fenced), and each
// node's configured admin key joins the one admin key instead of ending the others'.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "ledger/text.h"
#include "server/auth.h"
#include "store/pg_lease.h"
#include "store/pg_store.h"
#include "store/pg_test_url.h"

namespace tally::server {
namespace {

using store::test_pg_url;

std::string migrated_schema() {
  static std::atomic<int> n{0};
  const std::string schema = cat("auth_", ::getpid(), "_", n++);
  auto m = store::PgStore::migrate(test_pg_url(), schema);
  EXPECT_TRUE(m.has_value()) << m.error().message;
  return schema;
}

std::unique_ptr<Auth> open_auth(const std::string& schema, const std::string& admin_key,
                                const std::string& node = "", int64_t epoch = 0) {
  auto a = Auth::open("", admin_key, nullptr, TimeUs{1'000'000},
                      AuthStorage{test_pg_url(), schema, node, epoch});
  EXPECT_TRUE(a.has_value()) << a.error();
  return a ? std::move(*a) : nullptr;
}

Principal::Kind kind_of(const Auth& auth, const std::string& secret) {
  std::string why;
  return auth.authenticate("Bearer " + secret, TimeUs{2'000'000}, &why).kind;
}

TEST(AuthPg, ANodeThatLostItsLeasesCannotChangeKeys) {
  const std::string schema = migrated_schema();
  auto leases_a = store::PgLeases::open(test_pg_url(), schema, 2);
  auto leases_b = store::PgLeases::open(test_pg_url(), schema, 2);
  ASSERT_TRUE(leases_a && leases_b);
  auto held_a = (*leases_a)->acquire_all("node-a", 300);
  ASSERT_TRUE(held_a && held_a->epoch) << (held_a ? "held by another" : held_a.error().message);
  auto a = open_auth(schema, "tk_admin_a", "node-a", *held_a->epoch);
  ASSERT_TRUE(a);
  auto before = a->create_key("before", Scope::read, std::nullopt, TimeUs{1'000'000});
  ASSERT_TRUE(before.has_value()) << before.error().detail;

  std::this_thread::sleep_for(std::chrono::milliseconds(400));  // A's leases expire
  auto held_b = (*leases_b)->acquire_all("node-b", 5'000);
  ASSERT_TRUE(held_b && held_b->epoch);
  auto b = open_auth(schema, "tk_admin_a", "node-b", *held_b->epoch);
  ASSERT_TRUE(b);
  EXPECT_EQ(kind_of(*b, before->secret), Principal::Kind::read) << "made under A's lease";

  auto after = a->create_key("after", Scope::read, std::nullopt, TimeUs{1'000'000});
  ASSERT_FALSE(after.has_value());
  EXPECT_NE(after.error().detail.find("fenced"), std::string::npos) << after.error().detail;
  auto revoked = a->revoke_key(before->info.id, TimeUs{1'000'000});
  ASSERT_FALSE(revoked.has_value());
  EXPECT_NE(revoked.error().detail.find("fenced"), std::string::npos) << revoked.error().detail;
  EXPECT_FALSE(a->revoke_tokens("acct", TimeUs{1'000'000}).has_value());
  // Nothing of A's after the takeover: B, and a node opened later, see the key still valid.
  auto later = open_auth(schema, "tk_admin_a");
  ASSERT_TRUE(later);
  EXPECT_EQ(kind_of(*later, before->secret), Principal::Kind::read);
  EXPECT_EQ(later->list_keys(TimeUs{1'000'000}).size(), 2u);  // admin and "before"
  EXPECT_EQ(later->revocations(), 0u);
}

TEST(AuthPg, EachNodesConfiguredAdminKeyJoinsTheSharedAdminKey) {
  const std::string schema = migrated_schema();
  ASSERT_TRUE(open_auth(schema, "tk_admin_a"));
  auto b = open_auth(schema, "tk_admin_b");
  ASSERT_TRUE(b);
  EXPECT_EQ(kind_of(*b, "tk_admin_a"), Principal::Kind::admin);
  EXPECT_EQ(kind_of(*b, "tk_admin_b"), Principal::Kind::admin);
  // A rotation ends them all (without overlap, at once); neither comes back at the next start.
  auto rotated = b->rotate_key(std::string(k_admin_key_id), 0, TimeUs{1'000'000});
  ASSERT_TRUE(rotated.has_value()) << rotated.error().detail;
  auto a = open_auth(schema, "tk_admin_a");
  ASSERT_TRUE(a);
  EXPECT_EQ(kind_of(*a, "tk_admin_a"), Principal::Kind::none);
  EXPECT_EQ(kind_of(*a, "tk_admin_b"), Principal::Kind::none);
  EXPECT_EQ(kind_of(*a, rotated->secret), Principal::Kind::admin);
  // One token secret for the deployment: a token issued by one node is read by another.
  const Token t = a->issue_token("acct-1", TimeUs{3'600'000'000}, TimeUs{1'000'000});
  std::string why;
  EXPECT_EQ(b->authenticate("Bearer " + t.token, TimeUs{2'000'000}, &why).account, "acct-1") << why;
}

}  // namespace
}  // namespace tally::server
