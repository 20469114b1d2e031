// Small text helpers for messages and canonical forms. (Debian's Abseil has its own
// string_view, so absl::StrCat does not take std::string_view; this does.)
#pragma once

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
inline void append_text(std::string* out, char c) {
  out->push_back(c);
}

// Concatenates strings, string views, characters and integers.
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
