// The client commands without a server: arguments -> method, path and body; response bodies
// -> tables; problems -> one line. End-to-end runs against `tally serve` live in tests/.
#include "cli/client_commands.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "cli/http_client.h"

namespace tally::cli {
namespace {

ApiCall ok(const Built& b) {
  EXPECT_TRUE(b.has_value()) << b.error();
  return b.value_or(ApiCall{});
}

std::string usage(const Built& b) {
  EXPECT_FALSE(b.has_value()) << b->path;
  return b ? "" : b.error();
}

TEST(ClientCalls, AccountOpenWithDefaultPlanNamedPlanOrNone) {
  EXPECT_EQ(ok(build_account_open("u1", std::nullopt, false)),
            (ApiCall{"POST", "/v1/accounts", R"({"id":"u1"})", KeyUse::always, View::account}));
  EXPECT_EQ(ok(build_account_open("u1", "pro", false)).body, R"({"id":"u1","plan":"pro"})");
  EXPECT_EQ(ok(build_account_open("u1", std::nullopt, true)).body, R"({"id":"u1","plan":null})");
  EXPECT_NE(usage(build_account_open("u1", "pro", true)).find("not both"), std::string::npos);
  EXPECT_NE(usage(build_account_open("bad id", std::nullopt, false)).find("may hold only"),
            std::string::npos);
  EXPECT_FALSE(build_account_open(std::string(129, 'a'), std::nullopt, false));
  EXPECT_TRUE(build_account_open(std::string(128, 'a'), std::nullopt, false));  // the API's bound
  EXPECT_TRUE(build_account_open("team.a_b-c:d@e+f~1", std::nullopt, false));
}

TEST(ClientCalls, BalanceAndHistoryAreReads) {
  EXPECT_EQ(ok(build_balance("u1")),
            (ApiCall{"GET", "/v1/accounts/u1", "", KeyUse::none, View::account}));
  EXPECT_EQ(ok(build_history("u1", std::nullopt, std::nullopt)).path, "/v1/accounts/u1/entries");
  EXPECT_EQ(ok(build_history("u1", 10, std::nullopt)).path, "/v1/accounts/u1/entries?limit=10");
  EXPECT_EQ(ok(build_history("u1", 10, 42)).path, "/v1/accounts/u1/entries?limit=10&after=42");
  EXPECT_EQ(ok(build_history("u1", std::nullopt, 7)).path, "/v1/accounts/u1/entries?after=7");
  EXPECT_EQ(ok(build_history("u1", 1, 0)).view, View::history);
  EXPECT_EQ(ok(build_history("u1", 10, 42, true)).path,
            "/v1/accounts/u1/entries?limit=10&after=42&group=operation");
  EXPECT_EQ(ok(build_history("u1", std::nullopt, std::nullopt, true)).path,
            "/v1/accounts/u1/entries?group=operation");
  EXPECT_EQ(ok(build_history("u1", 1, 0, true)).view, View::operations);
  EXPECT_FALSE(build_history("u1", 0, std::nullopt));
  EXPECT_FALSE(build_history("u1", 1001, std::nullopt));
  EXPECT_FALSE(build_history("u1", std::nullopt, -1));
}

TEST(ClientCalls, GrantBody) {
  GrantArgs g{.account = "u1", .amount = "12.5", .reason = "goodwill"};
  EXPECT_EQ(ok(build_grant(g)),
            (ApiCall{"POST", "/v1/accounts/u1/grants", R"({"amount":"12.5","reason":"goodwill"})",
                     KeyUse::always, View::lot}));
  g.source = "promo";
  g.valid_for = "P30D";
  g.scope = {"image", "video"};
  EXPECT_EQ(ok(build_grant(g)).body,
            R"({"amount":"12.5","source":"promo","valid_for":"P30D","scope":["image","video"],)"
            R"("reason":"goodwill"})");
  g.valid_for.clear();
  g.never_expires = true;
  EXPECT_NE(ok(build_grant(g)).body.find(R"("never_expires":true)"), std::string::npos);
  g.expires_at = "2027-01-01T00:00:00Z";
  EXPECT_NE(usage(build_grant(g)).find("at most one"), std::string::npos);
}

TEST(ClientCalls, AmountsAreExactDecimalCredits) {
  for (const char* good : {"0", "12", "12.5", "0.000001", "1000000"}) {
    EXPECT_TRUE(build_grant({.account = "u1", .amount = good, .reason = "r"})) << good;
  }
  for (const char* bad : {"", "-1", "1.", ".5", "1.0000001", "1e3", "12,5", "abc", "1 "}) {
    EXPECT_FALSE(build_grant({.account = "u1", .amount = bad, .reason = "r"})) << bad;
  }
  EXPECT_FALSE(build_grant({.account = "u1", .amount = "1", .reason = ""}));
}

TEST(ClientCalls, HoldPricedOrByAmount) {
  HoldArgs priced{.account = "u1",
                  .tool = "video",
                  .params = {"resolution=1080p", "seconds=5", "hd=true", "ratio=16:9"}};
  EXPECT_EQ(ok(build_hold(priced)),
            (ApiCall{"POST", "/v1/holds",
                     R"({"account":"u1","tool":"video","params":{"resolution":"1080p",)"
                     R"("seconds":5,"hd":true,"ratio":"16:9"}})",
                     KeyUse::always, View::hold}));
  priced.ttl_s = 60;
  EXPECT_NE(ok(build_hold(priced)).body.find(R"(,"ttl_s":60})"), std::string::npos);

  EXPECT_EQ(ok(build_hold({.account = "u1", .amount = "5"})).body,
            R"({"account":"u1","amount":"5"})");
  EXPECT_EQ(ok(build_hold({.account = "u1", .amount = "5", .tool = "image"})).body,
            R"({"account":"u1","amount":"5","tool":"image"})");

  EXPECT_FALSE(build_hold({.account = "u1"}));
  EXPECT_FALSE(build_hold({.account = "u1", .amount = "5", .params = {"a=1"}}));
  EXPECT_NE(usage(build_hold({.account = "u1", .tool = "video", .params = {"seconds"}}))
                .find("key=value"),
            std::string::npos);
  EXPECT_NE(
      usage(build_hold({.account = "u1", .tool = "t", .params = {"a=1", "a=2"}})).find("twice"),
      std::string::npos);
}

TEST(ClientCalls, ParamValuesKeepTheirJsonType) {
  // Integers and booleans as JSON; anything else (leading zeros, too long, mixed) as text.
  auto body =
      ok(build_quote("t",
                     {"a=0", "b=-3", "c=007", "d=12345678901234567890", "e=True", "f=", "g=x=y"},
                     "", ""))
          .body;
  EXPECT_EQ(body, R"({"tool":"t","params":{"a":0,"b":-3,"c":"007","d":"12345678901234567890",)"
                  R"("e":"True","f":"","g":"x=y"}})");
}

TEST(ClientCalls, CaptureAndRelease) {
  EXPECT_EQ(
      ok(build_capture("281474976710657", "", {})),
      (ApiCall{"POST", "/v1/holds/281474976710657/capture", "{}", KeyUse::always, View::capture}));
  EXPECT_EQ(ok(build_capture("7", "2.5", {})).body, R"({"amount":"2.5"})");
  EXPECT_EQ(ok(build_capture("7", "", {"seconds=4"})).body, R"({"usage":{"seconds":4}})");
  EXPECT_FALSE(build_capture("7", "1", {"seconds=4"}));
  EXPECT_FALSE(build_capture("h7", "", {}));
  EXPECT_FALSE(build_capture("", "", {}));

  EXPECT_EQ(ok(build_release("7", "")),
            (ApiCall{"POST", "/v1/holds/7/release", "{}", KeyUse::always, View::release}));
  EXPECT_EQ(ok(build_release("7", "job failed")).body, R"({"reason":"job failed"})");
  EXPECT_FALSE(build_release("../x", ""));
}

TEST(ClientCalls, BuyIsKeyedByItsPaymentRef) {
  BuyArgs b{.account = "u1", .pack = "p100", .currency = "USD", .payment_ref = "pi_123"};
  EXPECT_EQ(ok(build_buy(b)),
            (ApiCall{"POST", "/v1/purchases",
                     R"({"account":"u1","pack":"p100","currency":"USD","payment_ref":"pi_123"})",
                     KeyUse::only_if_given, View::purchase}));
  b.region = "IN";
  EXPECT_EQ(
      ok(build_buy(b)).body,
      R"({"account":"u1","pack":"p100","currency":"USD","region":"IN","payment_ref":"pi_123"})");
  b.currency = "DOLLAR";
  EXPECT_FALSE(build_buy(b));
}

TEST(ClientCalls, SubscribeKeysTokenQuote) {
  EXPECT_EQ(ok(build_subscribe("u1", "pro")),
            (ApiCall{"PUT", "/v1/accounts/u1/subscription", R"({"plan":"pro"})", KeyUse::always,
                     View::subscription}));
  EXPECT_EQ(ok(build_key_create("pipeline")),
            (ApiCall{"POST", "/v1/keys", R"({"name":"pipeline","scope":"service"})", KeyUse::none,
                     View::key}));
  EXPECT_FALSE(build_key_create(""));
  EXPECT_EQ(ok(build_token("u1", std::nullopt)),
            (ApiCall{"POST", "/v1/accounts/u1/tokens", "{}", KeyUse::none, View::token}));
  EXPECT_EQ(ok(build_token("u1", 60)).body, R"({"ttl_s":60})");
  EXPECT_EQ(ok(build_token("team-1", std::nullopt, "ana")).body, R"({"member":"ana"})");
  EXPECT_FALSE(build_token("team-1", std::nullopt, "a b"));
  EXPECT_EQ(
      ok(build_team_usage("team-1", "2027-01-01T00:00:00Z", "2027-02-01T00:00:00+01:00")),
      (ApiCall{"GET",
               "/v1/accounts/team-1/usage?from=2027-01-01T00:00:00Z&to=2027-02-01T00:00:00%2B01:00",
               "", KeyUse::none, View::fields}));
  EXPECT_FALSE(build_team_usage("team-1", "yesterday", "2027-02-01T00:00:00Z"));
  EXPECT_FALSE(build_team_usage("team-1", "2027-01-01T00:00:00Z", ""));
  EXPECT_EQ(ok(build_finance("2027-01-01T00:00:00Z", "2027-02-01T00:00:00+01:00", "USD", false)),
            (ApiCall{"GET",
                     "/v1/reports/finance?from=2027-01-01T00:00:00Z&to=2027-02-01T00:00:00%2B01:00"
                     "&currency=USD",
                     "", KeyUse::none, View::fields}));
  EXPECT_EQ(ok(build_finance("2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z", "EUR", true)).view,
            View::text);
  EXPECT_FALSE(build_finance("2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z", "usd", false));
  EXPECT_FALSE(build_finance("today", "2027-02-01T00:00:00Z", "USD", false));
  EXPECT_EQ(ok(build_top_accounts("2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z", 5)).path,
            "/v1/reports/top-accounts?from=2027-01-01T00:00:00Z&to=2027-02-01T00:00:00Z&limit=5");
  EXPECT_EQ(ok(build_top_accounts("2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z", {})).path,
            "/v1/reports/top-accounts?from=2027-01-01T00:00:00Z&to=2027-02-01T00:00:00Z");
  EXPECT_FALSE(build_top_accounts("2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z", 0));
  EXPECT_FALSE(build_top_accounts("2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z", 101));
  EXPECT_FALSE(build_top_accounts("today", "2027-02-01T00:00:00Z", {}));
  EXPECT_EQ(ok(build_forecast("u1", "")),
            (ApiCall{"GET", "/v1/accounts/u1/forecast", "", KeyUse::none, View::fields}));
  EXPECT_EQ(ok(build_forecast("u1", "EUR")).path, "/v1/accounts/u1/forecast?currency=EUR");
  EXPECT_FALSE(build_forecast("u1", "eur"));
  EXPECT_FALSE(build_forecast("a b", ""));
  EXPECT_EQ(ok(build_quote("image", {"model=flux"}, "pro", "u1")),
            (ApiCall{"POST", "/v1/quotes",
                     R"({"tool":"image","params":{"model":"flux"},"account":"u1","plan":"pro"})",
                     KeyUse::none, View::quote}));
}

TEST(ClientCalls, JsonStringsAreEscaped) {
  EXPECT_EQ(ok(build_release("7", "say \"no\"\n")).body, R"({"reason":"say \"no\"\n"})");
}

constexpr const char* k_account = R"({
  "id": "u1", "plan": "pro",
  "balance": {"available": "120.5", "available_micro": 120500000, "held": "5",
              "held_micro": 5000000, "pending": "0", "pending_micro": 0, "total": "125.5",
              "total_micro": 125500000},
  "by_source": {"purchase": {"amount": "100", "amount_micro": 100000000}},
  "next_expiry": {"at": "2026-12-01T00:00:00Z", "amount": "25.5", "amount_micro": 25500000},
  "lots": [
    {"id": "281474976710657", "account": "u1", "source": "subscription", "amount": "40",
     "remaining": "25.5", "held": "0", "expires_at": "2026-12-01T00:00:00Z", "scope": [],
     "voided": false},
    {"id": "281474976710658", "account": "u1", "source": "purchase", "amount": "100",
     "remaining": "95", "held": "5", "expires_at": null, "scope": ["image", "video"],
     "voided": false}
  ],
  "subscription": {"plan": "pro", "state": "active", "period_end": "2026-12-01T00:00:00Z"},
  "open_holds": 1
})";

