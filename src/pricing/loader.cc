#include "pricing/loader.h"

#include "config/toml_reader.h"
#include "pricing/loader_reader.h"

namespace tally::pricing {
namespace {

using detail::BookReader;

void read_version(BookReader& r, const toml::table& t, PriceBook& book) {
  const toml::node& v = r.require(t, "version", "[price_book]");
  book.version = r.read_string(v, "price_book.version", k_id_length_max);
  r.check_id(v.source(), book.version, "price_book.version");
  book.effective_at =
      r.read_time(r.require(t, "effective_at", "[price_book]"), "price_book.effective_at");
}

PriceBook read_book(BookReader& r, const toml::node& n) {
  const toml::table& t = r.as_table(n, "price_book");
  r.check_keys(t, {"name", "version", "effective_at", "rounding", "tools"}, "[price_book]");
  PriceBook book;
  read_version(r, t, book);
  book.name = t.get("name") ? r.read_string(*t.get("name"), "price_book.name", k_name_length_max)
                            : book.version;
  if (const toml::node* rn = t.get("rounding"))
    book.rounding = r.read_rounding(*rn, "price_book.rounding");
  const toml::node& tools_node = r.require(t, "tools", "[price_book]");
  const toml::table& tools = r.as_table(tools_node, "price_book.tools");
  if (tools.empty() || tools.size() > k_tools_per_book_max) {
    r.fail(tools_node.source(),
           "a price book needs 1 to " + std::to_string(k_tools_per_book_max) + " tools");
  }
  for (auto [key, node] : r.in_file_order(tools)) {
    book.tools.push_back(r.read_tool(*key, *node, book.rounding));
  }
  book.plans = r.plans();
  book.index_tools();
  return book;
}

}  // namespace

std::expected<std::shared_ptr<const PriceBook>, PricingError> read_price_book(
    const toml::node& price_book_table, std::string_view file) {
  BookReader r{std::string(file)};
  try {
    return std::make_shared<const PriceBook>(read_book(r, price_book_table));
  } catch (const config::ConfigFailure& f) {
    return std::unexpected(from_config_error(f.error));
  }
}

std::expected<std::shared_ptr<const PriceBook>, PricingError> parse_price_book(
    std::string_view text, std::string_view file) {
  auto root = config::parse_toml(text, file);
  if (!root) return std::unexpected(from_config_error(root.error()));
  const toml::node* book = root->get("price_book");
  if (book == nullptr) {
    const auto& at = root->source().begin;
    return std::unexpected(PricingError{PricingErrorCode::invalid_book,
                                        "no [price_book] table (see docs/pricing.md)",
                                        SourcePosition{std::string(file), at.line, at.column}});
  }
  return read_price_book(*book, file);
}

std::expected<std::shared_ptr<const PriceBook>, PricingError> load_price_book_file(
    const std::string& path) {
  auto text = config::read_config_text(path);
  if (!text) return std::unexpected(from_config_error(text.error()));
  return parse_price_book(*text, path);
}

}  // namespace tally::pricing
