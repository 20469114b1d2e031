// Structured logs of `tally serve` (issue 21, docs/operations.md "Logs"): JSON lines, one
// object per line, to standard error or a file. Every line starts with the same three fields,
// then the event's own:
//
//   {"time":"2026-12-03T06:00:00.123456Z","level":"info","event":"access",...}
//
// A small writer of our own (not spdlog): a line is formatted into a buffer of the calling
// thread, with no lock held, and handed to the kernel with one write(2) on a descriptor opened
// O_APPEND, so lines from different threads never interleave (a line is cut to
// k_line_bytes_max, below PIPE_BUF, which also keeps a pipe's writes whole).
//
// Never put a secret in a line: not a key's secret, not a token, not an Authorization header.
// Name credentials by their ids (tests/server/ops_test.cc greps a log for secrets).
//
// Thread-safe: any thread may log at any time; configure() may run concurrently with logging
// (a line goes to the old or the new destination, whole).
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace tally::log {

enum class Level : uint8_t { debug = 0, info = 1, warn = 2, error = 3 };
std::string_view level_name(Level level);
// "debug", "info", "warn" or "error".
std::optional<Level> parse_level(std::string_view name);

// A text field that would take a line past this is left out, and the line ends with
// "truncated":true (numbers may add a few bytes more: a line stays below PIPE_BUF, 4096).
inline constexpr size_t k_line_bytes_max = 4000;
// A text value longer than this is cut, ending in "…".
inline constexpr size_t k_value_bytes_max = 512;

struct Settings {
  std::string file;  // empty or "stderr": standard error; else appended to (created 0640)
  Level level = Level::info;
  bool access = true;  // the access log (one line per HTTP request, at info)
};

// Points the log at `settings.file` (reopening it: after logrotate moved it away, this starts
// a new file) and sets the level and the access switch. On an error (the file cannot be opened)
// nothing changes and the message says why.
[[nodiscard]] std::expected<void, std::string> configure(const Settings& settings);
// What configure() set last (defaults before: standard error, info, access on).
Settings settings();

bool enabled(Level level);
bool access_enabled();

// One line. Fields are added in order; the line is written when the Line is destroyed, so
//   log::Line(log::Level::warn, "commit_stall").num("shard", 1).num("commit_us", 812'000);
// writes one line at the end of the statement. Below the log's level every call is a no-op.
// A thread has one Line at a time (they share the thread's buffer).
class Line {
 public:
  // An access-log line (level "info"): written when the access log is on, whatever the level.
  struct Access {};
  static constexpr Access access{};

  Line(Level level, std::string_view event);
  Line(Access, std::string_view event);
  ~Line();
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;

  bool on() const { return on_; }
  // A JSON string: escaped, invalid UTF-8 replaced by U+FFFD, cut at k_value_bytes_max.
  Line& text(std::string_view key, std::string_view value);
  // The same, left out when `value` is empty.
  Line& text_if(std::string_view key, std::string_view value);
  Line& num(std::string_view key, int64_t value);
  Line& num(std::string_view key, uint64_t value);
  Line& num(std::string_view key, int value) { return num(key, static_cast<int64_t>(value)); }
  Line& num(std::string_view key, unsigned value) { return num(key, static_cast<uint64_t>(value)); }
  Line& flag(std::string_view key, bool value);
  // A JSON array of strings.
  template <class Range>
  Line& texts(std::string_view key, const Range& values) {
    if (!on_) return *this;
    open_array(key);
    for (const auto& v : values) array_item(v);
    close_array();
    return *this;
  }

 private:
  void key(std::string_view k);
  void open_array(std::string_view key);
  void array_item(std::string_view value);
  void close_array();
  Line(bool on, Level level, std::string_view event);
  bool on_;
  bool truncated_ = false;  // a field was left out to keep the line within its bound
  std::string* buffer_ = nullptr;
};

// Appends `value` to `out` as the inside of a JSON string (no quotes): `"` `\` and control
// characters escaped, invalid UTF-8 bytes replaced by U+FFFD, at most `max_bytes` of input
// read (then "…" is appended).
void append_json_text(std::string& out, std::string_view value, size_t max_bytes);

// RFC 3339 UTC with microseconds: "2026-12-03T06:00:00.123456Z".
void append_time(std::string& out, int64_t unix_us);

// Names the calling thread ("shard-3", at most 15 bytes; longer is cut), as `top -H`, `ps -L`,
// perf and /proc/PID/task/*/comm show it (docs/operations.md lists the names).
void name_thread(std::string_view name);

}  // namespace tally::log