TEST(ClientViews, AccountBalanceThenLots) {
  auto text = render_view(View::account, k_account);
  ASSERT_TRUE(text) << text.error();
  EXPECT_EQ(*text,
            "account u1  plan pro  active until 2026-12-01T00:00:00Z\n"
            "available  held  total\n"
            "    120.5     5  125.5\n"
            "next expiry: 25.5 on 2026-12-01T00:00:00Z\n"
            "\n"
            "lot              source        remaining  held  expires               scope\n"
            "281474976710657  subscription       25.5     0  2026-12-01T00:00:00Z\n"
            "281474976710658  purchase             95     5  never                 image,video\n");
}

TEST(ClientViews, AccountShowsPendingOnlyWhenThereIsSome) {
  auto text =
      render_view(View::account, R"({"id":"u2","plan":null,"balance":{"available":"0","held":"0",)"
                                 R"("pending":"10","total":"0"},"next_expiry":null,"lots":[],)"
                                 R"("subscription":null})");
  ASSERT_TRUE(text);
  EXPECT_EQ(*text,
            "account u2  (no plan)\n"
            "available  held  total  pending\n"
            "        0     0      0       10\n");
}

// A line per operation; the portions of an operation of several lots under it.
TEST(ClientViews, OperationsWithTheirPortions) {
  auto text = render_view(View::operations, R"json({"operations": [
    {"operation": "grant", "at": "2026-11-01T00:00:00Z", "first_seq": 1, "last_seq": 1,
     "summary": "Added 40 credits (signup)", "credits": "40", "amount": "40", "held": "0",
     "balance_after": "40", "portions": [{"seq": 1, "kind": "grant", "lot": "9",
     "amount": "40", "held": "0", "source": "signup"}]},
    {"operation": "hold", "at": "2026-11-01T00:01:00Z", "first_seq": 2, "last_seq": 3,
     "summary": "Held 12 credits for video", "credits": "12", "amount": "-12", "held": "12",
     "balance_after": "28", "portions": [
       {"seq": 2, "kind": "hold", "lot": "9", "amount": "-10", "held": "10", "source": "signup"},
       {"seq": 3, "kind": "hold", "lot": "10", "amount": "-2", "held": "2", "source": "promo"}]}],
    "next_after": 3})json");
  ASSERT_TRUE(text) << text.error();
  EXPECT_EQ(*text,
            "seq  time                  operation      amount  held  balance after  what\n"
            "  1  2026-11-01T00:00:00Z  grant             +40                   40  Added 40 "
            "credits (signup)\n"
            "2-3  2026-11-01T00:01:00Z  hold              -12   +12             28  Held 12 "
            "credits for video\n"
            "  2                          hold lot 9      -10   +10                 signup\n"
            "  3                          hold lot 10      -2    +2                 promo\n"
            "more: --after 3\n");
  EXPECT_EQ(*render_view(View::operations, R"({"operations": [], "next_after": null})"),
            "no entries\n");
}

