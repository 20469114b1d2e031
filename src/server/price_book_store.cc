#include "server/price_book_store.h"

#include <sqlite3.h>

#include <vector>

#include "config/config.h"
#include "ledger/text.h"

namespace tally::server {
namespace {

struct Db {
  sqlite3* db = nullptr;
  ~Db() { sqlite3_close(db); }
};

std::string sqlite_error(sqlite3* db, std::string_view what) {
  return cat(what, ": ", sqlite3_errmsg(db));
}

}  // namespace

std::expected<std::shared_ptr<pricing::PriceVersions>, std::string> open_price_versions(
    const std::string& data_dir, std::string_view config_text, std::string_view config_name) {
  auto current = config::parse_config(config_text, config_name);
  if (!current) return std::unexpected(current.error().to_string());
  if (!current->price_book) return std::unexpected("the configuration has no [price_book]");

  const std::string path = data_dir + "/price_books.db";
  Db d;
  if (sqlite3_open(path.c_str(), &d.db) != SQLITE_OK) return std::unexpected(sqlite_error(d.db, path));
  if (sqlite3_exec(d.db,
                   "PRAGMA synchronous=FULL;"
                   "CREATE TABLE IF NOT EXISTS price_books (version TEXT PRIMARY KEY,"
                   " effective_at_us INTEGER NOT NULL, config TEXT NOT NULL);",
                   nullptr, nullptr, nullptr) != SQLITE_OK) {
    return std::unexpected(sqlite_error(d.db, path));
  }
  // Each stored version is kept as the configuration text it came in (its [price_book] is
  // what counts), parsed again like any configuration.
  std::vector<std::shared_ptr<const pricing::PriceBook>> books;
  bool stored = false;
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(d.db, "SELECT version, config FROM price_books", -1, &q, nullptr);
  while (sqlite3_step(q) == SQLITE_ROW) {
    const std::string version(reinterpret_cast<const char*>(sqlite3_column_text(q, 0)));
    const std::string text(reinterpret_cast<const char*>(sqlite3_column_text(q, 1)));
    auto c = config::parse_config(text, cat(path, " (version ", version, ")"));
    if (!c || !c->price_book) {
      sqlite3_finalize(q);
      return std::unexpected(cat("stored price book ", version, " is not readable: ",
                                 c ? std::string("no [price_book]") : c.error().to_string()));
    }
    stored = stored || version == current->price_book->version;
    books.push_back(c->price_book);
  }
  sqlite3_finalize(q);
  if (!stored) books.push_back(current->price_book);

  auto versions = std::make_shared<pricing::PriceVersions>();
  if (auto added = versions->add_all(books); !added) {
    return std::unexpected(cat(added.error().to_string(), " (", path, " keeps every version run)"));
  }
  if (stored) {  // the same id: the same content, or a conflict
    if (auto same = versions->add(current->price_book); !same) {
      return std::unexpected(cat(same.error().to_string(), " (", path, ")"));
    }
    return versions;
  }
  sqlite3_prepare_v2(d.db, "INSERT INTO price_books (version, effective_at_us, config) VALUES (?,?,?)",
                     -1, &q, nullptr);
  sqlite3_bind_text(q, 1, current->price_book->version.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(q, 2, current->price_book->effective_at.us);
  sqlite3_bind_text(q, 3, config_text.data(), static_cast<int>(config_text.size()), SQLITE_TRANSIENT);
  const int rc = sqlite3_step(q);
  sqlite3_finalize(q);
  if (rc != SQLITE_DONE) return std::unexpected(sqlite_error(d.db, "storing the price book"));
  return versions;
}

}  // namespace tally::server
