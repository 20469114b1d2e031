#include "pricing/loader.h"

#include <fstream>
#include <sstream>

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

bool is_currency(std::string_view s) {
  return s.size() == 3 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

Pack read_pack(BookReader& r, const toml::node& n) {
  const toml::table& t = r.as_table(n, "packs entry");
  Pack p;
  p.id = r.read_id(r.require(t, "id", "[[packs]] entry"), "packs.id");
  std::string what = "pack " + p.id;
  const toml::node& c = r.require(t, "credits", what);
  auto credits = to_credits_exact(r.read_amount(c, what + ".credits"));
  if (!credits || !credits->is_positive()) r.fail(c.source(), what + ".credits must be positive");
  p.credits = *credits;
  if (const toml::node* prices = t.get("prices")) {
    for (auto [key, node] : r.in_file_order(r.as_table(*prices, what + ".prices"))) {
      if (!is_currency(key->str())) {
        r.fail(key->source(), what + ".prices: \"" + std::string(key->str()) +
                                  "\" is not an ISO 4217 currency code such as USD");
      }
      int64_t minor = r.read_integer(
          *node,
          what + ".prices." + std::string(key->str()) + " (integer minor units, e.g. 999 for 9.99)",
          0, int64_t{1} << 50);
      p.prices.push_back(PackPrice{std::string(key->str()), minor});
    }
  }
  return p;
}

std::vector<Pack> read_packs(BookReader& r, const toml::node& n) {
  const toml::array& arr = r.as_array(n, "packs (write [[packs]])");
  if (arr.size() > k_packs_max)
    r.fail(n.source(), "at most " + std::to_string(k_packs_max) + " packs");
  std::vector<Pack> packs;
  for (const toml::node& e : arr) packs.push_back(read_pack(r, e));
  return packs;
}

}  // namespace

std::expected<LoadedConfig, PricingError> parse_config(std::string_view text,
                                                       std::string_view file) {
  BookReader r{std::string(file)};
  try {
    toml::table root = toml::parse(text, file);
    const toml::node* book_node = root.get("price_book");
    if (book_node == nullptr) {
      r.fail(root.source(), "no [price_book] table (see docs/pricing.md)");
    }
    LoadedConfig out;
    out.book = std::make_shared<const PriceBook>(read_book(r, *book_node));
    if (const toml::node* packs = root.get("packs")) out.packs = read_packs(r, *packs);
    return out;
  } catch (const toml::parse_error& e) {
    const auto& at = e.source().begin;
    return std::unexpected(PricingError{PricingErrorCode::invalid_book,
                                        std::string(e.description()),
                                        SourcePosition{std::string(file), at.line, at.column}});
  } catch (const detail::LoadFailure& f) {
    return std::unexpected(f.error);
  }
}

std::expected<LoadedConfig, PricingError> load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::unexpected(PricingError{PricingErrorCode::io_error, "cannot open " + path, {}});
  }
  std::string text;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > k_config_bytes_max) {
      return std::unexpected(
          PricingError{PricingErrorCode::io_error,
                       path + " is larger than " + std::to_string(k_config_bytes_max) + " bytes",
                       {}});
    }
  }
  if (in.bad()) {
    return std::unexpected(PricingError{PricingErrorCode::io_error, "cannot read " + path, {}});
  }
  return parse_config(text, path);
}

}  // namespace tally::pricing