TEST(ClientViews, HistoryColumnsAndNextPage) {
  auto text = render_view(View::history, R"({"entries": [
    {"seq": 1, "at": "2026-11-01T00:00:00Z", "kind": "grant", "amount": "40", "held": "0",
     "balance_after": "40", "lot": "9", "source": "signup", "tool": "", "hold": null,
     "spend": null, "reason": "welcome"},
    {"seq": 2, "at": "2026-11-01T00:01:00Z", "kind": "hold", "amount": "-5", "held": "5",
     "balance_after": "35", "lot": "9", "source": "signup", "tool": "video", "hold": "11",
     "spend": null, "reason": ""},
    {"seq": 13, "at": "2026-11-01T00:02:00Z", "kind": "capture", "amount": "0", "held": "-5",
     "balance_after": "35", "lot": "9", "source": "signup", "tool": "video", "hold": "11",
     "spend": "12", "reason": "¡ok!"}],
    "next_after": 13})");
  ASSERT_TRUE(text) << text.error();
  EXPECT_EQ(
      *text,
      "seq  time                  kind     amount  held  balance after  source/tool   reason\n"
      "  1  2026-11-01T00:00:00Z  grant       +40                   40  signup        welcome\n"
      "  2  2026-11-01T00:01:00Z  hold         -5    +5             35  signup/video\n"
      " 13  2026-11-01T00:02:00Z  capture            -5             35  signup/video  ¡ok!\n"
      "more: --after 13\n");
  auto last = render_view(View::history, R"({"entries": [], "next_after": null})");
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, "no entries\n");
}

TEST(ClientViews, LotHoldCaptureRelease) {
  auto lot = render_view(View::lot, R"({"id": "9", "account": "u1", "source": "admin",
    "amount": "50", "effective_at": "2026-11-21T00:00:00Z", "expires_at": null,
    "scope": ["image"], "reason": "goodwill", "reference": ""})");
  ASSERT_TRUE(lot);
  EXPECT_EQ(*lot,
            "lot 9 on u1: +50 admin credits\n"
            "effective  2026-11-21T00:00:00Z\n"
            "expires    never\n"
            "scope      image\n"
            "reason     goodwill\n");

  auto hold = render_view(View::hold, R"({"id": "11", "account": "u1", "amount": "5",
    "state": "active", "tool": "video", "expires_at": "2026-11-21T00:15:00Z",
    "price_book_version": "v2", "portions": [{"lot": "9", "amount": "3"},
    {"lot": "10", "amount": "2"}]})");
  ASSERT_TRUE(hold);
  EXPECT_EQ(*hold,
            "hold 11 active: 5 held on u1 for video\n"
            "expires     2026-11-21T00:15:00Z\n"
            "price book  v2\n"
            "lot  amount\n"
            "9         3\n"
            "10        2\n");

  auto cap = render_view(View::capture, R"({"hold": "11", "spend": "12", "captured": "4",
    "released": "1", "portions": [], "restored": {"to_lots": "0.5", "to_refund_lots": "0.5",
    "voided": "0", "refund_lots": ["13"]}})");
  ASSERT_TRUE(cap);
  EXPECT_EQ(*cap,
            "hold 11: captured 4 (spend 12), released 1\n"
            "restored 0.5 as refund lots 13 (their lots had expired)\n");

  auto rel = render_view(View::release, R"({"hold": "11", "state": "released", "released": "5",
    "restored": {"to_lots": "5", "to_refund_lots": "0", "voided": "0", "refund_lots": []}})");
  ASSERT_TRUE(rel);
  EXPECT_EQ(*rel, "hold 11: released, 5 back to its lots\n");
}

