// Text and JSON of a lint report (lint.h).
#include <array>

#include "ledger/text.h"
#include "lint/lint.h"

namespace tally::lint {

std::string render_text(const Report& report, std::string_view file) {
  std::array<int, 3> counts{};
  for (const Item& i : report.items) ++counts[static_cast<size_t>(i.outcome)];
  std::string out = cat(file, ": ", outcome_name(report.outcome()), " (", counts[2], " fail, ",
                        counts[1], " warn, ", counts[0], " pass)\n");
  for (const Item& i : report.items) {
    out += cat(outcome_name(i.outcome), "  ", i.title, ": ", i.why);
    if (i.line != 0) {
      out += cat(" (", file, ":", i.line, ", ", i.where, ")");
    } else if (!i.where.empty()) {
      out += cat(" (", i.where, ")");
    }
    out += "\n";
  }
  return out;
}

void write_json(pricing::JsonWriter& w, const Report& report) {
  w.begin_object();
  w.key("outcome");
  w.string(outcome_name(report.outcome()));
  w.key("items");
  w.begin_array();
  for (const Item& i : report.items) {
    w.begin_object();
    w.key("id");
    w.string(i.id);
    w.key("title");
    w.string(i.title);
    w.key("outcome");
    w.string(outcome_name(i.outcome));
    w.key("why");
    w.string(i.why);
    w.key("where");
    w.string(i.where);
    w.key("line");
    if (i.line == 0) {
      w.null();
    } else {
      w.integer(i.line);
    }
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

std::string render_json(const Report& report) {
  pricing::JsonWriter w;
  write_json(w, report);
  return w.take();
}

}  // namespace tally::lint
