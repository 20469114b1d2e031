// Text, Markdown and JSON renderings of a PriceTable. All three show the same facts.
#include <cctype>

#include "pricing/json_writer.h"
#include "pricing/table.h"

namespace tally::pricing {
namespace {

std::string credits_word(Credits c) {
  return format_credits(c) + (c == Credits::from_credits(1) ? " credit" : " credits");
}

// Extra facts about a tool beside its parameters: base, minimum, non-default rounding.
std::string tool_facts(const TableTool& t) {
  std::string out = "per " + t.unit;
  if (!t.base.empty()) out += ", base " + t.base;
  if (t.minimum != "0") out += ", minimum " + t.minimum;
  if (t.rounding != "up to 1") out += ", rounding " + t.rounding;
  return out;
}

std::string default_job(const TableTool& t) {
  if (!t.default_total) return "";
  std::string unit = t.unit == "generation"
                         ? ""
                         : (t.unit == "1k_tokens" ? " per 1,000 tokens" : " per " + t.unit);
  return "default job: " + credits_word(*t.default_total) + unit;
}

std::string pad(std::string s, size_t width) {
  size_t w = 0;
  for (unsigned char ch : s) w += (ch & 0xC0) != 0x80;
  s.append(w < width ? width - w : 1, ' ');
  return s;
}

std::string option_text(const TableOption& o) {
  std::string out = o.effect;
  if (!o.included_in.empty()) {
    out += " (free on plan";
    out += o.included_in.size() > 1 ? "s " : " ";
    for (size_t i = 0; i < o.included_in.size(); ++i) out += (i ? ", " : "") + o.included_in[i];
    out += ")";
  }
  return out;
}

std::string md_cell(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += ' ';
    else
      out.push_back(c);
  }
  return out;
}

void json_option(JsonWriter& w, const TableOption& o) {
  w.begin_object();
  w.key("id");
  w.string(o.id);
  w.key("name");
  w.string(o.name);
  w.key("effect");
  w.string(o.kind);
  w.key("amount");
  o.amount.empty() ? w.null() : w.string(o.amount);
  w.key("text");
  w.string(o.effect);
  w.key("default");
  w.boolean(o.is_default);
  w.key("included_in");
  w.begin_array();
  for (const auto& p : o.included_in) w.string(p);
  w.end_array();
  w.end_object();
}

void json_tool(JsonWriter& w, const TableTool& t) {
  w.begin_object();
  for (auto [k, v] : {std::pair{"id", &t.id},
                      {"name", &t.name},
                      {"description", &t.description},
                      {"unit", &t.unit},
                      {"minimum", &t.minimum},
                      {"rounding", &t.rounding}}) {
    w.key(k);
    w.string(*v);
  }
  w.key("base");
  t.base.empty() ? w.null() : w.string(t.base);
  w.key("default_total");
  t.default_total ? w.string(format_credits(*t.default_total)) : w.null();
  w.key("default_total_micro");
  t.default_total ? w.integer(t.default_total->micro) : w.null();
  w.key("params");
  w.begin_array();
  for (const TableParam& p : t.params) {
    w.begin_object();
    for (auto [k, v] :
         {std::pair{"id", &p.id}, {"name", &p.name}, {"kind", &p.kind}, {"detail", &p.detail}}) {
      w.key(k);
      w.string(*v);
    }
    w.key("options");
    w.begin_array();
    for (const TableOption& o : p.options) json_option(w, o);
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

}  // namespace

std::string render_table_text(const PriceTable& table) {
  std::string out =
      table.name + " — price book " + table.version + ", effective " + table.effective_at + "\n";
  std::string value = credit_value_line(table);
  if (!value.empty()) out += value + "\n";
  if (!table.upcoming.empty()) out += upcoming_line(table) + "\n";
  out += "(* marks the default)\n";
  for (const TableTool& t : table.tools) {
    out += "\n" + t.id + " — " + t.name + " (" + tool_facts(t) + ")\n";
    for (const TableParam& p : t.params) {
      out += "  " + p.name + " (" + p.kind + ", " + p.detail + ")\n";
      for (const TableOption& o : p.options) {
        bool named = o.id != o.name && p.kind != "switch";
        std::string id = p.kind == "switch" ? o.name : o.id;
        out += "    " + pad(id + (o.is_default ? " *" : ""), 22) + pad(named ? o.name : "", 22) +
               option_text(o) + "\n";
      }
    }
    std::string job = default_job(t);
    if (!job.empty()) out += "  " + job + "\n";
  }
  return out;
}

std::string render_table_markdown(const PriceTable& table) {
  std::string out = "# " + md_cell(table.name) + " price table\n\nPrice book `" + table.version +
                    "`, effective " + table.effective_at + ".";
  std::string value = credit_value_line(table);
  if (!value.empty()) out += " " + value + ".";
  if (!table.upcoming.empty()) out += " " + upcoming_line(table);
  out += "\n";
  for (const TableTool& t : table.tools) {
    out += "\n## " + md_cell(t.name) + " (`" + t.id + "`)\n\n";
    if (!t.description.empty()) out += md_cell(t.description) + "\n\n";
    std::string facts = tool_facts(t);
    facts[0] = static_cast<char>(std::toupper(facts[0]));
    std::string job = default_job(t);
    if (!job.empty()) job[0] = static_cast<char>(std::toupper(job[0]));
    out += facts + "." + (job.empty() ? "" : " " + job + ".") + "\n";
    if (t.params.empty()) continue;
    out += "\n| parameter | option | cost |\n|---|---|---|\n";
    for (const TableParam& p : t.params) {
      for (const TableOption& o : p.options) {
        std::string option =
            o.id == o.name ? "`" + o.id + "`" : md_cell(o.name) + " (`" + o.id + "`)";
        if (o.is_default) option += " (default)";
        out += "| " + md_cell(p.name) + " | " + option + " | " + md_cell(option_text(o)) + " |\n";
      }
    }
  }
  return out;
}

std::string render_table_json(const PriceTable& table,
                              const std::function<void(JsonWriter&)>& more) {
  JsonWriter w;
  w.begin_object();
  w.key("name");
  w.string(table.name);
  w.key("version");
  w.string(table.version);
  w.key("effective_at");
  w.string(table.effective_at);
  w.key("credit_value");
  w.begin_array();
  for (const CreditValue& v : table.credit_values) {
    w.begin_object();
    w.key("currency");
    w.string(v.currency);
    w.key("min");
    w.string(v.min_major);
    w.key("max");
    w.string(v.max_major);
    w.key("packs");
    w.integer(v.packs);
    w.end_object();
  }
  w.end_array();
  w.key("tools");
  w.begin_array();
  for (const TableTool& t : table.tools) json_tool(w, t);
  w.end_array();
  w.key("upcoming");
  w.begin_array();
  for (const UpcomingVersion& v : table.upcoming) {
    w.begin_object();
    w.key("name");
    w.string(v.name);
    w.key("version");
    w.string(v.version);
    w.key("effective_at");
    w.string(v.effective_at);
    w.end_object();
  }
  w.end_array();
  if (more) more(w);
  w.end_object();
  return w.take();
}

}  // namespace tally::pricing
