#include "server/access_log.h"

#include <cctype>

#include "log/log.h"

namespace tally::server {
namespace {

bool secret_name(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view word : {"key", "token", "secret", "password", "auth"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

int64_t us(int64_t ns) { return ns < 0 ? ns : ns / 1000; }

}  // namespace

std::string redact_target(std::string_view target) {
  const size_t q = target.find('?');
  if (q == std::string_view::npos) return std::string(target);
  std::string out(target.substr(0, q + 1));
  std::string_view rest = target.substr(q + 1);
  while (true) {
    const size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const size_t eq = pair.find('=');
    const std::string_view name = pair.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    if (eq != std::string_view::npos && (secret_name(name) || value.starts_with("tk_"))) {
      out += name;
      out += "=[redacted]";
    } else {
      out += pair;
    }
    if (amp == std::string_view::npos) return out;
    out += '&';
    rest = rest.substr(amp + 1);
  }
}

void log_access(const Exchange& x) {
  if (!log::access_enabled()) return;
  static const AccessNote k_none;
  const AccessNote& n = x.note != nullptr ? *x.note : k_none;
  std::string redacted;
  std::string_view path = x.target;
  if (path.find('?') != std::string_view::npos) path = redacted = redact_target(path);
  log::Line line(log::Line::access, "access");
  line.text("request_id", x.request_id)
      .text("method", x.method)
      .text_if("route", n.route)
      .text("path", path)
      .num("status", x.status)
      .text_if("key_id", n.key_id)
      .text_if("token_id", n.token_id)
      .text_if("account", n.account)
      .text_if("idempotency_key", x.idempotency_key)
      .text("remote", x.remote)
      .num("bytes_in", x.bytes_in)
      .num("bytes_out", x.bytes_out)
      .num("total_us", us(x.total_ns));
  // The stages a request went through, in order (docs/operations.md).
  if (n.decode_ns >= 0) line.num("decode_us", us(n.decode_ns));
  if (n.queue_ns >= 0) line.num("queue_us", us(n.queue_ns));
  if (n.commit_ns >= 0) line.num("commit_us", us(n.commit_ns));
  if (n.shard_ns >= 0) line.num("shard_us", us(n.shard_ns));
  line.num("write_us", us(x.write_ns));
  if (!x.written) line.flag("written", false);
}

}  // namespace tally::server
