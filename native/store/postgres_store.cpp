// The PostgreSQL store: the MemoryStore semantics (core/src/store/memory_store.cpp) in tables that
// every gateway shares. Each effect is one parameterized statement in its own transaction, so
// cas and delete-at-version compare the version column atomically (an UPDATE … WHERE version = $n
// that waits for a concurrent writer's row lock and then re-checks the row); versions come from
// one sequence, drawn only by a statement that writes, so a conflict leaves no gap (except when
// two connections create the same absent key at the same moment: the loser's draw is lost).
#include "store/postgres_store.hpp"

#include "store/postgres_connection.hpp"

#include <cstdint>
#include <cstdlib>
#include <thread>
#include <utility>

namespace latchkey::native {
namespace {

using detail::Answer;
using detail::Outcome;
using detail::PgClock;
using detail::PgParamList;
using std::chrono::milliseconds;

// pg_advisory_lock's key for migrations: 'lkey'. Advisory locks are per database, so two
// latchkey databases on one server do not wait for each other.
constexpr std::int64_t kMigrationLock = 0x6c6b6579;
constexpr auto kAnswerTimeout = std::chrono::seconds(10);  // above the 5 s statement_timeout
constexpr auto kReconnectWindow = milliseconds(2000);
constexpr auto kRecheck = milliseconds(1000);  // data_version's fallback read of the counter
constexpr auto kAsyncConnectTimeout = std::chrono::seconds(5);
constexpr const char* kChannel = "latchkey_changes";

struct Migration {
  int version;
  const char* sql;  // run as one implicit transaction with its row in latchkey_schema_migrations
};

// Append-only: never edit a step that has shipped; add the next one.
constexpr Migration kMigrations[] = {
    {1,
     "CREATE SEQUENCE latchkey_versions AS bigint;"
     // bytea: keys and values are any bytes, ordered as memcmp orders them (as MemoryStore's
     // std::map and SQLite's BINARY collation do).
     "CREATE TABLE latchkey_records(key bytea PRIMARY KEY, value bytea NOT NULL, version bigint NOT NULL);"
     // One row, bumped by every committed change to a record: data_version's fallback when a
     // notification is lost. Its row lock orders the bumps, so they are committed in order.
     "CREATE TABLE latchkey_changes(one boolean PRIMARY KEY DEFAULT true CHECK (one), counter bigint NOT NULL);"
     "INSERT INTO latchkey_changes(counter) VALUES (0);"
     "CREATE FUNCTION latchkey_changed() RETURNS trigger LANGUAGE plpgsql AS $$\n"
     "DECLARE n bigint;\n"
     "BEGIN\n"
     "  UPDATE latchkey_changes SET counter = counter + 1 RETURNING counter INTO n;\n"
     "  PERFORM pg_notify('latchkey_changes', n::text);\n"
     "  RETURN NULL;\n"
     "END $$;"
     // Per row: a cas that matched nothing changed nothing and tells nobody.
     "CREATE TRIGGER latchkey_records_changed AFTER INSERT OR UPDATE OR DELETE ON latchkey_records "
     "FOR EACH ROW EXECUTE FUNCTION latchkey_changed();"
     "CREATE TRIGGER latchkey_records_truncated AFTER TRUNCATE ON latchkey_records "
     "FOR EACH STATEMENT EXECUTE FUNCTION latchkey_changed();"
     // A swap draws its version only once it holds the row's lock and has seen the expected
     // version: an UPDATE … SET version = nextval(…) WHERE version = $n would draw one for a row
     // that a concurrent writer then changed (READ COMMITTED re-checks after projecting), leaving
     // a gap per lost race. Each statement in the function sees the latest committed row.
     "CREATE FUNCTION latchkey_swap(k bytea, v bytea, expected bigint) RETURNS bigint LANGUAGE plpgsql AS $$\n"
     "DECLARE stored bigint; drawn bigint;\n"
     "BEGIN\n"
     "  SELECT version INTO stored FROM latchkey_records WHERE key = k FOR UPDATE;\n"
     "  IF NOT FOUND OR stored <> expected THEN RETURN NULL; END IF;\n"
     "  drawn := nextval('latchkey_versions');\n"
     "  UPDATE latchkey_records SET value = v, version = drawn WHERE key = k;\n"
     "  RETURN drawn;\n"
     "END $$;"},
};

constexpr bool migrations_are_numbered() {
  int i = 0;
  for (const Migration& m : kMigrations) {
    if (m.version != ++i) return false;
  }
  return true;
}
static_assert(migrations_are_numbered(), "kMigrations must be numbered 1, 2, 3, … in order");

// A statement_timeout only where neither the server nor the URI set one.
constexpr const char* kConfigure =
    "SELECT set_config('statement_timeout', '5s', false) WHERE current_setting('statement_timeout') = '0'";

constexpr const char* kGet = "SELECT value, version FROM latchkey_records WHERE key = $1";
constexpr const char* kPut =
    "INSERT INTO latchkey_records(key, value, version) VALUES ($1, $2, nextval('latchkey_versions')) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version RETURNING version";
// nextval runs only when the filter passes: a create over an existing key draws no version.
constexpr const char* kCreate =
    "INSERT INTO latchkey_records(key, value, version) "
    "SELECT $1, $2, nextval('latchkey_versions') WHERE NOT EXISTS (SELECT 1 FROM latchkey_records WHERE key = $1) "
    "ON CONFLICT (key) DO NOTHING RETURNING version";
// NULL: the version differed (or the key is absent).
constexpr const char* kSwap = "SELECT latchkey_swap($1, $2, $3)";
constexpr const char* kDelete = "DELETE FROM latchkey_records WHERE key = $1";
// Deleted, and whether it existed in the statement's snapshot (then a miss is a conflict).
constexpr const char* kDeleteAt =
    "WITH d AS (DELETE FROM latchkey_records WHERE key = $1 AND version = $2 RETURNING 1) "
    "SELECT (SELECT count(*) FROM d), EXISTS (SELECT 1 FROM latchkey_records WHERE key = $1)";
// LIMIT NULL: no limit.
constexpr const char* kListRange =
    "SELECT key, value, version FROM latchkey_records WHERE key >= $1 AND key < $2 ORDER BY key LIMIT $3";
constexpr const char* kListFrom =
    "SELECT key, value, version FROM latchkey_records WHERE key >= $1 ORDER BY key LIMIT $2";
constexpr const char* kCounter = "SELECT counter FROM latchkey_changes";


}  // namespace

const int PostgresStore::kLatestSchema = static_cast<int>(sizeof kMigrations / sizeof kMigrations[0]);

struct PostgresStore::Impl {
  std::string uri;
  detail::PgParams params;
  detail::PgConn conn;
  int schema = 0;