TEST(ClientViews, PurchaseSubscriptionKeyTokenQuote) {
  auto p = render_view(View::purchase, R"({"id": "20", "account": "u1", "pack": "p100",
    "price": {"amount": "9.99", "currency": "USD"}, "lot": "21", "credits": "100",
    "bonus_lot": null, "bonus": "0", "expires_at": "2027-11-21T00:00:00Z"})");
  ASSERT_TRUE(p);
  EXPECT_EQ(*p,
            "purchase 20: pack p100 for u1\n"
            "price    9.99 USD\n"
            "credits  +100 (lot 21)\n"
            "expires  2027-11-21T00:00:00Z\n");

  auto s = render_view(View::subscription, R"({"plan": "pro", "state": "cancelling",
    "period_start": "2026-11-01T00:00:00Z", "period_end": "2026-12-01T00:00:00Z",
    "allocation": "40", "pending_plan": null, "cancel_at_period_end": true})");
  ASSERT_TRUE(s);
  EXPECT_EQ(*s,
            "plan        pro\n"
            "state       cancelling\n"
            "period      2026-11-01T00:00:00Z to 2026-12-01T00:00:00Z\n"
            "allocation  40\n"
            "cancels     at period end\n");

  auto k = render_view(View::key, R"({"id": "k1", "name": "pipe", "scope": "service",
    "key": "tk_secret", "created_at": "2026-11-21T00:00:00Z"})");
  ASSERT_TRUE(k);
  EXPECT_NE(k->find("key      tk_secret\n"), std::string::npos) << *k;

  auto t = render_view(View::token, R"({"token": "tok", "account": "u1",
    "expires_at": "2026-11-21T01:00:00Z", "url": "http://h/#token=tok"})");
  ASSERT_TRUE(t);
  EXPECT_NE(t->find("dashboard  http://h/#token=tok\n"), std::string::npos) << *t;

  auto q = render_view(View::quote, R"({"tool": "video", "total": "12", "total_micro": 12000000,
    "price_book_version": "v2", "plan": null, "breakdown": [
      {"kind": "base", "param": null, "value": null, "amount": "10", "subtotal": "10"},
      {"kind": "multiply", "param": "resolution", "value": "1080p", "amount": "1.2",
       "subtotal": "12"}]})");
  ASSERT_TRUE(q);
  EXPECT_EQ(*q,
            "video: 12 credits  (price book v2)\n"
            "kind      item              amount  subtotal\n"
            "base                            10        10\n"
            "multiply  resolution 1080p    ×1.2        12\n");
  auto labelled = render_view(View::quote, R"({"tool": "image", "total": "2", "plan": "pro",
    "price_book_version": "v2", "breakdown": [{"kind": "base", "param": "model",
    "amount": "1", "label": "model Standard", "subtotal": "1"}]})");
  ASSERT_TRUE(labelled);
  EXPECT_EQ(*labelled,
            "image: 2 credits  (price book v2, plan pro)\n"
            "kind  item            amount  subtotal\n"
            "base  model Standard       1         1\n");
}

TEST(ClientViews, NotJsonIsAnError) {
  EXPECT_FALSE(render_view(View::account, "<html>"));
  EXPECT_FALSE(render_view(View::account, "[1]"));
  // Another shape (a proxy's JSON, a wrong route) is not shown as an empty table.
  EXPECT_EQ(render_view(View::hold, R"({"echo": "/v1/holds"})").error(),
            "the server's answer has no \"id\"");
  EXPECT_FALSE(render_view(View::history, R"({"id": "u1"})"));
}

TEST(ClientViews, ProblemLine) {
  EXPECT_EQ(format_problem(402, R"({"type": "insufficient_credits", "title": "t", "status": 402,
    "detail": "the job costs 5, u1 has 3", "shortfall": "2", "shortfall_micro": 2000000})"),
            "insufficient_credits: the job costs 5, u1 has 3 (shortfall 2)");
  EXPECT_EQ(format_problem(409, R"({"type": "hold_expired", "detail": "hold 7 expired"})"),
            "hold_expired: hold 7 expired");
  EXPECT_EQ(format_problem(502, "Bad Gateway\nmore"), "HTTP 502: Bad Gateway");
  EXPECT_EQ(format_problem(500, ""), "HTTP 500");
}

