#include "server/reload.h"

#include <algorithm>
#include <future>

#include "config/toml_reader.h"
#include "ledger/text.h"
#include "server/api.h"
#include "server/price_book_store.h"
#include "server/serve.h"
#include "service/service.h"

namespace tally::server {
namespace {

// What a reload may not change in the catalog, although a file with it is valid: subscriptions
// on the running plans renew on them (the ledger looks each plan up at every renewal).
std::vector<std::string> catalog_change_errors(const Catalog& running, const Catalog& next,
                                               std::string_view file) {
  std::vector<std::string> errors;
  for (const Plan& plan : running.plans) {
    const Plan* n = next.find_plan(plan.id);
    if (n == nullptr) {
      errors.push_back(cat(file, ": plan \"", plan.id,
                           "\" runs now and is not in the file: a reload cannot remove a plan, "
                           "since subscriptions may be on it (keep it; new accounts need not "
                           "join it)"));
    } else if (n->period != plan.period) {
      errors.push_back(cat(file, ": plan \"", plan.id, "\" changes its period from ",
                           period_name(plan.period), " to ", period_name(n->period),
                           ": its subscriptions renew on its schedule; add a new plan instead"));
    }
  }
  return errors;
}

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// The fields every reload line starts with: who asked, and which file.
log::Line& asked(log::Line& line, const ReloadTrigger& trigger, const ReloadOutcome& out) {
  return line.text("via", trigger.via)
      .text_if("request_id", trigger.request_id)
      .text_if("key_id", trigger.key_id)
      .text("file", out.file)
      .num("generation", out.generation);
}

}  // namespace

config::LogConfig effective_log(const config::LogConfig& file_log, const ReloadOptions& options) {
  config::LogConfig c = file_log;
  if (options.log_file) c.log.file = *options.log_file;
  if (options.log_level) c.log.level = *options.log_level;
  return c;
}

Reloader::Reloader(ReloadOptions options, std::shared_ptr<const Catalog> running_catalog)
    : options_(std::move(options)),
      catalog_(std::move(running_catalog)),
      start_text_(options_.config_text) {
  thread_ = std::thread([this] { run(); });
}

Reloader::~Reloader() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Reloader::reload(ReloadTrigger trigger, std::function<void(ReloadOutcome)> done) {
  {
    std::lock_guard lock(mu_);
    jobs_.push_back({std::move(trigger), std::move(done)});
  }
  wake_.notify_all();
}

void Reloader::run() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // stopping, and nothing left
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    ReloadOutcome outcome = apply(job.trigger);
    if (job.done) job.done(std::move(outcome));
    lock.lock();
  }
}

// The order makes a refusal change nothing: every check first; then [log], which can be put
// back; then the price book, stored only once everything else succeeded; then the swap.
ReloadOutcome Reloader::apply(const ReloadTrigger& trigger) {
  ReloadOutcome out;
  out.file = options_.config_name;
  out.generation = generation_;
  auto refuse = [&](std::vector<std::string> errors) {
    out.errors = std::move(errors);
    log::Line line(log::Level::warn, "reload_refused");
    asked(line, trigger, out).texts("errors", out.errors);
    return out;
  };
  std::string text(default_config_text());
  if (!options_.config_file.empty()) {
    auto read = config::read_config_text(options_.config_file);
    if (!read) return refuse({read.error().to_string()});
    text = std::move(*read);
  }
  auto config = config::parse_config(text, options_.config_name);
  if (!config) return refuse({config.error().to_string()});
  if (!config->price_book) return refuse({"the configuration has no [price_book]"});
  if (auto errors = catalog_change_errors(*catalog_, *config->catalog, options_.config_name);
      !errors.empty()) {
    return refuse(std::move(errors));
  }
  const config::LogConfig old_log = options_.log;
  const config::LogConfig new_log = effective_log(config->log, options_);
  if (auto opened = log::configure(new_log.log); !opened) {
    return refuse({cat("log.file: ", opened.error())});
  }
  const size_t versions_before = options_.api->prices()->versions().size();
  auto prices = open_price_versions(options_.data_dir, text, options_.config_name);
  if (!prices) {
    (void)log::configure(old_log.log);  // what ran before, which opened then
    return refuse({prices.error()});
  }
  options_.service->set_commit_stall_us(new_log.commit_stall_us);
  std::promise<void> swapped;
  options_.api->use_config(*prices, config->catalog, config->tokens,
                           [&swapped] { swapped.set_value(); });
  swapped.get_future().wait();

  out.applied = true;
  out.generation = ++generation_;
  out.changed = config::changed_sections(options_.config_text, text);
  // Compared with the start: a [ledger], [webhooks] or [store] changed by an earlier reload
  // still waits for a restart (the shards, the delivery threads and the store read them when
  // they start).
  const std::vector<std::string> since_start = config::changed_sections(start_text_, text);
  for (const char* section : {"ledger", "webhooks", "store"}) {
    if (contains(since_start, section)) out.restart_required.emplace_back(section);
  }
  out.price_book_version = config->price_book->version;
  out.price_book_added = (*prices)->versions().size() > versions_before;
  if (auto book = (*prices)->version_at(options_.clock())) out.price_book_in_force = book->version;
  options_.config_text = std::move(text);
  options_.log = new_log;
  catalog_ = config->catalog;
  log::Line line(out.restart_required.empty() ? log::Level::info : log::Level::warn, "reload");
  asked(line, trigger, out)
      .texts("changed", out.changed)
      .texts("restart_required", out.restart_required)
      .text("price_book_version", out.price_book_version)
      .flag("price_book_added", out.price_book_added)
      .text("price_book_in_force", out.price_book_in_force);
  return out;
}

}  // namespace tally::server