  // data_version's state (see the header): the change counter as last learned, whether this
  // connection LISTENs, the one statement it may have in flight, and a reconnect under way.
  std::int64_t counter = 0;
  bool watched = false;
  bool listening = false;
  enum class Pending { none, setup, probe } pending = Pending::none;
  PgClock::time_point pending_since{}, last_probe{}, next_connect{};
  detail::PgConn connecting;
  PostgresPollingStatusType connect_state = PGRES_POLLING_WRITING;
  PgClock::time_point connecting_since{};
  std::string last_failure;

  std::string unreachable(const std::string& detail) const {
    return "cannot reach the PostgreSQL store " + uri + " (" + detail +
           "); check that PostgreSQL is running and accepts connections at that host and port, and that the "
           "user, the database and its password (PGPASSFILE or PGPASSWORD) are right";
  }

  // Set when the server announced, between statements, that it is closing this connection (a
  // shutdown or restart sends FATAL 57P01 and then closes): libpq takes that for a notice and
  // keeps the connection "OK" until it reads the EOF, so a write would be sent into it.
  bool server_closing = false;

  static void on_notice(void* self, const PGresult* notice) {
    const char* severity = PQresultErrorField(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (severity != nullptr && (std::string(severity) == "FATAL" || std::string(severity) == "PANIC")) {
      static_cast<Impl*>(self)->server_closing = true;
    }
    // Other notices ("relation … already exists, skipping") are not the user's business.
  }

  void drop() {
    server_closing = false;
    conn.reset();
    listening = false;
    pending = Pending::none;
  }

  bool connected() const { return conn && PQstatus(conn.get()) == CONNECTION_OK; }

  /// Makes a fresh connection usable: non-blocking (statements wait with poll, see
  /// postgres_connection.cpp) and with a statement timeout.
  std::string configure(PGconn* c) {
    PQsetNoticeReceiver(c, &Impl::on_notice, this);
    if (PQsetnonblocking(c, 1) != 0) return detail::pg_message(c);
    Answer a = detail::pg_run(c, kConfigure, PgParamList(), PgClock::now() + kAnswerTimeout);
    return a.outcome == Outcome::ok ? std::string() : a.message;
  }

  // Set when a reconnect window ran out without a connection: the database is down (or out of
  // reach), so each later statement tries once, without the backoff's sleeps, until one gets
  // through. Otherwise every request during an outage would hold its engine for the whole window
  // and a burst would queue behind them for many windows before being told 503.
  bool known_down = false;

  /// A working connection, opening one if there is none or it broke: a few tries with backoff
  /// within kReconnectWindow (one try while known_down). Returns "" or a sentence saying what to
  /// check.
  std::string ensure_connected() {
    if (connected()) {
      settle();
      // Reads what the server may have sent while we were idle: a restart's "terminating
      // connection" and the EOF after it show the connection is gone before we send anything.
      // PQconsumeInput only reads; PQisBusy parses what it read (and hears the FATAL).
      if (connected() && PQconsumeInput(conn.get()) != 0 && (PQisBusy(conn.get()), true) &&
          PQstatus(conn.get()) == CONNECTION_OK && !server_closing) {
        return "";
      }
    }
    drop();
    const auto started = PgClock::now();
    auto pause = milliseconds(50);
    for (;;) {
      detail::PgConn c = params.connect();
      if (PQstatus(c.get()) == CONNECTION_OK) {
        std::string failed = configure(c.get());
        if (failed.empty()) {
          conn = std::move(c);
          known_down = false;
          return "";
        }
        last_failure = failed;
      } else {
        last_failure = detail::pg_message(c.get());
        if (PQconnectionNeedsPassword(c.get())) {
          return "the PostgreSQL store " + uri + " asks for a password and none was given; put it in a password "
                 "file named by PGPASSFILE (mode 0600) or ~/.pgpass, or in PGPASSWORD — never in the URI";
        }
      }
      if (known_down || PgClock::now() - started + pause > kReconnectWindow) break;
      std::this_thread::sleep_for(pause);
      pause *= 2;
    }
    known_down = true;
    return unreachable(last_failure);
  }

  /// Takes the answer to data_version's statement in flight, if any, before another is sent.
  void settle() {
    if (pending == Pending::none || !connected()) return;
    const auto deadline = PgClock::now() + kAnswerTimeout;
    while (pending != Pending::none) {
      while (PQisBusy(conn.get())) {
        if (!detail::pg_wait(conn.get(), false, deadline) || PQconsumeInput(conn.get()) == 0) {
          drop();
          return;
        }
      }
      take_pending();
    }
  }

  /// Reads the results of data_version's statement that have arrived (call when !PQisBusy).
  void take_pending() {
    while (!PQisBusy(conn.get())) {
      detail::PgResult r(PQgetResult(conn.get()));
      if (!r) {
        if (pending == Pending::setup) listening = true;
        pending = Pending::none;
        return;
      }
      if (PQresultStatus(r.get()) == PGRES_TUPLES_OK && PQntuples(r.get()) == 1 && PQnfields(r.get()) == 1 &&
          std::string(PQfname(r.get(), 0)) == "counter") {
        observe(std::strtoll(PQgetvalue(r.get(), 0, 0), nullptr, 10));
      } else if (PQresultStatus(r.get()) != PGRES_TUPLES_OK && PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
        last_failure = PQresultErrorMessage(r.get());
        if (pending == Pending::setup) pending = Pending::probe;  // not listening: set up again later
      }
    }
  }

  // The counter only grows (bumps are committed in order under its row lock); a notification
  // and a fallback read that cross each other must not take it back.
  void observe(std::int64_t value) {
    if (value > counter) counter = value;
  }

  /// Runs one statement, sent again on a new connection if it never reached the server or (only
  /// for `read_only` statements) if the connection broke while it was in flight.
  Answer run(const char* sql, const PgParamList& p, bool read_only, const char* doing) {
    Answer a;
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (std::string failed = ensure_connected(); !failed.empty()) {
        a.outcome = Outcome::not_sent;
        a.message = failed;
        return a;
      }
      a = detail::pg_run(conn.get(), sql, p, PgClock::now() + kAnswerTimeout);
      switch (a.outcome) {
        case Outcome::ok:
          return a;
        case Outcome::sql_error:
          if (a.sqlstate == "57014") {
            a.message = "the PostgreSQL store " + uri + " took more than its statement timeout while " + doing +
                        " (" + a.message + "); check the server's load and locks, then try again";
          } else {
            a.message = "the PostgreSQL store " + uri + " refused " + doing + ": " + a.message +
                        (a.sqlstate == "42P01" ? " (its tables are missing: was the database dropped or restored?)"
                                               : "");
          }
          return a;
        case Outcome::not_sent:
          drop();
          continue;
        case Outcome::lost:
        case Outcome::timed_out:
          drop();
          if (read_only) continue;
          a.message = "the connection to the PostgreSQL store " + uri + " was lost while " + doing + " (" +
                      a.message + "); the write may or may not have been applied. " +
                      "Check that PostgreSQL is running and reachable, then try again";
          return a;
      }
    }
    a.message = unreachable(a.message);
    return a;
  }

