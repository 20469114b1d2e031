#include "server/demo.h"

#include <rapidjson/document.h>

#include <future>
#include <random>

#include "ledger/text.h"

namespace tally::server {
namespace {

constexpr int k_days = 90;

struct Reply {
  int status = 0;
  std::string body;
  std::string field(const char* name) const {
    rapidjson::Document d;
    d.Parse(body.c_str());
    if (d.HasParseError() || !d.IsObject() || !d.HasMember(name) || !d[name].IsString()) return {};
    return d[name].GetString();
  }
};

// Sends requests through the Api in this process, as the admin, one at a time.
class Seeder {
 public:
  Seeder(Api& api, const std::string& admin_key, const std::function<void(TimeUs)>& set_now,
         uint64_t seed)
      : api_(api), authorization_(cat("Bearer ", admin_key)), set_now_(set_now), rng_(seed) {}

  void at(TimeUs t) {
    if (t.us <= now_us_) return;  // never back
    now_us_ = t.us;
    set_now_(t);
  }
  int64_t now_us() const { return now_us_; }

  Reply send(std::string_view method, std::string target, std::string body = "") {
    HttpRequest r;
    r.method = std::string(method);
    r.target = std::move(target);
    r.authorization = authorization_;
    r.idempotency_key = cat("demo-", ++requests_);
    r.has_idempotency_key = true;
    r.content_type = "application/json";
    r.host = "localhost";
    r.body = std::move(body);
    std::promise<HttpResponse> done;
    auto answer = done.get_future();
    api_.handle(std::move(r),
                [&done](HttpResponse response) { done.set_value(std::move(response)); });
    HttpResponse response = answer.get();
    return {response.status, std::move(response.body)};
  }

  // A request that must succeed; records the first failure.
  Reply must(std::string_view method, std::string target, std::string body = "") {
    Reply r = send(method, target, std::move(body));
    if (r.status / 100 != 2 && error_.empty()) {
      error_ = cat(method, " ", target, ": ", r.status, " ", r.body);
    }
    return r;
  }

  // A hold or spend (`path`) priced by the price book. History older than the price book's
  // first version is sent by `amount` instead (what a platform on older prices would send);
  // a free job then sends nothing (204). 402 is an answer, not a failure.
  Reply job(std::string_view path, std::string_view account, std::string_view tool,
            std::string_view params, int amount, std::string_view extra = "") {
    const std::string head = cat(R"({"account":")", account, R"(","tool":")", tool, R"(",)");
    Reply r = send("POST", std::string(path), cat(head, R"("params":)", params, extra, "}"));
    if (r.status == 409 && r.body.find("no_version_in_force") != std::string::npos) {
      if (amount == 0) return {204, {}};
      r = send("POST", std::string(path), cat(head, R"("amount":)", amount, extra, "}"));
    }
    if (r.status / 100 != 2 && r.status != 402 && error_.empty()) {
      error_ = cat("POST ", path, ": ", r.status, " ", r.body);
    }
    return r;
  }

  bool chance(int percent) { return std::uniform_int_distribution<int>(0, 99)(rng_) < percent; }
  int between(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  const std::string& error() const { return error_; }

 private:
  Api& api_;
  std::string authorization_;
  const std::function<void(TimeUs)>& set_now_;
  std::mt19937_64 rng_;
  int64_t now_us_ = 0;
  uint64_t requests_ = 0;
  std::string error_;
};

struct Persona {
  std::string id;
  std::string plan;
  int events_max;      // generations a day, at most
  int reward_percent;  // days the daily reward is claimed
  std::string top_up;  // the pack bought when credits run out ("" = waits)
  int top_ups = 0;
};

// One generation: a priced spend, or a video held, then captured or (failed) released.
void generate(Seeder& s, Persona& p, TimeUs t) {
  s.at(t);
  const int pick = s.between(0, 99);
  if (pick < 30) {
    const int seconds = s.between(2, 8);
    const bool hd = p.plan == "pro" && s.chance(50);
    Reply hold =
        s.job("/v1/holds", p.id, "video",
              cat(R"({"resolution":")", hd ? "720p" : "480p", R"(","seconds":)", seconds, "}"),
              seconds * (hd ? 5 : 2));
    if (hold.status != 201) return;  // not enough left: the platform refuses the job
    const std::string id = hold.field("id");
    s.at(TimeUs{t.us + 3 * k_us_per_minute});
    if (s.chance(15)) {
      s.must("POST", cat("/v1/holds/", id, "/release"), R"({"reason":"video generation failed"})");
    } else {
      s.must("POST", cat("/v1/holds/", id, "/capture"));
    }
    return;
  }
  std::string tool, params;
  int amount = 0;  // the default price book's price, for history older than it
  if (pick < 80) {
    tool = "image";
    const bool pro = p.plan != "free" && s.chance(30), large = s.chance(25);
    params = cat(R"({"model":")", pro ? "pro" : "standard", R"(","resolution":")",
                 large ? "2048" : "1024", R"("})");
    amount = pro ? (large ? 8 : 4) : (large ? 3 : 2);
  } else if (pick < 90 || p.plan == "pro") {  // (Pro's advanced chat is free: no spend)
    tool = "upscale";
    params = "{}";
    amount = 3;
  } else {
    tool = "chat";
    params = R"({"model":"advanced"})";
    amount = 1;
  }
  Reply spend = s.job("/v1/spends", p.id, tool, params, amount);
  if (spend.status == 402 && !p.top_up.empty()) {
    s.must("POST", "/v1/purchases",
           cat(R"({"account":")", p.id, R"(","pack":")", p.top_up,
               R"(","currency":"USD","payment_ref":"demo-)", p.id, "-", ++p.top_ups, R"("})"));
    spend = s.job("/v1/spends", p.id, tool, params, amount);
  }
  if (spend.status == 201 && tool == "image" && s.chance(4)) {
    s.at(TimeUs{t.us + 10 * k_us_per_minute});
    s.must("POST", cat("/v1/spends/", spend.field("id"), "/refunds"),
           R"({"reason":"image was blank"})");
  }
}

