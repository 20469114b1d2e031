#include "store/pg_conn.h"

#include <libpq-fe.h>

#include <algorithm>

#include "ledger/text.h"

namespace tally::store::pg {
namespace {

std::string big_endian(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

// An element of a text[] literal: quoted, with `"` and `\` escaped.
void append_array_element(std::string* out, std::string_view v) {
  out->push_back('"');
  for (const char c : v) {
    if (c == '"' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
}

}  // namespace

std::string first_line(std::string_view message) {
  const size_t end = message.find('\n');
  std::string line(message.substr(0, end));
  if (line.starts_with("ERROR:  ")) line.erase(0, 8);
  return line.empty() ? std::string("unknown error") : line;
}

std::string writer_session_sql(int64_t lease_ms) {
  return cat("SET idle_in_transaction_session_timeout = ", std::max<int64_t>(lease_ms / 2, 1));
}

Params& Params::add(std::string v, int format, bool is_null) {
  lengths_.push_back(static_cast<int>(v.size()));
  formats_.push_back(format);
  nulls_.push_back(is_null);
  values_.push_back(std::move(v));
  return *this;
}

Params& Params::i64(int64_t v) {
  return add(big_endian(static_cast<uint64_t>(v)), 1);
}
Params& Params::text(std::string_view v) {
  return add(std::string(v), 1);
}
Params& Params::bytes(std::string_view v) {
  return add(std::string(v), 1);
}
Params& Params::null() {
  return add(std::string(), 1, true);
}
Params& Params::text_array(const std::vector<std::string>& values) {
  std::string literal = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) literal.push_back(',');
    append_array_element(&literal, values[i]);
  }
  literal.push_back('}');
  return add(std::move(literal), 0);
}

std::vector<const char*> Params::pointers() const {
  std::vector<const char*> out(values_.size());
  for (size_t i = 0; i < values_.size(); ++i) out[i] = nulls_[i] ? nullptr : values_[i].data();
  return out;
}

Rows::Rows(pg_result* r) : r_(r), n_(r ? PQntuples(r) : 0) {}
Rows::~Rows() {
  PQclear(r_);
}

bool Rows::is_null(int row, int col) const {
  return PQgetisnull(r_, row, col) != 0;
}

int64_t Rows::i64(int row, int col) const {
  const auto* p = reinterpret_cast<const unsigned char*>(PQgetvalue(r_, row, col));
  const int n = PQgetlength(r_, row, col);  // 8 (bigint); 4 or 2 for a smaller integer
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  if (n > 0 && n < 8 && (p[0] & 0x80)) v |= ~uint64_t{0} << (8 * n);  // sign-extend
  return static_cast<int64_t>(v);
}

std::string Rows::text(int row, int col) const {
  return std::string(bytes(row, col));
}

std::string_view Rows::bytes(int row, int col) const {
  return std::string_view(PQgetvalue(r_, row, col), static_cast<size_t>(PQgetlength(r_, row, col)));
}

std::expected<std::unique_ptr<Connection>, std::string> Connection::open(
    const std::string& url, const std::string& schema) {
  // Later keywords win, and the URL is expanded where it stands: its own connect_timeout or
  // application_name override these defaults.
  const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"10", "tally", url.c_str(), nullptr};
  PGconn* c = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (c == nullptr) return std::unexpected("cannot connect to PostgreSQL: out of memory");
  if (PQstatus(c) != CONNECTION_OK) {
    const char* host = PQhost(c);
    const char* port = PQport(c);
    std::string message =
        cat("cannot connect to PostgreSQL at ", host && *host ? host : "(default host)", ":",
            port && *port ? port : "5432", ": ", first_line(PQerrorMessage(c)));
    PQfinish(c);
    return std::unexpected(std::move(message));
  }
  // CREATE ... IF NOT EXISTS and the like send notices: not for the log.
  PQsetNoticeProcessor(
      c, [](void*, const char*) {}, nullptr);
  std::unique_ptr<Connection> conn(new Connection(c));
  std::string setup = "SET synchronous_commit = on; SET client_min_messages = warning;";
  if (!schema.empty()) {
    char* quoted = PQescapeIdentifier(c, schema.data(), schema.size());
    if (quoted == nullptr) return std::unexpected(cat("schema name: ", conn->error_text()));
    setup += cat(" SET search_path TO ", quoted, ";");
    PQfreemem(quoted);
  }
  if (auto r = conn->exec(setup); !r) return std::unexpected(cat(conn->where(), ": ", r.error()));
  return conn;
}

Connection::~Connection() {
  PQfinish(conn_);
}

std::string Connection::error_text() const {
  return first_line(PQerrorMessage(conn_));
}

std::string Connection::where() const {
  return cat("PostgreSQL at ", PQhost(conn_), ":", PQport(conn_));
}

bool Connection::alive() {
  // A read that finds data returns without looking further, and a backend ending the session
  // sends its FATAL message before closing: read again, to the end of stream behind it.
  for (int i = 0; i < 4; ++i) {
    if (PQstatus(conn_) != CONNECTION_OK || PQconsumeInput(conn_) == 0) return false;
  }
  return PQstatus(conn_) == CONNECTION_OK;
}

std::expected<void, std::string> Connection::exec(const std::string& sql) {
  PGresult* r = PQexec(conn_, sql.c_str());
  const ExecStatusType status = PQresultStatus(r);
  std::string error = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK
                          ? ""
                          : first_line(PQresultErrorMessage(r));
  if (r == nullptr) error = error_text();
  PQclear(r);
  if (!error.empty()) return std::unexpected(error);
  return {};
}

std::expected<std::string, std::string> Connection::prepared(const char* sql, int params,
                                                             bool pipelined) {
  auto it = prepared_.find(sql);
  if (it != prepared_.end()) return it->second;
  std::string name = cat("tally_", prepared_.size());
  if (pipelined) {
    if (PQsendPrepare(conn_, name.c_str(), sql, params, nullptr) == 0) {
      return std::unexpected(error_text());
    }
  } else {
    PGresult* r = PQprepare(conn_, name.c_str(), sql, params, nullptr);
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    std::string error = ok ? "" : first_line(r ? PQresultErrorMessage(r) : PQerrorMessage(conn_));
    PQclear(r);
    if (!ok) return std::unexpected(cat(error, " (preparing: ", first_line(sql), ")"));
  }
  prepared_.emplace(sql, name);
  return name;
}

std::expected<Rows, std::string> Connection::query(const char* sql, const Params& params) {
  auto name = prepared(sql, params.count(), false);
  if (!name) return std::unexpected(name.error());
  const std::vector<const char*> values = params.pointers();
  PGresult* r = PQexecPrepared(conn_, name->c_str(), params.count(), values.data(),
                               params.lengths().data(), params.formats().data(), /*binary=*/1);
  const ExecStatusType status = PQresultStatus(r);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    std::string error = r ? first_line(PQresultErrorMessage(r)) : error_text();
    PQclear(r);
    return std::unexpected(std::move(error));
  }
  return Rows(r);
}