TEST(ClientOptionsTest, RandomKeysAreFreshAndInTheIdAlphabet) {
  const std::string a = random_idempotency_key(), b = random_idempotency_key();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(ClientCalls, SpendRefundVoidShow) {
  EXPECT_EQ(ok(build_spend({.account = "u1", .amount = "2"})),
            (ApiCall{"POST", "/v1/spends", R"({"account":"u1","amount":"2"})", KeyUse::always,
                     View::fields}));
  EXPECT_EQ(ok(build_spend({.account = "u1", .tool = "image", .params = {"n=2"}})).body,
            R"({"account":"u1","tool":"image","params":{"n":2}})");
  EXPECT_FALSE(build_spend({.account = "u1", .amount = "2", .ttl_s = 60}));
  EXPECT_FALSE(build_spend({.account = "u1"}));

  EXPECT_EQ(ok(build_refund("12", "", "duplicate job")),
            (ApiCall{"POST", "/v1/spends/12/refunds", R"({"reason":"duplicate job"})",
                     KeyUse::always, View::fields}));
  EXPECT_EQ(ok(build_refund("12", "1.5", "r")).body, R"({"amount":"1.5","reason":"r"})");
  EXPECT_FALSE(build_refund("12", "", ""));
  EXPECT_FALSE(build_refund("12", "x", "r"));
  EXPECT_FALSE(build_refund("s12", "", "r"));

  EXPECT_EQ(ok(build_outcome("12", "rejected")),
            (ApiCall{"POST", "/v1/spends/12/outcome", R"({"outcome":"rejected"})", KeyUse::always,
                     View::fields}));
  EXPECT_FALSE(build_outcome("12", "failed"));  // a failed job is a released hold
  EXPECT_FALSE(build_outcome("s12", "usable"));
  EXPECT_EQ(ok(build_spend({.account = "u1", .amount = "2", .outcome = "usable"})).body,
            R"({"account":"u1","amount":"2","outcome":"usable"})");
  EXPECT_FALSE(build_spend({.account = "u1", .amount = "2", .outcome = "good"}));
  EXPECT_FALSE(build_hold({.account = "u1", .amount = "2", .outcome = "usable"}));
  EXPECT_EQ(ok(build_capture("5", "1", {}, "rejected")).body,
            R"({"amount":"1","outcome":"rejected"})");

  EXPECT_EQ(
      ok(build_void("lot", "9", "fraud")),
      (ApiCall{"POST", "/v1/lots/9/void", R"({"reason":"fraud"})", KeyUse::always, View::fields}));
  EXPECT_EQ(ok(build_void("purchase", "20", "charge-back")).path, "/v1/purchases/20/void");
  EXPECT_FALSE(build_void("lot", "9", ""));
  EXPECT_FALSE(build_void("spend", "9", "r"));

  EXPECT_EQ(ok(build_show("hold", "11")),
            (ApiCall{"GET", "/v1/holds/11", "", KeyUse::none, View::hold}));
  EXPECT_EQ(ok(build_show("spend", "12")).path, "/v1/spends/12");
  EXPECT_FALSE(build_show("lot", "12"));
}

TEST(ClientCalls, AccountsBalanceAtSubscriptionReward) {
  EXPECT_EQ(ok(build_account_list({})),
            (ApiCall{"GET", "/v1/accounts", "", KeyUse::none, View::fields}));
  EXPECT_EQ(
      ok(build_account_list({.prefix = "team-", .plan = "pro", .cursor = "team-9", .limit = 10}))
          .path,
      "/v1/accounts?prefix=team-&plan=pro&cursor=team-9&limit=10");
  EXPECT_FALSE(build_account_list({.prefix = "a b"}));
  EXPECT_FALSE(build_account_list({.limit = 0}));
  EXPECT_EQ(ok(build_account_list({.kind = "team"})).path, "/v1/accounts?kind=team");
  EXPECT_FALSE(build_account_list({.kind = "group"}));

  EXPECT_EQ(ok(build_balance_at("u1", "2026-11-01T00:00:00+05:00")).path,
            "/v1/accounts/u1/balance?as_of=2026-11-01T00:00:00%2B05:00");
  EXPECT_FALSE(build_balance_at("u1", "yesterday"));

  EXPECT_EQ(ok(build_subscribe("u1", "ent", "5000")).body, R"({"plan":"ent","allocation":"5000"})");
  EXPECT_EQ(
      ok(build_subscription_change("u1", "cancel")),
      (ApiCall{"DELETE", "/v1/accounts/u1/subscription", "", KeyUse::always, View::subscription}));
  EXPECT_EQ(ok(build_subscription_change("u1", "past-due")).path,
            "/v1/accounts/u1/subscription/past_due");
  EXPECT_EQ(ok(build_subscription_change("u1", "resume")).body, "{}");
  EXPECT_FALSE(build_subscription_change("u1", "pause"));
  EXPECT_EQ(ok(build_reward("u1")),
            (ApiCall{"POST", "/v1/accounts/u1/rewards/daily", "{}", KeyUse::always, View::fields}));
}

TEST(ClientCalls, Webhooks) {
  EXPECT_EQ(
      ok(build_webhook_create("https://example.com/h", "balance.low,credits.expiring", "mail")),
      (ApiCall{
          "POST", "/v1/webhooks",
          R"({"url":"https://example.com/h","event_types":["balance.low","credits.expiring"],"description":"mail"})",
          KeyUse::none, View::fields}));
  EXPECT_EQ(ok(build_webhook_create("http://127.0.0.1/h", "", "")).body,
            R"({"url":"http://127.0.0.1/h"})");
  EXPECT_FALSE(build_webhook_create("", "", ""));
  EXPECT_FALSE(build_webhook_create("http://h", "balance.low,,x", ""));
  EXPECT_EQ(ok(build_webhook_list()).path, "/v1/webhooks");
  EXPECT_EQ(ok(build_webhook_action("show", "wh_1")),
            (ApiCall{"GET", "/v1/webhooks/wh_1", "", KeyUse::none, View::fields}));
  EXPECT_EQ(ok(build_webhook_action("delete", "wh_1")).method, "DELETE");
  EXPECT_EQ(ok(build_webhook_action("enable", "wh_1")).path, "/v1/webhooks/wh_1/enable");
  EXPECT_FALSE(build_webhook_action("show", "../x"));
  EXPECT_FALSE(build_webhook_action("pause", "wh_1"));
  EXPECT_EQ(ok(build_webhook_rotate("wh_1", 60)).body, R"({"overlap_s":60})");
  EXPECT_EQ(ok(build_webhook_rotate("wh_1", std::nullopt)).body, "{}");
  EXPECT_FALSE(build_webhook_rotate("wh_1", 2592001));
  EXPECT_EQ(ok(build_webhook_deliveries("wh_1", 5)).path, "/v1/webhooks/wh_1/deliveries?limit=5");
  EXPECT_FALSE(build_webhook_deliveries("wh_1", 0));
  EXPECT_EQ(ok(build_webhook_redeliver("wh_1", "281474976710657")).path,
            "/v1/webhooks/wh_1/deliveries/281474976710657/redeliver");
  EXPECT_FALSE(build_webhook_redeliver("wh_1", "abc"));
  EXPECT_EQ(ok(build_platform_events("", std::nullopt)).path, "/v1/platform/events");
  EXPECT_EQ(ok(build_platform_events("18446462598732840961", 5)).path,
            "/v1/platform/events?after=18446462598732840961&limit=5");
  EXPECT_FALSE(build_platform_events("x1", std::nullopt));
  EXPECT_FALSE(build_platform_events("", 0));
}

TEST(ClientCalls, AuditTakesItsFiltersAndChecksThem) {
  EXPECT_EQ(ok(build_audit({})).path, "/v1/audit");
  EXPECT_EQ(ok(build_audit({"key_1", "ana", "2026-12-01T00:00:00Z", "2026-12-02T00:00:00+01:00",
                            "3.0.1", 50}))
                .path,
            "/v1/audit?key=key_1&account=ana&from=2026-12-01T00:00:00Z&"
            "to=2026-12-02T00:00:00+01:00&cursor=3.0.1&limit=50");
  EXPECT_EQ(ok(build_audit({})).method, "GET");
  EXPECT_FALSE(build_audit({.key = "a b"}));
  EXPECT_FALSE(build_audit({.account = "a/b"}));
  EXPECT_FALSE(build_audit({.from = "yesterday"}));
  EXPECT_FALSE(build_audit({.to = "2026-12-01 00:00"}));
  EXPECT_FALSE(build_audit({.cursor = "x"}));
  EXPECT_FALSE(build_audit({.limit = 0}));
  EXPECT_FALSE(build_audit({.limit = 1001}));
}

TEST(ClientCalls, TeamAccountsAndMemberJobs) {
  EXPECT_EQ(
      ok(build_account_open("t1", std::nullopt, true, true, "alice")),
      (ApiCall{"POST", "/v1/accounts", R"({"id":"t1","plan":null,"kind":"team","owner":"alice"})",
               KeyUse::always, View::account}));
  EXPECT_EQ(ok(build_account_open("t1", "business", false, true, "a+b@x.io")).body,
            R"({"id":"t1","plan":"business","kind":"team","owner":"a+b@x.io"})");
  EXPECT_NE(usage(build_account_open("t1", std::nullopt, false, true, "")).find("--owner"),
            std::string::npos);
  EXPECT_NE(usage(build_account_open("t1", std::nullopt, false, false, "alice")).find("--team"),
            std::string::npos);
  EXPECT_FALSE(build_account_open("t1", std::nullopt, false, true, "al ice"));

  EXPECT_EQ(ok(build_hold({.account = "t1", .amount = "5", .member = "alice", .project = "p7"})),
            (ApiCall{"POST", "/v1/holds",
                     R"({"account":"t1","amount":"5","member":"alice","project":"p7"})",
                     KeyUse::always, View::hold}));
  EXPECT_EQ(
      ok(build_spend({.account = "t1", .tool = "image", .params = {"n=2"}, .member = "bob"})).body,
      R"({"account":"t1","tool":"image","params":{"n":2},"member":"bob"})");
  EXPECT_NE(usage(build_hold({.account = "t1", .amount = "5", .member = "a/b"})).find("--member"),
            std::string::npos);
  EXPECT_NE(
      usage(build_spend({.account = "t1", .amount = "5", .project = "p q"})).find("--project"),
      std::string::npos);
}

TEST(ClientCalls, Members) {
  EXPECT_EQ(ok(build_member_add("t1", "bob", "")),
            (ApiCall{"POST", "/v1/accounts/t1/members", R"({"user":"bob"})", KeyUse::always,
                     View::fields}));
  EXPECT_EQ(ok(build_member_add("t1", "bob", "viewer")).body, R"({"user":"bob","role":"viewer"})");
  EXPECT_NE(usage(build_member_add("t1", "bob", "boss")).find("owner, admin, member or viewer"),
            std::string::npos);
  EXPECT_FALSE(build_member_add("t1", "", ""));
  EXPECT_FALSE(build_member_add("t 1", "bob", ""));
  EXPECT_EQ(ok(build_member_list("t1")),
            (ApiCall{"GET", "/v1/accounts/t1/members", "", KeyUse::none, View::fields}));
  EXPECT_EQ(ok(build_member_role("t1", "bob", "admin")),
            (ApiCall{"PATCH", "/v1/accounts/t1/members/bob", R"({"role":"admin"})", KeyUse::always,
                     View::fields}));
  EXPECT_FALSE(build_member_role("t1", "bob", ""));
  EXPECT_FALSE(build_member_role("t1", "../x", "admin"));
  EXPECT_EQ(ok(build_member_remove("t1", "bob")),
            (ApiCall{"DELETE", "/v1/accounts/t1/members/bob", "", KeyUse::always, View::fields}));
  EXPECT_NE(usage(build_member_remove("t1", "b/ob")).find("user id"), std::string::npos);
}

TEST(ClientCalls, Budgets) {
  BudgetArgs b{
      .account = "t1", .id = "bob-monthly", .limit = "500", .period = "P1M", .member = "bob"};
  EXPECT_EQ(ok(build_budget_add(b)),
            (ApiCall{"POST", "/v1/accounts/t1/budgets",
                     R"({"id":"bob-monthly","member":"bob","limit":"500","period":"P1M"})",
                     KeyUse::always, View::fields}));
  b.project = "launch";
  b.anchor = "2026-11-15T00:00:00Z";
  b.mode = "soft";
  EXPECT_EQ(ok(build_budget_add(b)).body,
            R"({"id":"bob-monthly","member":"bob","project":"launch","limit":"500",)"
            R"("period":"P1M","anchor":"2026-11-15T00:00:00Z","mode":"soft"})");
  auto refused = [&](auto change, const char* needle) {
    BudgetArgs x = b;
    change(x);
    EXPECT_NE(usage(build_budget_add(x)).find(needle), std::string::npos) << needle;
  };
  refused([](BudgetArgs& x) { x.period = "P1Y"; }, "P1D, P1W or P1M");
  refused([](BudgetArgs& x) { x.period = ""; }, "--period");
  refused([](BudgetArgs& x) { x.limit = "-5"; }, "--limit");
  refused([](BudgetArgs& x) { x.limit = ""; }, "--limit");
  refused([](BudgetArgs& x) { x.mode = "strict"; }, "hard or soft");
  refused([](BudgetArgs& x) { x.anchor = "next monday"; }, "--anchor");
  refused([](BudgetArgs& x) { x.member = x.project = ""; }, "--member U, --project P or both");
  refused([](BudgetArgs& x) { x.member = "b ob"; }, "--member");
  refused([](BudgetArgs& x) { x.project = "a/b"; }, "--project");
  refused([](BudgetArgs& x) { x.id = ""; }, "budget id");
  refused([](BudgetArgs& x) { x.account = "t/1"; }, "account id");

  EXPECT_EQ(ok(build_budget_list("t1", "", "")),
            (ApiCall{"GET", "/v1/accounts/t1/budgets", "", KeyUse::none, View::fields}));
  EXPECT_EQ(ok(build_budget_list("t1", "bob", "")).path, "/v1/accounts/t1/budgets?member=bob");
  EXPECT_EQ(ok(build_budget_list("t1", "bob", "launch")).path,
            "/v1/accounts/t1/budgets?member=bob&project=launch");
  EXPECT_EQ(ok(build_budget_list("t1", "", "launch")).path,
            "/v1/accounts/t1/budgets?project=launch");
  EXPECT_NE(usage(build_budget_list("t1", "b&o", "")).find("--member"), std::string::npos);

  EXPECT_EQ(
      ok(build_budget_show("t1", "bob-monthly")),
      (ApiCall{"GET", "/v1/accounts/t1/budgets/bob-monthly", "", KeyUse::none, View::fields}));
  EXPECT_FALSE(build_budget_show("t1", "../x"));
  EXPECT_EQ(
      ok(build_budget_remove("t1", "bob-monthly")),
      (ApiCall{"DELETE", "/v1/accounts/t1/budgets/bob-monthly", "", KeyUse::always, View::fields}));
  EXPECT_EQ(ok(build_budget_update("t1", "bob-monthly", "750", "")),
            (ApiCall{"PATCH", "/v1/accounts/t1/budgets/bob-monthly", R"({"limit":"750"})",
                     KeyUse::always, View::fields}));
  EXPECT_EQ(ok(build_budget_update("t1", "bob-monthly", "750.5", "hard")).body,
            R"({"limit":"750.5","mode":"hard"})");
  EXPECT_EQ(ok(build_budget_update("t1", "bob-monthly", "", "soft")).body, R"({"mode":"soft"})");
  EXPECT_NE(usage(build_budget_update("t1", "bob-monthly", "", "")).find("--limit, --mode"),
            std::string::npos);
  EXPECT_FALSE(build_budget_update("t1", "bob-monthly", "1e3", ""));
  EXPECT_FALSE(build_budget_update("t1", "bob-monthly", "", "off"));
  EXPECT_EQ(ok(build_budget_update("t1", "bob-monthly", "", "", "600")).body,
            R"({"alert_at":"600"})");
  EXPECT_FALSE(build_budget_update("t1", "bob-monthly", "", "", "lots"));
}

TEST(ClientViews, MembersAsATable) {
  auto m = render_view(View::fields, R"({"account": "t1", "members": [
    {"account": "t1", "user": "alice", "role": "owner", "added_at": "2026-11-01T00:00:00Z"},
    {"account": "t1", "user": "bob", "role": "member", "added_at": "2026-11-02T00:00:00Z"}]})");
  ASSERT_TRUE(m) << m.error();
  EXPECT_NE(m->find("alice  owner"), std::string::npos) << *m;
  EXPECT_NE(m->find("bob    member"), std::string::npos) << *m;
}

