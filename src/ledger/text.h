// Small text helpers for messages and canonical forms. (Debian's Abseil has its own
// string_view, so absl::StrCat does not take std::string_view; this does.)
#pragma once

#include <charconv>
#include <concepts>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace tally {

inline void append_text(std::string* out, std::string_view s) {
  out->append(s);
}
inline void append_text(std::string* out, const char* s) {
  out->append(s);
}
inline void append_text(std::string* out, const std::string& s) {
  out->append(s);
}
template <std::integral T>
requires(!std::same_as<T, char> && !std::same_as<T, bool>) void append_text(std::string* out, T v) {
  out->append(std::to_string(v));
}
// A char exactly: no other type converts to it (a double once did, and /metrics wrote its
// numbers as single bytes).
template <std::same_as<char> T>
void append_text(std::string* out, T c) {
  out->push_back(c);
}
void append_text(std::string* out, bool v) = delete;  // say what true means instead
// The shortest text that reads back as the same value, as printf's %g would lay it out
// ("0.0001", "2.5", "1e+20").
template <std::floating_point T>
void append_text(std::string* out, T v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general);
  out->append(buf, end);
}

// Concatenates strings, string views, characters, integers and floating-point numbers.
template <typename... Args>
std::string cat(const Args&... args) {
  std::string out;
  (append_text(&out, args), ...);
  return out;
}

inline absl::string_view to_absl(std::string_view s) {
  return {s.data(), s.size()};
}

}  // namespace tally
