// Internal to PgStore: one libpq connection with its prepared statements, statement parameters
// and result rows in PostgreSQL's binary format, and a pipeline that sends many statements in
// one round trip. libpq's own header stays in pg_conn.cc.
//
// Every integer column Tally stores is `bigint`, so an integer travels as 8 bytes big-endian in
// both directions; texts as their bytes, `bytea` as its bytes. Every function returns an error
// text on failure (PostgreSQL's message, first line).
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;
struct pg_result;

namespace tally::store::pg {

// The values of one statement's $1, $2, ... in order.
class Params {
 public:
  Params& i64(int64_t v);
  Params& text(std::string_view v);
  Params& bytes(std::string_view v);  // a bytea
  Params& null();
  // A text[] (for `= ANY($n::text[])`), sent in text format.
  Params& text_array(const std::vector<std::string>& values);

  int count() const { return static_cast<int>(values_.size()); }
  std::vector<const char*> pointers() const;
  const std::vector<int>& lengths() const { return lengths_; }
  const std::vector<int>& formats() const { return formats_; }

 private:
  Params& add(std::string v, int format, bool is_null = false);
  std::vector<std::string> values_;
  std::vector<int> lengths_, formats_;
  std::vector<bool> nulls_;
};

// The rows of one statement (binary format). Owns its result.
class Rows {
 public:
  explicit Rows(pg_result* r);
  ~Rows();
  Rows(Rows&& o) noexcept : r_(o.r_), n_(o.n_) { o.r_ = nullptr; }
  Rows& operator=(Rows&&) = delete;
  Rows(const Rows&) = delete;

  int size() const { return n_; }
  bool is_null(int row, int col) const;
  int64_t i64(int row, int col) const;  // a bigint column (0 if NULL)
  std::string text(int row, int col) const;
  std::string_view bytes(int row, int col) const;  // valid while the Rows are

 private:
  pg_result* r_;
  int n_ = 0;
};

// One row of a Rows, in the shape the row readers take (col is 0-based).
struct Row {
  const Rows& rows;
  int row;
  bool is_null(int col) const { return rows.is_null(row, col); }
  int64_t i64(int col) const { return rows.i64(row, col); }
  std::string text(int col) const { return rows.text(row, col); }
  std::string_view bytes(int col) const { return rows.bytes(row, col); }
};

// A statement queued for a pipeline: its SQL (a literal: prepared once per connection, by
// address) and its parameters.
struct Queued {
  const char* sql;
  Params params;
};

class Connection {
 public:
  // Connects to `url` (a libpq URI or key=value string) with a 10 s connect timeout unless the
  // URL sets one, sets synchronous_commit = on and, if `schema` is not empty, the search path
  // to it. The error names the host and port and what libpq said; never the password.
  static std::expected<std::unique_ptr<Connection>, std::string> open(const std::string& url,
                                                                      const std::string& schema);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs `sql` (one or more statements, no parameters), simple protocol.
  std::expected<void, std::string> exec(const std::string& sql);
  // Runs one statement, prepared on first use.
  std::expected<Rows, std::string> query(const char* sql, const Params& params = {});
  // Runs `statements` in order in one transaction (BEGIN ... COMMIT), pipelined: a round trip
  // per k_pipeline_chunk statements, not one per statement. On the first error the transaction
  // is rolled back and nothing of it is written.
  std::expected<void, std::string> transaction(const std::vector<Queued>& statements);
  static constexpr size_t k_pipeline_chunk = 512;

  // "host:port" as connected, for messages.
  std::string where() const;
  // Whether the connection is still up, as far as the socket tells without a round trip: reads
  // what the server sent (an end of stream when its server died, was stopped or terminated the
  // session) and says false once libpq marked it broken. Only between statements.
  bool alive();

 private:
  explicit Connection(pg_conn* c) : conn_(c) {}
  // The name `sql` is prepared under (preparing it now, or queueing the prepare when
  // `pipelined`).
  std::expected<std::string, std::string> prepared(const char* sql, int params, bool pipelined);
  std::expected<void, std::string> send_chunk(const std::vector<Queued>& statements, size_t from,
                                              size_t to, bool first, bool last);
  std::expected<void, std::string> read_to_sync();
  std::string error_text() const;

  pg_conn* conn_;
  std::map<const char*, std::string> prepared_;
};

// A connection opened on first use, and again by the next get() after failed(): a restarted
// or promoted PostgreSQL is picked up. For the small tables beside the ledger (payments, keys).
// Not thread-safe: the owner serialises its calls.
class LazyConnection {
 public:
  // `what` names the owner in messages ("payments").
  LazyConnection(std::string url, std::string schema, std::string what)
      : url_(std::move(url)), schema_(std::move(schema)), what_(std::move(what)) {}
  std::expected<Connection*, std::string> get();
  // "host:port: what: step: message", and the connection dropped.
  std::string failed(std::string_view step, const std::string& message);

 private:
  std::string url_, schema_, what_;
  std::unique_ptr<Connection> conn_;
};
// The session settings of a shard's writer connection under a lease of `lease_ms`
// (PgOptions::lease_ms): idle_in_transaction_session_timeout at half the lease, so a node
// paused between two chunks of a commit holds its lease row's lock no longer. No
// statement_timeout: docs/storage.md "A paused writer" says why.
std::string writer_session_sql(int64_t lease_ms);

// The first line of a libpq or server message.
std::string first_line(std::string_view message);

}  // namespace tally::store::pg
