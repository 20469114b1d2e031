// A small JSON emitter for pricing's renderers (price table, quotes). Pricing may not depend on a
// JSON library (docs/design.md §8); the HTTP layer uses RapidJSON at its edge and can embed or
// re-encode these documents. Strings are escaped per RFC 8259; numbers are written from integers or
// exact decimal text only. Thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tally::pricing {

// Appends s as a quoted JSON string: escapes " \ and control characters (\n, \t, \u00XX).
void append_json_string(std::string& out, std::string_view s);

class JsonWriter {
 public:
  void begin_object();
  void end_object();
  void begin_array();
  void end_array();
  // Inside an object, before each value.
  void key(std::string_view k);
  void string(std::string_view s);
  void integer(int64_t v);
  void boolean(bool v);
  void null();

  // The document; asserts that every object and array was closed.
  std::string take();

 private:
  void before_value();
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

}  // namespace tally::pricing
