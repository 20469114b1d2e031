// Report commands (docs/reports.md): `finance`, `top-accounts` and `forecast`.
#include "cli/client_call_parts.h"

namespace tally::cli {

Built build_finance(const std::string& from, const std::string& to, const std::string& currency,
                    bool csv) {
  if (currency.size() != 3 ||
      currency.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos) {
    return std::unexpected("--currency must be a 3-letter ISO 4217 code such as USD");
  }
  std::string path = "/v1/reports/finance";
  if (auto e = add_time_query(&path, "from", from)) return std::unexpected(*e);
  if (auto e = add_time_query(&path, "to", to)) return std::unexpected(*e);
  path += "&currency=" + currency;
  if (csv) path += "&format=csv";
  return call("GET", path, "", KeyUse::none, csv ? View::text : View::fields);
}

Built build_top_accounts(const std::string& from, const std::string& to,
                         std::optional<int64_t> limit) {
  std::string path = "/v1/reports/top-accounts";
  if (auto e = add_time_query(&path, "from", from)) return std::unexpected(*e);
  if (auto e = add_time_query(&path, "to", to)) return std::unexpected(*e);
  if (limit) {
    if (*limit < 1 || *limit > 100) return std::unexpected("--limit must be 1 to 100");
    path += "&limit=" + std::to_string(*limit);
  }
  return call("GET", path, "", KeyUse::none, View::fields);
}

Built build_forecast(const std::string& account, const std::string& currency) {
  if (auto e = check_account(account)) return std::unexpected(*e);
  std::string path = "/v1/accounts/" + account + "/forecast";
  if (!currency.empty()) {
    if (currency.size() != 3 ||
        currency.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos) {
      return std::unexpected("--currency must be a 3-letter ISO 4217 code such as USD");
    }
    path += "?currency=" + currency;
  }
  return call("GET", path, "", KeyUse::none, View::fields);
}

void add_report_commands(CLI::App& app, int& exit_code) {
  struct FinanceArgs {
    ClientOptions options;
    std::string from, to, currency;
    bool csv = false;
  };
  auto finance = std::make_shared<FinanceArgs>();
  CLI::App* cmd = app.add_subcommand(
      "finance",
      "Money received, recognized, deferred, breakage and refunded, and free credits "
      "by source, over a period (admin or service key)");
  cmd->add_option("--from", finance->from, "The start, RFC 3339 (included)")->required();
  cmd->add_option("--to", finance->to, "The end, RFC 3339 (excluded)")->required();
  cmd->add_option("--currency", finance->currency, "ISO 4217 code (USD)")->required();
  cmd->add_flag("--csv", finance->csv, "The report as CSV (figure,source,credits,money,currency)");
  add_client_options(cmd, finance->options, KeyUse::none);
  cmd->callback([finance, &exit_code] {
    exit_code = run_built(finance->options, build_finance(finance->from, finance->to,
                                                          finance->currency, finance->csv));
  });

  struct TopArgs {
    ClientOptions options;
    std::string from, to;
    int64_t limit = 0;
  };
  auto top = std::make_shared<TopArgs>();
  CLI::App* t = app.add_subcommand(
      "top-accounts",
      "The accounts that used most credits over a period (captures and spends less refunds), "
      "most first (admin or service key)");
  t->add_option("--from", top->from, "The start, RFC 3339 (included)")->required();
  t->add_option("--to", top->to, "The end, RFC 3339 (excluded)")->required();
  CLI::Option* top_limit = t->add_option("--limit", top->limit, "How many (1 to 100; default 10)");
  add_client_options(t, top->options, KeyUse::none);
  t->callback([top, top_limit, &exit_code] {
    std::optional<int64_t> limit;
    if (top_limit->count() > 0) limit = top->limit;
    exit_code = run_built(top->options, build_top_accounts(top->from, top->to, limit));
  });

  struct ForecastArgs {
    ClientOptions options;
    std::string account, currency;
  };
  auto forecast = std::make_shared<ForecastArgs>();
  CLI::App* f = app.add_subcommand(
      "forecast",
      "When an account's credits run out at its 7- and 30-day rates, what expires "
      "unused first, and whether to upgrade its plan or buy packs");
  f->add_option("account", forecast->account, "The account's id")->required();
  f->add_option("--currency", forecast->currency, "ISO 4217 code of the prices compared (USD)");
  add_client_options(f, forecast->options, KeyUse::none);
  f->callback([forecast, &exit_code] {
    exit_code = run_built(forecast->options, build_forecast(forecast->account, forecast->currency));
  });
}

}  // namespace tally::cli