TEST(ClientCalls, KeysTokensReadsBatchClock) {
  EXPECT_EQ(ok(build_key_create("gpu", "worker", "2027-06-30T00:00:00Z")).body,
            R"({"name":"gpu","scope":"worker","expires_at":"2027-06-30T00:00:00Z"})");
  EXPECT_EQ(ok(build_key_list()), (ApiCall{"GET", "/v1/keys", "", KeyUse::none, View::fields}));
  EXPECT_EQ(ok(build_key_revoke("key_5d1c")),
            (ApiCall{"DELETE", "/v1/keys/key_5d1c", "", KeyUse::none, View::fields}));
  EXPECT_FALSE(build_key_revoke("../admin"));
  EXPECT_EQ(
      ok(build_key_rotate("admin", 3600)),
      (ApiCall{"POST", "/v1/keys/admin/rotate", R"({"overlap_s":3600})", KeyUse::none, View::key}));
  EXPECT_FALSE(build_key_rotate("admin", -1));
  EXPECT_FALSE(build_key_rotate("admin", 2592001));

  EXPECT_EQ(ok(build_token_revoke("u1", "9f2c41d07a3b5e18", false)),
            (ApiCall{"POST", "/v1/accounts/u1/tokens/revoke", R"({"token_id":"9f2c41d07a3b5e18"})",
                     KeyUse::none, View::fields}));
  EXPECT_EQ(ok(build_token_revoke("u1", "", true)).body, R"({"all":true})");
  EXPECT_FALSE(build_token_revoke("u1", "", false));
  EXPECT_FALSE(build_token_revoke("u1", "ab", true));
  EXPECT_FALSE(build_token_revoke("u1", "XYZ", false));

  EXPECT_EQ(ok(build_public_read("plans")).path, "/v1/plans");
  EXPECT_EQ(ok(build_public_read("health")).path, "/healthz");
  EXPECT_EQ(ok(build_public_read("metrics")).view, View::text);
  EXPECT_FALSE(build_public_read("secrets"));
  EXPECT_EQ(ok(build_batch(R"({"requests":[]})")).body, R"({"requests":[]})");
  EXPECT_FALSE(build_batch(" \n"));
  EXPECT_EQ(ok(build_clock_set("2027-01-01T00:00:00Z")).body, R"({"now":"2027-01-01T00:00:00Z"})");
  EXPECT_EQ(ok(build_reload()),
            (ApiCall{"POST", "/v1/admin/reload", "", KeyUse::none, View::fields}));
}

