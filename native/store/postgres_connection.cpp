// libpq with deadlines. libpq's own blocking calls (PQexec) wait as long as the network lets them;
// a gateway thread must not, so statements are sent on a non-blocking connection and their
// answers waited for with poll() up to a deadline.
#include "store/postgres_connection.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace latchkey::native::detail {
namespace {

constexpr Oid kInt8Oid = 20;
constexpr Oid kByteaOid = 17;

// Our defaults, each overridden by the URI when it sets the same key. connect_timeout bounds a
// connection attempt (libpq's minimum is 2 s); tcp_user_timeout and the keepalives make a
// connection whose peer vanished (a machine gone, a network cut) fail in seconds rather than
// after the kernel's retransmissions (minutes).
constexpr const char* kDefaults[][2] = {
    {"connect_timeout", "2"},   {"application_name", "latchkey"}, {"tcp_user_timeout", "10000"},
    {"keepalives", "1"},        {"keepalives_idle", "5"},          {"keepalives_interval", "2"},
    {"keepalives_count", "3"},
};

std::string one_line(const char* text) {
  std::string out = text != nullptr ? text : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  for (std::size_t at; (at = out.find("\n\t")) != std::string::npos;) out.replace(at, 2, "; ");
  std::replace(out.begin(), out.end(), '\n', ' ');
  return out;
}

int remaining_ms(PgClock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - PgClock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 60000));
}

// After a statement was handed to libpq: flushes it and reads every result until the deadline.
Answer collect(PGconn* conn, PgClock::time_point deadline) {
  Answer a;
  auto broken = [&](Outcome why) {
    a.outcome = why;
    a.result.reset();
    if (why == Outcome::timed_out) {
      a.message = "PostgreSQL did not answer in time";
    } else {
      a.message = pg_message(conn);
    }
    return std::move(a);
  };
  for (;;) {
    const int flushed = PQflush(conn);
    if (flushed == 0) break;
    if (flushed < 0) return broken(Outcome::lost);
    if (!pg_wait(conn, true, deadline)) return broken(Outcome::timed_out);
    if (PQconsumeInput(conn) == 0) return broken(Outcome::lost);
  }
  PgResult error;
  for (;;) {
    while (PQisBusy(conn)) {
      if (!pg_wait(conn, false, deadline)) return broken(Outcome::timed_out);
      if (PQconsumeInput(conn) == 0) return broken(Outcome::lost);
    }
    PgResult r(PQgetResult(conn));
    if (!r) break;
    const ExecStatusType status = PQresultStatus(r.get());
    if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK || status == PGRES_EMPTY_QUERY) {
      a.result = std::move(r);
    } else if (!error) {
      error = std::move(r);
    }
  }
  if (PQstatus(conn) == CONNECTION_BAD) return broken(Outcome::lost);
  if (error) {
    a.outcome = Outcome::sql_error;
    a.message = one_line(PQresultErrorMessage(error.get()));
    const char* state = PQresultErrorField(error.get(), PG_DIAG_SQLSTATE);
    a.sqlstate = state != nullptr ? state : "";
    a.result = std::move(error);
  }
  return a;
}

}  // namespace

std::string PgParams::parse(const std::string& uri, PgParams* out) {
  char* why = nullptr;
  PQconninfoOption* options = PQconninfoParse(uri.c_str(), &why);
  if (options == nullptr) {
    // libpq's reason may quote the URI, and the URI a password: say only what shape is wanted.
    PQfreemem(why);
    return "the store's PostgreSQL URI is not one libpq reads; write it as "
           "postgresql://USER@HOST:PORT/DATABASE?sslmode=… (see the libpq documentation, \"Connection URIs\")";
  }
  bool has_password = false;
  for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (std::strcmp(o->keyword, "password") == 0 && o->val != nullptr && *o->val != '\0') has_password = true;
  }
  PQconninfoFree(options);
  if (has_password) {
    return "the store's PostgreSQL URI carries a password, which the process list, shell history and config "
           "files would keep; remove it from the URI and give it in a password file (PGPASSFILE, 0600, or "
           "~/.pgpass) or in PGPASSWORD";
  }
  PgParams params;
  for (const auto& kv : kDefaults) {
    params.keys_.emplace_back(kv[0]);
    params.values_.emplace_back(kv[1]);
  }
  // Last: expanded in place, so what the URI says overrides the defaults above.
  params.keys_.emplace_back("dbname");
  params.values_.push_back(uri);
  *out = std::move(params);
  return "";
}