std::expected<void, std::string> Connection::read_to_sync() {
  std::string error;
  int nulls = 0;
  for (;;) {
    PGresult* r = PQgetResult(conn_);
    if (r == nullptr) {
      // One NULL ends each statement's results; two in a row: the connection is gone.
      if (++nulls > 1 || PQstatus(conn_) == CONNECTION_BAD) {
        return std::unexpected(error.empty() ? error_text() : error);
      }
      continue;
    }
    nulls = 0;
    const ExecStatusType status = PQresultStatus(r);
    if (status == PGRES_FATAL_ERROR && error.empty()) {
      error = first_line(PQresultErrorMessage(r));
    }
    PQclear(r);
    if (status == PGRES_PIPELINE_SYNC) break;
  }
  if (!error.empty()) return std::unexpected(error);
  return {};
}

std::expected<void, std::string> Connection::send_chunk(const std::vector<Queued>& statements,
                                                        size_t from, size_t to, bool first,
                                                        bool last) {
  auto send_plain = [this](const char* sql) {
    return PQsendQueryParams(conn_, sql, 0, nullptr, nullptr, nullptr, nullptr, 1) != 0;
  };
  if (first && !send_plain("BEGIN")) return std::unexpected(error_text());
  for (size_t i = from; i < to; ++i) {
    const Queued& q = statements[i];
    auto name = prepared(q.sql, q.params.count(), true);
    if (!name) return std::unexpected(name.error());
    const std::vector<const char*> values = q.params.pointers();
    if (PQsendQueryPrepared(conn_, name->c_str(), q.params.count(), values.data(),
                            q.params.lengths().data(), q.params.formats().data(), 1) == 0) {
      return std::unexpected(error_text());
    }
  }
  if (last && !send_plain("COMMIT")) return std::unexpected(error_text());
  if (PQpipelineSync(conn_) == 0) return std::unexpected(error_text());
  return {};
}

std::expected<void, std::string> Connection::transaction(const std::vector<Queued>& statements) {
  if (PQenterPipelineMode(conn_) == 0) return std::unexpected(error_text());
  std::expected<void, std::string> r;
  // A sync point inside the transaction block ends a chunk without committing: the results
  // read so far free the server's output, so a large batch never fills both sockets' buffers.
  for (size_t from = 0;; from += k_pipeline_chunk) {
    const size_t to = std::min(statements.size(), from + k_pipeline_chunk);
    r = send_chunk(statements, from, to, from == 0, to == statements.size());
    if (!r) {
      // A send that failed (the connection broke): what was queued is synced and dropped.
      (void)PQpipelineSync(conn_);
      (void)read_to_sync();
      break;
    }
    r = read_to_sync();
    if (!r || to == statements.size()) break;
  }
  PQexitPipelineMode(conn_);
  if (!r) {
    (void)exec("ROLLBACK");
    (void)exec("DEALLOCATE ALL");
    prepared_.clear();
  }
  return r;
}

std::expected<Connection*, std::string> LazyConnection::get() {
  if (!conn_) {
    auto c = Connection::open(url_, schema_);
    if (!c) return std::unexpected(cat(what_, ": ", c.error()));
    conn_ = std::move(*c);
  }
  return conn_.get();
}

std::string LazyConnection::failed(std::string_view step, const std::string& message) {
  const std::string where = conn_ ? conn_->where() : std::string("PostgreSQL");
  conn_.reset();
  return cat(where, ": ", what_, ": ", step, ": ", message);
}

}  // namespace tally::store::pg
