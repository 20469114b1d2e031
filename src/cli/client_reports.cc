// Report commands (docs/reports.md): `finance` and `forecast`.
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