// The once-in-a-while events of the three months.
void milestones(Seeder& s, int day, TimeUs t, std::string* charged_back) {
  s.at(t);
  if (day == 10 || day == 50) {
    const char* params = R"({"architecture":"sdxl"})";
    if (s.job("/v1/spends", "studio", "lora-training", params, 750).status == 402) {
      s.must("POST", "/v1/purchases",
             cat(R"({"account":"studio","pack":"large","currency":"USD","payment_ref":"demo-lora-)",
                 day, R"("})"));
      s.job("/v1/spends", "studio", "lora-training", params, 750);
    }
  }
  if (day == 20) {
    s.must("POST", "/v1/accounts/sam/grants",
           R"({"amount":"15","source":"promo","reason":"welcome back","valid_for":"P14D"})");
  }
  if (day == 30) {
    *charged_back = s.must("POST", "/v1/purchases",
                           R"({"account":"sam","pack":"small","currency":"USD",)"
                           R"("payment_ref":"demo-sam-cb"})")
                        .field("id");
  }
  if (day == 32) {  // the card issuer reverses the payment
    s.must("POST", cat("/v1/purchases/", *charged_back, "/void"),
           R"({"reason":"payment charged back"})");
  }
  if (day == 60) {
    s.must("POST", "/v1/accounts/maya/grants",
           R"({"amount":"25","source":"admin","reason":"sorry for the slow queue"})");
  }
}

}  // namespace

std::expected<bool, std::string> seed_demo(Api& api, const std::string& admin_key,
                                           const std::function<void(TimeUs)>& set_now, TimeUs end,
                                           uint64_t seed) {
  Seeder s(api, admin_key, set_now, seed);
  const int64_t day0_us = (end.us / k_us_per_day - k_days) * k_us_per_day;
  s.at(TimeUs{day0_us + 8 * k_us_per_hour});
  if (s.send("GET", cat("/v1/accounts/", k_demo_account)).status == 200) return false;

  std::vector<Persona> people = {
      {std::string(k_demo_account), "plus", 2, 70, "small"},
      {"sam", "free", 1, 50, ""},
      {"studio", "pro", 5, 20, "medium"},
  };
  for (const Persona& p : people) {
    s.must("POST", "/v1/accounts", cat(R"({"id":")", p.id, R"(","plan":")", p.plan, R"("})"));
  }
  std::string charged_back;  // the purchase voided two days after it was made
  for (int day = 0; day < k_days && s.error().empty(); ++day) {
    const int64_t morning_us = day0_us + day * k_us_per_day + 8 * k_us_per_hour;
    for (Persona& p : people) {
      if (s.chance(p.reward_percent)) {
        s.at(TimeUs{morning_us + s.between(0, 59) * k_us_per_minute});
        s.must("POST", cat("/v1/accounts/", p.id, "/rewards/daily"));
      }
    }
    milestones(s, day, TimeUs{morning_us + k_us_per_hour}, &charged_back);
    for (int slot = 0; slot < 12; ++slot) {  // 10:00 to 21:00, one generation an hour at most
      const TimeUs t{morning_us + (2 + slot) * k_us_per_hour + s.between(0, 40) * k_us_per_minute};
      for (Persona& p : people) {
        if (s.between(0, 11) < p.events_max) generate(s, p, t);
      }
    }
  }
  // One of Maya's videos is still rendering when the server starts.
  s.at(TimeUs{end.us - 5 * k_us_per_minute});
  s.job("/v1/holds", k_demo_account, "video", R"({"resolution":"480p","seconds":6})", 12,
        R"(,"ttl_s":3600)");
  s.at(end);
  if (!s.error().empty()) return std::unexpected(s.error());
  return true;
}

}  // namespace tally::server
