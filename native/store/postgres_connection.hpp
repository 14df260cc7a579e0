// One libpq connection driven with deadlines: the PostgreSQL store's plumbing (parameters from a
// URI, statements that cannot hang, failures turned into sentences). Internal to native/store.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace latchkey::native::detail {

using PgClock = std::chrono::steady_clock;

struct PgResultFree {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, PgResultFree>;
struct PgConnFree {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using PgConn = std::unique_ptr<PGconn, PgConnFree>;

/// The parameters to connect with: ours (bounded timeouts, keepalives, application_name) under
/// whatever the URI says, which wins.
class PgParams {
 public:
  /// Fills `out` from `uri` and returns "", or returns why the URI is refused: not a URI libpq
  /// reads, or one carrying a password. The sentence never repeats the URI (it may hold a secret).
  static std::string parse(const std::string& uri, PgParams* out);

  /// Connects, blocking for at most connect_timeout. Never null; check PQstatus.
  PgConn connect() const;
  /// Starts a connection without blocking (PQconnectStartParams); null if libpq is out of memory.
  PgConn start() const;

 private:
  PgConn open(bool blocking) const;
  std::vector<std::string> keys_, values_;
};

/// A statement's parameters. Keys and values are sent as bytea in binary (any byte as it is),
/// integers as int8 text.
class PgParamList {
 public:
  /// `bytes` must outlive the statement.
  void bytes(const std::string& bytes);
  void int8(std::int64_t value);
  void null_int8();

  int size() const { return static_cast<int>(values_.size()); }
  const Oid* types() const { return types_.data(); }
  const char* const* values() const { return values_.data(); }
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  std::vector<Oid> types_;
  std::vector<const char*> values_;
  std::vector<int> lengths_, formats_;
  std::deque<std::string> texts_;  // a deque: growing it moves no string whose data() we hold
};

enum class Outcome {
  ok,         ///< result holds the (last) answer
  sql_error,  ///< the server refused the statement; the connection is fine
  not_sent,   ///< the connection was already broken: nothing reached the server
  lost,       ///< the connection broke with the statement in flight: it may have run
  timed_out,  ///< no answer before the deadline: drop the connection (it may still run)
};

struct Answer {
  Outcome outcome = Outcome::ok;
  PgResult result;
  std::string message;  ///< libpq's or the server's words, on one line
  std::string sqlstate;
};

/// Sends `sql` (one statement, with `params`; binary results) on a non-blocking connection and
/// waits for its answer until `deadline`.
Answer pg_run(PGconn* conn, const char* sql, const PgParamList& params, PgClock::time_point deadline);
/// The same for a string of several statements without parameters (text results), run by the
/// server as one implicit transaction.
Answer pg_run_script(PGconn* conn, const char* sql, PgClock::time_point deadline);

/// Waits until `conn`'s socket is readable (or, with `write`, also writable) or `deadline`
/// passes; false when it passed.
bool pg_wait(PGconn* conn, bool write, PgClock::time_point deadline);

/// libpq's message for `conn` on one line.
std::string pg_message(PGconn* conn);

/// Reading binary results: an int8, a bool, the bytes of a bytea.
std::int64_t pg_int8(const PGresult* r, int row, int column);
bool pg_bool(const PGresult* r, int row, int column);
std::string pg_bytes(const PGresult* r, int row, int column);

}  // namespace latchkey::native::detail
