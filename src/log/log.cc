#include "log/log.h"

#include <fcntl.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>

namespace tally::log {
namespace {

struct State {
  // A descriptor of our own (a dup of standard error at first). configure() points it at
  // another file with dup3(), which is atomic: a write in flight goes to the old file or the
  // new one, and the number writers use never changes (no closed descriptor is ever written).
  int fd = -1;
  std::atomic<uint8_t> level{static_cast<uint8_t>(Level::info)};
  std::atomic<bool> access{true};
  std::mutex mu;  // configure() and settings()
  Settings current;

  State() {
    fd = ::fcntl(2, F_DUPFD_CLOEXEC, 3);
    if (fd < 0) fd = 2;  // no descriptor left: write to standard error itself
  }
};

State& state() {
  static State s;
  return s;
}

thread_local std::string t_buffer;
thread_local bool t_busy = false;

void write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;  // nowhere to report it: the log is where failures go
    p += w;
    n -= static_cast<size_t>(w);
  }
}

// Room kept at the end of a line for `,"truncated":true}` and the newline.
constexpr size_t k_tail_bytes = 24;

// Bytes a continuation byte of a UTF-8 sequence may take: [lo, hi].
bool in(unsigned char c, unsigned char lo, unsigned char hi) { return c >= lo && c <= hi; }

