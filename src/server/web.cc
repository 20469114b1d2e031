#include "server/web.h"

namespace tally::server {
namespace {

// The page talks only to its own origin: scripts, styles, fetches and images from 'self',
// no inline code, no framing, no <base> or form posts elsewhere.
constexpr std::string_view k_csp =
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

}  // namespace

std::optional<HttpResponse> static_asset(std::string_view method, std::string_view target) {
  if (method != "GET") return std::nullopt;
  const std::string_view path = target.substr(0, target.find('?'));
  const std::string_view name = path == "/" ? std::string_view("/index.html") : path;
  for (const WebAsset& a : web_assets()) {
    if (a.path != name) continue;
    HttpResponse r;
    r.status = 200;
    r.content_type = a.content_type;
    r.body = std::string(a.body);
    // index.html is small and names the others by version: revalidate it every time, keep
    // the others for a year (a new build changes their ?v=).
    const bool immutable = name != "/index.html" && target.size() > path.size();
    r.headers.emplace_back("Cache-Control",
                           immutable ? "public, max-age=31536000, immutable" : "no-cache");
    r.headers.emplace_back("ETag", "\"" + std::string(a.version) + "\"");
    r.headers.emplace_back("Content-Security-Policy", std::string(k_csp));
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    r.headers.emplace_back("X-Frame-Options", "DENY");
    return r;
  }
  return std::nullopt;
}

}  // namespace tally::server