TEST(ClientOptionsTest, DerivedKeysRepeatForTheSameRequestOnly) {
  const ApiCall hold = ok(build_hold({.account = "u1", .amount = "5"}));
  const std::string k = derive_idempotency_key(hold);
  EXPECT_EQ(k, derive_idempotency_key(ok(build_hold({.account = "u1", .amount = "5"}))));
  EXPECT_EQ(k.size(), 36u);
  EXPECT_TRUE(k.starts_with("cli-"));
  EXPECT_EQ(k.find_first_not_of("0123456789abcdef", 4), std::string::npos);
  // Stable across builds and machines: scripts and docs may rely on it.
  EXPECT_EQ(k, "cli-6c1aa0f3cb5c752035260f831d1bb4b6");
  EXPECT_NE(k, derive_idempotency_key(ok(build_hold({.account = "u1", .amount = "6"}))));
  EXPECT_NE(k, derive_idempotency_key(ok(build_hold({.account = "u2", .amount = "5"}))));
  EXPECT_NE(k, derive_idempotency_key(ok(build_spend({.account = "u1", .amount = "5"}))));
  // Parts are length-prefixed: moving bytes between path and body changes the key.
  EXPECT_NE(derive_idempotency_key({"POST", "/a", "b", KeyUse::always, View::fields}),
            derive_idempotency_key({"POST", "/ab", "", KeyUse::always, View::fields}));
}

TEST(ClientViews, FieldsShowsScalarsNestedValuesAndTables) {
  auto v = render_view(View::fields, R"({"lot": "9", "voided": "3", "voided_micro": 3000000,
    "season": null, "restored": {"to_lots": "1", "to_lots_micro": 1000000},
    "keys": [{"id": "admin", "scope": "admin", "last_used_at": null, "created_at_micro": 1},
             {"id": "key_1", "scope": "read", "last_used_at": "2027-01-01T00:00:00Z"}],
    "next_cursor": null, "tags": ["a", "b"], "portions": []})");
  ASSERT_TRUE(v) << v.error();
  EXPECT_EQ(*v,
            "lot               9\n"
            "voided            3\n"
            "season            -\n"
            "restored.to_lots  1\n"
            "next_cursor       -\n"
            "tags              a, b\n"
            "portions          (none)\n"
            "\n"
            "keys:\n"
            "id     scope  last_used_at\n"
            "admin  admin  -\n"
            "key_1  read   2027-01-01T00:00:00Z\n");
  EXPECT_EQ(render_view(View::text, "up 1\n").value(), "up 1\n");
  EXPECT_FALSE(render_view(View::fields, "# HELP"));
}

