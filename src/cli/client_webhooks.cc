// `tally webhooks ...` (client_commands.h, docs/webhooks.md): the webhook endpoints of a
// running server, with the admin key. None takes an Idempotency-Key (the server takes none
// here): `create` run twice makes two endpoints.
#include <memory>
#include <string_view>

#include "cli/client_commands.h"

namespace tally::cli {
namespace {

struct Args {
  ClientOptions options;
  std::string id, url, types, description, event;
  int64_t number = 0;
};

CLI::App* with_id(CLI::App* group, const char* name, const char* what, Args& a) {
  CLI::App* cmd = group->add_subcommand(name, what);
  cmd->add_option("id", a.id, "The webhook's id (wh_...)")->required();
  add_client_options(cmd, a.options, KeyUse::none);
  return cmd;
}

}  // namespace

void add_webhook_commands(CLI::App& app, int& exit_code) {
  CLI::App* group =
      app.add_subcommand("webhooks", "Webhook endpoints and their deliveries (admin key)");
  group->alias("webhook");
  group->require_subcommand(1);

  auto c = std::make_shared<Args>();
  CLI::App* create =
      group->add_subcommand("create", "Register an endpoint; its signing secret is shown once");
  create->add_option("url", c->url, "Where events are POSTed (http:// or https://)")->required();
  create->add_option("--types", c->types,
                     "Only these event types, separated by commas (default all)");
  create->add_option("--description", c->description, "What the endpoint is for");
  add_client_options(create, c->options, KeyUse::none);
  create->callback([c, &exit_code] {
    exit_code = run_built(c->options, build_webhook_create(c->url, c->types, c->description));
  });

  auto l = std::make_shared<Args>();
  CLI::App* list =
      group->add_subcommand("list", "Every endpoint, its state and why it is disabled");
  add_client_options(list, l->options, KeyUse::none);
  list->callback([l, &exit_code] { exit_code = run_built(l->options, build_webhook_list()); });

  for (const char* action : {"show", "delete", "enable"}) {
    auto a = std::make_shared<Args>();
    const char* what = std::string_view(action) == "show" ? "One endpoint"
                       : std::string_view(action) == "delete"
                           ? "Delete an endpoint for good"
                           : "Deliver again to a disabled endpoint, from where it stopped";
    with_id(group, action, what, *a)->callback([a, action, &exit_code] {
      exit_code = run_built(a->options, build_webhook_action(action, a->id));
    });
  }

  auto r = std::make_shared<Args>();
  CLI::App* rotate = with_id(
      group, "rotate", "A new signing secret; the old one signs beside it for --overlap-s", *r);
  CLI::Option* overlap = rotate->add_option("--overlap-s", r->number,
                                            "Seconds the old secret keeps signing (default 86400)");
  rotate->callback([r, overlap, &exit_code] {
    std::optional<int64_t> o;
    if (overlap->count() > 0) o = r->number;
    exit_code = run_built(r->options, build_webhook_rotate(r->id, o));
  });

  auto d = std::make_shared<Args>();
  CLI::App* deliveries = with_id(group, "deliveries", "Recent delivery attempts, newest first", *d);
  CLI::Option* limit =
      deliveries->add_option("--limit", d->number, "Attempts (1 to 1000; default 100)");
  deliveries->callback([d, limit, &exit_code] {
    std::optional<int64_t> n;
    if (limit->count() > 0) n = d->number;
    exit_code = run_built(d->options, build_webhook_deliveries(d->id, n));
  });

  auto e = std::make_shared<Args>();
  CLI::App* redeliver = with_id(group, "redeliver", "Send one event to the endpoint again", *e);
  redeliver->add_option("event", e->event, "The event's id")->required();
  redeliver->callback([e, &exit_code] {
    exit_code = run_built(e->options, build_webhook_redeliver(e->id, e->event));
  });

  auto p = std::make_shared<Args>();
  CLI::App* platform = group->add_subcommand(
      "platform-events", "Events about the platform (webhook.disabled), oldest first");
  platform->add_option("--after", p->event, "The id of the last platform event read");
  CLI::Option* page = platform->add_option("--limit", p->number, "Events (1 to 1000; default 100)");
  add_client_options(platform, p->options, KeyUse::none);
  platform->callback([p, page, &exit_code] {
    std::optional<int64_t> n;
    if (page->count() > 0) n = p->number;
    exit_code = run_built(p->options, build_platform_events(p->event, n));
  });
}

}  // namespace tally::cli