  void get(const Effect& e, EffectResult& r) {
    PgParamList p;
    p.bytes(e.key);
    Answer a = run(kGet, p, true, "reading a record");
    if (a.outcome != Outcome::ok) {
      r.store_error = a.message;
      return;
    }
    if (PQntuples(a.result.get()) == 1) {
      r.found = true;
      r.record = StoreRecord{e.key, detail::pg_bytes(a.result.get(), 0, 0), detail::pg_int8(a.result.get(), 0, 1)};
    }
  }

  void write(const Effect& e, bool check_version, EffectResult& r) {
    PgParamList p;
    p.bytes(e.key);
    p.bytes(e.value);
    const char* sql = kPut;
    if (check_version) {
      sql = e.expected_version == 0 ? kCreate : kSwap;
      if (e.expected_version != 0) p.int8(e.expected_version);
    }
    Answer a = run(sql, p, false, "writing a record");
    if (a.outcome != Outcome::ok) {
      r.store_error = a.message;
      return;
    }
    if (PQntuples(a.result.get()) != 1 || PQgetisnull(a.result.get(), 0, 0)) {
      r.conflict = true;  // only a version check writes nothing
      return;
    }
    r.record = StoreRecord{e.key, e.value, detail::pg_int8(a.result.get(), 0, 0)};
  }