// The length of the valid UTF-8 sequence at s[i], or 0 if it is not one (RFC 3629: no
// overlong forms, no surrogates, nothing past U+10FFFF).
size_t utf8_length(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  auto at = [&](size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0; };
  if (c < 0x80) return 1;
  if (in(c, 0xC2, 0xDF)) return in(at(1), 0x80, 0xBF) ? 2 : 0;
  if (in(c, 0xE0, 0xEF)) {
    const unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    return in(at(1), lo, hi) && in(at(2), 0x80, 0xBF) ? 3 : 0;
  }
  if (in(c, 0xF0, 0xF4)) {
    const unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    return in(at(1), lo, hi) && in(at(2), 0x80, 0xBF) && in(at(3), 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

}  // namespace

std::string_view level_name(Level level) {
  switch (level) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
  }
  return "error";
}

std::optional<Level> parse_level(std::string_view name) {
  for (Level l : {Level::debug, Level::info, Level::warn, Level::error}) {
    if (name == level_name(l)) return l;
  }
  return std::nullopt;
}

std::expected<void, std::string> configure(const Settings& settings) {
  State& s = state();
  std::lock_guard lock(s.mu);
  const bool to_stderr = settings.file.empty() || settings.file == "stderr";
  int source = 2;
  if (!to_stderr) {
    source = ::open(settings.file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (source < 0) return std::unexpected(settings.file + ": " + std::strerror(errno));
  }
  const bool moved = s.fd == 2 || ::dup3(source, s.fd, O_CLOEXEC) >= 0;
  const int dup_errno = errno;
  if (!to_stderr) ::close(source);
  if (!moved) return std::unexpected(settings.file + ": " + std::strerror(dup_errno));
  s.level = static_cast<uint8_t>(settings.level);
  s.access = settings.access;
  s.current = settings;
  return {};
}

Settings settings() {
  State& s = state();
  std::lock_guard lock(s.mu);
  return s.current;
}

bool enabled(Level level) {
  return static_cast<uint8_t>(level) >= state().level.load(std::memory_order_relaxed);
}

bool access_enabled() { return state().access.load(std::memory_order_relaxed); }

void append_json_text(std::string& out, std::string_view value, size_t max_bytes) {
  static constexpr char k_hex[] = "0123456789abcdef";
  size_t i = 0;
  while (i < value.size()) {
    if (i >= max_bytes) {
      out += "\xE2\x80\xA6";  // …
      return;
    }
    const auto c = static_cast<unsigned char>(value[i]);
    const size_t n = utf8_length(value, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD for a byte that is not UTF-8
      ++i;
      continue;
    }
    if (n > 1) {
      out.append(value.data() + i, n);
      i += n;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += k_hex[c >> 4];
          out += k_hex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
}

void append_time(std::string& out, int64_t unix_us) {
  // The date and time to the second change once a second: each thread keeps its last.
  thread_local int64_t t_second = INT64_MIN;
  thread_local char t_text[32];
  const int64_t second = unix_us >= 0 ? unix_us / 1'000'000 : (unix_us - 999'999) / 1'000'000;
  if (second != t_second) {
    const time_t t = static_cast<time_t>(second);
    struct tm tm {};
    gmtime_r(&t, &tm);
    strftime(t_text, sizeof t_text, "%Y-%m-%dT%H:%M:%S", &tm);
    t_second = second;
  }
  const int64_t micros = unix_us - second * 1'000'000;
  char frac[8];
  frac[0] = '.';
  for (int k = 6, v = static_cast<int>(micros); k >= 1; --k, v /= 10) frac[k] = static_cast<char>('0' + v % 10);
  out += t_text;
  out.append(frac, 7);
  out += 'Z';
}

Line::Line(Level level, std::string_view event) : Line(enabled(level), level, event) {}

Line::Line(Access, std::string_view event) : Line(access_enabled(), Level::info, event) {}

Line::Line(bool on, Level level, std::string_view event) : on_(on && !t_busy) {
  if (!on_) return;
  t_busy = true;
  buffer_ = &t_buffer;
  std::string& b = *buffer_;
  b.clear();
  b += R"({"time":")";
  append_time(b, std::chrono::duration_cast<std::chrono::microseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count());
  b += R"(","level":")";
  b += level_name(level);
  b += R"(","event":")";
  append_json_text(b, event, k_value_bytes_max);
  b += '"';
}

Line::~Line() {
  if (!on_) return;
  std::string& b = *buffer_;
  if (truncated_) b += R"(,"truncated":true)";
  b += "}\n";
  write_all(state().fd, b.data(), b.size());
  if (b.capacity() > 4 * k_line_bytes_max) std::string().swap(b);  // keep the buffer small
  t_busy = false;
}

void Line::key(std::string_view k) {
  std::string& b = *buffer_;
  b += ",\"";
  b += k;  // keys are literals of the code: nothing to escape
  b += "\":";
}

Line& Line::text(std::string_view k, std::string_view value) {
  if (!on_) return *this;
  std::string& b = *buffer_;
  // A value takes at most 6 bytes per input byte (\u00XX) and its key: skip the field if that
  // could pass the line's bound, and say so.
  if (b.size() + k.size() + 6 * std::min(value.size(), k_value_bytes_max) + k_tail_bytes + 16 >
      k_line_bytes_max) {
    truncated_ = true;
    return *this;
  }
  key(k);
  b += '"';
  append_json_text(b, value, k_value_bytes_max);
  b += '"';
  return *this;
}

Line& Line::text_if(std::string_view k, std::string_view value) {
  return value.empty() ? *this : text(k, value);
}

Line& Line::num(std::string_view k, int64_t value) {
  if (!on_) return *this;
  key(k);
  *buffer_ += std::to_string(value);
  return *this;
}

Line& Line::num(std::string_view k, uint64_t value) {
  if (!on_) return *this;
  key(k);
  *buffer_ += std::to_string(value);
  return *this;
}

Line& Line::flag(std::string_view k, bool value) {
  if (!on_) return *this;
  key(k);
  *buffer_ += value ? "true" : "false";
  return *this;
}

void Line::open_array(std::string_view k) {
  key(k);
  *buffer_ += '[';
}

void Line::array_item(std::string_view value) {
  std::string& b = *buffer_;
  if (b.size() + 6 * std::min(value.size(), k_value_bytes_max) + k_tail_bytes + 24 >
      k_line_bytes_max) {
    truncated_ = true;  // the item is left out; the array stays valid
    return;
  }
  if (b.back() != '[') b += ',';
  b += '"';
  append_json_text(b, value, k_value_bytes_max);
  b += '"';
}

void Line::close_array() { *buffer_ += ']'; }

void name_thread(std::string_view name) {
  char cut[16] = {};
  name.copy(cut, std::min<size_t>(name.size(), sizeof cut - 1));
  pthread_setname_np(pthread_self(), cut);
}

}  // namespace tally::log