PgConn PgParams::open(bool blocking) const {
  std::vector<const char*> keys, values;
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    keys.push_back(keys_[i].c_str());
    values.push_back(values_[i].c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  return PgConn(blocking ? PQconnectdbParams(keys.data(), values.data(), 1)
                         : PQconnectStartParams(keys.data(), values.data(), 1));
}

PgConn PgParams::connect() const { return open(true); }

PgConn PgParams::start() const { return open(false); }

void PgParamList::bytes(const std::string& bytes) {
  types_.push_back(kByteaOid);
  values_.push_back(bytes.data());
  lengths_.push_back(static_cast<int>(bytes.size()));
  formats_.push_back(1);
}

void PgParamList::int8(std::int64_t value) {
  texts_.push_back(std::to_string(value));
  types_.push_back(kInt8Oid);
  values_.push_back(texts_.back().c_str());
  lengths_.push_back(0);
  formats_.push_back(0);
}

void PgParamList::null_int8() {
  types_.push_back(kInt8Oid);
  values_.push_back(nullptr);
  lengths_.push_back(0);
  formats_.push_back(0);
}

Answer pg_run(PGconn* conn, const char* sql, const PgParamList& params, PgClock::time_point deadline) {
  if (PQsendQueryParams(conn, sql, params.size(), params.types(), params.values(), params.lengths(),
                        params.formats(), 1) == 0) {
    Answer a;
    a.outcome = PQstatus(conn) == CONNECTION_BAD ? Outcome::not_sent : Outcome::sql_error;
    a.message = pg_message(conn);
    return a;
  }
  return collect(conn, deadline);
}

Answer pg_run_script(PGconn* conn, const char* sql, PgClock::time_point deadline) {
  if (PQsendQuery(conn, sql) == 0) {
    Answer a;
    a.outcome = PQstatus(conn) == CONNECTION_BAD ? Outcome::not_sent : Outcome::sql_error;
    a.message = pg_message(conn);
    return a;
  }
  return collect(conn, deadline);
}

bool pg_wait(PGconn* conn, bool write, PgClock::time_point deadline) {
  pollfd p{};
  p.fd = PQsocket(conn);
  if (p.fd < 0) return true;  // no socket: the next libpq call reports why
  p.events = static_cast<short>(POLLIN | (write ? POLLOUT : 0));
  for (;;) {
    const int n = ::poll(&p, 1, remaining_ms(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return true;
  }
}

std::string pg_message(PGconn* conn) {
  std::string m = one_line(PQerrorMessage(conn));
  return m.empty() ? "the connection was closed" : m;
}

std::int64_t pg_int8(const PGresult* r, int row, int column) {
  const auto* p = reinterpret_cast<const unsigned char*>(PQgetvalue(r, row, column));
  if (PQgetisnull(r, row, column) || PQgetlength(r, row, column) != 8) return 0;
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return static_cast<std::int64_t>(v);
}

bool pg_bool(const PGresult* r, int row, int column) {
  return PQgetlength(r, row, column) == 1 && PQgetvalue(r, row, column)[0] != 0;
}

std::string pg_bytes(const PGresult* r, int row, int column) {
  return std::string(PQgetvalue(r, row, column), static_cast<std::size_t>(PQgetlength(r, row, column)));
}

}  // namespace latchkey::native::detail