  void remove(const Effect& e, EffectResult& r) {
    PgParamList p;
    p.bytes(e.key);
    if (e.expected_version != 0) p.int8(e.expected_version);
    Answer a = run(e.expected_version == 0 ? kDelete : kDeleteAt, p, false, "deleting a record");
    if (a.outcome != Outcome::ok) {
      r.store_error = a.message;
      return;
    }
    if (e.expected_version == 0) {
      r.found = std::strtoll(PQcmdTuples(a.result.get()), nullptr, 10) > 0;
      return;
    }
    const bool deleted = detail::pg_int8(a.result.get(), 0, 0) > 0;
    const bool existed = detail::pg_bool(a.result.get(), 0, 1);
    r.found = deleted;
    r.conflict = !deleted && existed;  // absent: not found, and no conflict (as MemoryStore)
  }

  void list(const Effect& e, EffectResult& r) {
    const std::string upper = prefix_successor(e.prefix);
    PgParamList p;
    p.bytes(e.prefix);
    if (!upper.empty()) p.bytes(upper);
    constexpr std::size_t kMaxLimit = static_cast<std::size_t>(INT64_MAX);
    if (e.limit == 0 || e.limit > kMaxLimit) {
      p.null_int8();
    } else {
      p.int8(static_cast<std::int64_t>(e.limit));
    }
    Answer a = run(upper.empty() ? kListFrom : kListRange, p, true, "listing records");
    if (a.outcome != Outcome::ok) {
      r.store_error = a.message;
      return;
    }
    const PGresult* res = a.result.get();
    const int rows = PQntuples(res);
    r.records.reserve(static_cast<std::size_t>(rows));
    for (int i = 0; i < rows; ++i) {
      r.records.push_back(StoreRecord{detail::pg_bytes(res, i, 0), detail::pg_bytes(res, i, 1), detail::pg_int8(res, i, 2)});
    }
  }