// Every operation of docs/openapi.yaml has a `tally` command (issue 21). The yaml is read as
// text: an `operationId:` line names an operation. A new operation fails this test until it
// gets a command here and in client_commands.cc.
TEST(ClientCoverage, EveryOpenApiOperationHasACommand) {
  // operationId -> the command's words; "quote" is registered by pricing_commands.cc (it
  // is `quote --server`), the rest by add_client_commands.
  const std::map<std::string, std::string> k_commands = {
      {"openAccount", "account open"},
      {"listAccounts", "account list"},
      {"getAccount", "balance"},
      {"listEntries", "history"},
      {"getBalance", "balance"},
      {"grantCredits", "grant"},
      {"subscribe", "subscribe"},
      {"cancelSubscription", "subscription cancel"},
      {"markPastDue", "subscription past-due"},
      {"resumeSubscription", "subscription resume"},
      {"claimDailyReward", "reward"},
      {"createToken", "tokens create"},
      {"revokeTokens", "tokens revoke"},
      {"quote", "quote"},
      {"createHold", "hold"},
      {"getHold", "show hold"},
      {"captureHold", "capture"},
      {"releaseHold", "release"},
      {"createSpend", "spend"},
      {"getSpend", "show spend"},
      {"refundSpend", "refund"},
      {"markSpendOutcome", "outcome"},
      {"createPurchase", "buy"},
      {"voidPurchase", "void purchase"},
      {"voidLot", "void lot"},
      {"getPricing", "pricing"},
      {"getPlans", "plans"},
      {"getPacks", "packs"},
      {"batch", "batch"},
      {"createKey", "keys create"},
      {"listKeys", "keys list"},
      {"revokeKey", "keys revoke"},
      {"rotateKey", "keys rotate"},
      {"setClock", "clock set"},
      {"reloadConfig", "reload"},
      {"health", "health"},
      {"metrics", "metrics"},
      {"listEvents", "events"},
      {"listAccountEvents", "events"},
      {"getAlerts", "alerts show"},
      {"setAlerts", "alerts set"},
      {"getAutoTopup", "auto-topup show"},
      {"setAutoTopup", "auto-topup set"},
      {"disableAutoTopup", "auto-topup off"},
      {"failAutoTopup", "auto-topup fail"},
      {"cancelAutoTopup", "auto-topup cancel"},
      {"createWebhook", "webhooks create"},
      {"listWebhooks", "webhooks list"},
      {"getWebhook", "webhooks show"},
      {"deleteWebhook", "webhooks delete"},
      {"rotateWebhookSecret", "webhooks rotate"},
      {"enableWebhook", "webhooks enable"},
      {"listWebhookDeliveries", "webhooks deliveries"},
      {"redeliverWebhookEvent", "webhooks redeliver"},
      {"listPlatformEvents", "webhooks platform-events"},
      {"listAudit", "audit"},
      {"addMember", "members add"},
      {"listMembers", "members list"},
      {"setMemberRole", "members role"},
      {"removeMember", "members remove"},
      {"addBudget", "budgets add"},
      {"listBudgets", "budgets list"},
      {"getTeamUsage", "usage"},
      {"getFinanceReport", "finance"},
      {"getTopAccounts", "top-accounts"},
      {"getForecast", "forecast"},
      {"getBudget", "budgets show"},
      {"updateBudget", "budgets update"},
      {"removeBudget", "budgets remove"},
  };
  std::ifstream in(TALLY_SOURCE_DIR "/docs/openapi.yaml");
  ASSERT_TRUE(in) << "cannot read docs/openapi.yaml";
  std::set<std::string> operations;
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string key, id;
    if (words >> key >> id && key == "operationId:") operations.insert(id);
  }
  ASSERT_GE(operations.size(), 30u) << "the yaml's operations were not found";

  CLI::App app;
  int exit_code = 0;
  add_client_commands(app, exit_code);
  app.add_subcommand("quote");  // pricing_commands.cc; its --server call is build_quote
  for (const std::string& op : operations) {
    auto it = k_commands.find(op);
    if (it == k_commands.end()) {
      ADD_FAILURE() << "openapi.yaml operation " << op << " has no tally command";
      continue;
    }
    const CLI::App* at = &app;
    std::istringstream words(it->second);
    for (std::string w; words >> w && at != nullptr;) {
      try {
        at = at->get_subcommand(w);
      } catch (const CLI::OptionNotFound&) {
        at = nullptr;
      }
    }
    EXPECT_NE(at, nullptr) << op << ": no command `tally " << it->second << "`";
  }
  for (const auto& [op, words] : k_commands) {
    EXPECT_TRUE(operations.contains(op))
        << op << " (`tally " << words << "`) is not in openapi.yaml any more";
  }
}

TEST(ClientCoverage, EveryChangeTakesAnIdempotencyKeyAndEveryCommandJson) {
  CLI::App app;
  int exit_code = 0;
  add_client_commands(app, exit_code);
  int commands = 0;
  auto visit = [&](auto&& self, CLI::App* at, const std::string& name) -> void {
    const auto subs = at->get_subcommands([](CLI::App*) { return true; });
    if (subs.empty()) {
      ++commands;
      EXPECT_NE(at->get_option_no_throw("--json"), nullptr) << name;
      EXPECT_NE(at->get_option_no_throw("--server"), nullptr) << name;
      return;
    }
    for (CLI::App* s : subs) self(self, s, name + " " + s->get_name());
  };
  visit(visit, &app, "tally");
  EXPECT_GE(commands, 30);
  for (const char* change :
       {"hold", "spend", "capture", "release", "grant", "refund", "reward", "subscribe", "buy"}) {
    EXPECT_NE(app.get_subcommand(change)->get_option_no_throw("--idempotency-key"), nullptr)
        << change;
  }
  EXPECT_NE(
      app.get_subcommand("void")->get_subcommand("lot")->get_option_no_throw("--idempotency-key"),
      nullptr);
  // Team changes are ledger commands the server remembers under their key (issue 17).
  for (const char* group : {"members", "budgets"}) {
    for (const char* change : {"add", "remove"}) {
      EXPECT_NE(app.get_subcommand(group)->get_subcommand(change)->get_option_no_throw(
                    "--idempotency-key"),
                nullptr)
          << group << " " << change;
    }
  }
  EXPECT_NE(app.get_subcommand("members")->get_subcommand("role")->get_option_no_throw(
                "--idempotency-key"),
            nullptr);
  EXPECT_NE(app.get_subcommand("budgets")->get_subcommand("update")->get_option_no_throw(
                "--idempotency-key"),
            nullptr);
  EXPECT_EQ(app.get_subcommand("budgets")->get_subcommand("list")->get_option_no_throw(
                "--idempotency-key"),
            nullptr);
}

TEST(ServerUrlTest, Parses) {
  EXPECT_EQ(parse_server_url("http://127.0.0.1:8080").value(),
            (ServerUrl{"127.0.0.1", "8080", ""}));
  EXPECT_EQ(parse_server_url("http://tally.internal/api/").value(),
            (ServerUrl{"tally.internal", "80", "/api"}));
  EXPECT_EQ(parse_server_url("localhost:9000").value(), (ServerUrl{"localhost", "9000", ""}));
  EXPECT_EQ(parse_server_url("http://[::1]:8080").value(), (ServerUrl{"::1", "8080", ""}));
  EXPECT_FALSE(parse_server_url("https://x"));
  EXPECT_FALSE(parse_server_url("http://:80"));
  EXPECT_FALSE(parse_server_url("http://x:0"));
  EXPECT_FALSE(parse_server_url("http://x:99999"));
  EXPECT_FALSE(parse_server_url("http://x:8o"));
}

}  // namespace
}  // namespace tally::cli