  /// Applies the migrations the database lacks. Under a session advisory lock: a second gateway
  /// starting at the same moment waits, then finds them applied. The lock goes with the
  /// connection if this process dies half-way; each step is one transaction.
  std::string migrate() {
    PgParamList lock;
    lock.int8(kMigrationLock);
    Answer a = run("SELECT pg_advisory_lock($1)", lock, false, "waiting for another gateway's migration");
    if (a.outcome != Outcome::ok) return a.message;
    std::string failed = migrate_locked();
    if (connected()) run("SELECT pg_advisory_unlock($1)", lock, false, "ending its migration");
    return failed;
  }

  std::string migrate_locked() {
    const char* doing = "reading its schema version";
    Answer a = detail::pg_run_script(conn.get(),
                                     "CREATE TABLE IF NOT EXISTS latchkey_schema_migrations("
                                     "version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());"
                                     "SELECT coalesce(max(version), 0) FROM latchkey_schema_migrations",
                                     PgClock::now() + kAnswerTimeout);
    if (a.outcome != Outcome::ok) return failure(a, doing);
    const long current = std::strtol(PQgetvalue(a.result.get(), 0, 0), nullptr, 10);
    if (current > kLatestSchema) {
      return "the PostgreSQL store " + uri + " was migrated by a newer latchkey (schema " + std::to_string(current) +
             "; this build knows up to " + std::to_string(kLatestSchema) +
             "); upgrade latchkey on this machine — the database was not changed";
    }
    schema = static_cast<int>(current);
    for (const Migration& step : kMigrations) {
      if (step.version <= current) continue;
      const std::string script = std::string(step.sql) + ";INSERT INTO latchkey_schema_migrations(version) VALUES (" +
                                 std::to_string(step.version) + ")";
      a = detail::pg_run_script(conn.get(), script.c_str(), PgClock::now() + kAnswerTimeout);
      if (a.outcome != Outcome::ok) return failure(a, ("upgrading it to schema " + std::to_string(step.version)).c_str());
      schema = step.version;
    }
    return "";
  }

  std::string failure(const Answer& a, const char* doing) {
    if (a.outcome == Outcome::sql_error) {
      if (a.sqlstate == "42501") {
        return "the PostgreSQL store " + uri + " refused " + doing + ": " + a.message +
               "; the user in the URI must own the database (or hold CREATE on its schema) to create latchkey's "
               "tables";
      }
      return "the PostgreSQL store " + uri + " refused " + doing + ": " + a.message;
    }
    drop();
    return unreachable(a.message);
  }

  // ---- data_version --------------------------------------------------------------------------

  Error watch_error(const std::string& why) const {
    return make_error(ErrorCode::storage, "the PostgreSQL store " + uri + " cannot tell whether it changed: " + why);
  }

  /// The first call: LISTEN and read the counter, waiting for the answers (at start-up).
  Status first_watch() {
    const std::string listen = std::string("LISTEN ") + kChannel;
    Answer a = run(listen.c_str(), PgParamList(), true, "listening for changes");
    if (a.outcome == Outcome::ok) a = run(kCounter, PgParamList(), true, "reading its change counter");
    if (a.outcome != Outcome::ok) return make_error(ErrorCode::storage, a.message);
    // Binary results: an int8.
    observe(detail::pg_int8(a.result.get(), 0, 0));
    listening = true;
    last_probe = PgClock::now();
    return Ok{};
  }

  /// Drives a reconnect without blocking; true once a connection is there (its LISTEN sent).
  bool drive_reconnect(PgClock::time_point now) {
    if (!connecting) {
      if (now < next_connect) return false;
      next_connect = now + kRecheck;
      connecting = params.start();
      connect_state = PGRES_POLLING_WRITING;
      connecting_since = now;
      if (!connecting || PQstatus(connecting.get()) == CONNECTION_BAD) {
        if (connecting) last_failure = detail::pg_message(connecting.get());
        connecting.reset();
        return false;
      }
    }
    // PQconnectPoll is called when the socket is ready for what it last asked for.
    if (detail::pg_wait(connecting.get(), connect_state == PGRES_POLLING_WRITING, now)) {
      connect_state = PQconnectPoll(connecting.get());
    }
    if (connect_state == PGRES_POLLING_FAILED) {
      last_failure = detail::pg_message(connecting.get());
      connecting.reset();
      return false;
    }
    if (connect_state != PGRES_POLLING_OK) {
      if (now - connecting_since > kAsyncConnectTimeout) {
        last_failure = "connecting took too long";
        connecting.reset();
      }
      return false;
    }
    conn = std::move(connecting);
    PQsetNoticeReceiver(conn.get(), &Impl::on_notice, this);
    if (PQsetnonblocking(conn.get(), 1) != 0 ||
        PQsendQuery(conn.get(), (std::string(kConfigure) + ";LISTEN " + kChannel + ";" + kCounter).c_str()) == 0) {
      last_failure = detail::pg_message(conn.get());
      drop();
      return false;
    }
    pending = Pending::setup;
    pending_since = now;
    return true;
  }

  Result<std::int64_t> watch() {
    const auto now = PgClock::now();
    if (!connected()) {
      drop();
      if (!drive_reconnect(now)) return watch_error("reconnecting (" + last_failure + ")");
    }
    PGconn* c = conn.get();
    if (PQflush(c) < 0 || PQconsumeInput(c) == 0 || (PQisBusy(c), server_closing)) {
      last_failure = detail::pg_message(c);
      drop();
      return watch_error("the connection was lost (" + last_failure + "); reconnecting");
    }
    if (pending != Pending::none) {
      take_pending();
      if (pending != Pending::none && now - pending_since > kAnswerTimeout) {
        drop();
        return watch_error("it did not answer for " + std::to_string(kAnswerTimeout.count()) + " s; reconnecting");
      }
    }
    while (PGnotify* n = PQnotifies(c)) {
      observe(std::strtoll(n->extra, nullptr, 10));
      PQfreemem(n);
    }
    if (pending == Pending::none && now - last_probe >= kRecheck) {
      last_probe = now;
      const std::string probe = listening ? std::string(kCounter) : std::string("LISTEN ") + kChannel + ";" + kCounter;
      if (PQsendQuery(c, probe.c_str()) == 0) {
        last_failure = detail::pg_message(c);
        drop();
        return watch_error("the connection was lost (" + last_failure + "); reconnecting");
      }
      pending = listening ? Pending::probe : Pending::setup;
      pending_since = now;
    }
    if (!listening) return watch_error("its connection was opened again and is not listening yet");
    return counter;
  }
};

PostgresStore::PostgresStore() : impl_(new Impl) {}
PostgresStore::~PostgresStore() = default;

Result<std::unique_ptr<PostgresStore>> PostgresStore::open(const std::string& uri) {
  std::unique_ptr<PostgresStore> store(new PostgresStore());
  Impl& s = *store->impl_;
  if (std::string refused = detail::PgParams::parse(uri, &s.params); !refused.empty()) {
    return make_error(ErrorCode::storage, std::move(refused));
  }
  s.uri = uri;
  if (std::string failed = s.ensure_connected(); !failed.empty()) return make_error(ErrorCode::storage, std::move(failed));
  if (std::string failed = s.migrate(); !failed.empty()) return make_error(ErrorCode::storage, std::move(failed));
  return store;
}

void PostgresStore::get(const Effect& e, EffectResult& r) { impl_->get(e, r); }
void PostgresStore::write(const Effect& e, bool check_version, EffectResult& r) { impl_->write(e, check_version, r); }
void PostgresStore::remove(const Effect& e, EffectResult& r) { impl_->remove(e, r); }
void PostgresStore::list(const Effect& e, EffectResult& r) { impl_->list(e, r); }

Result<std::int64_t> PostgresStore::data_version() {
  if (!impl_->watched) {
    impl_->watched = true;  // later calls never wait: a failed first try is taken up by watch()
    if (Status watching = impl_->first_watch(); !watching.ok()) return std::move(watching).error();
    return impl_->counter;
  }
  return impl_->watch();
}

int PostgresStore::schema_version() const { return impl_->schema; }

const std::string& PostgresStore::location() const { return impl_->uri; }

}  // namespace latchkey::native
