// The PostgreSQL server the store tests run against (LATCHKEY_TEST_POSTGRES, started by
// run_with_postgres.mjs): a database per test, SQL from outside the store, the server's controls.
#pragma once

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

namespace latchkey::native {

inline constexpr const char* kSkipWithoutPostgres =
    "LATCHKEY_TEST_POSTGRES is not set: no PostgreSQL to test against (ctest's store_postgres starts one: "
    "tests/native/store/run_with_postgres.mjs)";

/// The admin URI (postgresql://lk@127.0.0.1:PORT/DB), or nullopt when the tests have no server.
inline std::optional<std::string> postgres_admin_uri() {
  const char* uri = std::getenv("LATCHKEY_TEST_POSTGRES");
  if (uri == nullptr || *uri == '\0') return std::nullopt;
  return std::string(uri);
}

/// `uri` with its database replaced by `db` (the tests' URIs have no query part).
inline std::string with_database(const std::string& uri, const std::string& db) {
  const std::size_t host = uri.find("://") + 3;
  const std::size_t slash = uri.find('/', host);
  return uri.substr(0, slash == std::string::npos ? uri.size() : slash) + "/" + db;
}

/// Runs `sql` on `uri` and returns the first column of the first row ("" if none), or
/// "ERROR: …" when it fails.
inline std::string psql(const std::string& uri, const std::string& sql) {
  PGconn* c = PQconnectdb(uri.c_str());
  PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);
  std::string out;
  if (PQstatus(c) != CONNECTION_OK) {
    out = std::string("ERROR: ") + PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, sql.c_str());
    const ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
      out = std::string("ERROR: ") + PQresultErrorMessage(r);
    } else if (s == PGRES_TUPLES_OK && PQntuples(r) > 0) {
      out = PQgetvalue(r, 0, 0);
    }
    PQclear(r);
  }
  PQfinish(c);
  return out;
}

/// A fresh database on the test server, dropped (with its connections) when this goes.
class TestDatabase {
 public:
  static std::unique_ptr<TestDatabase> create() {
    auto admin = postgres_admin_uri();
    if (!admin) return nullptr;
    static std::atomic<int> n{0};
    const std::string name = "lk_test_" + std::to_string(::getpid()) + "_" + std::to_string(++n);
    if (psql(*admin, "CREATE DATABASE " + name).rfind("ERROR", 0) == 0) return nullptr;
    return std::unique_ptr<TestDatabase>(new TestDatabase(*admin, name));
  }
  ~TestDatabase() { psql(admin_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)"); }
  const std::string& uri() const { return uri_; }
  std::string sql(const std::string& statement) const { return psql(uri_, statement); }

 private:
  TestDatabase(std::string admin, std::string name)
      : admin_(std::move(admin)), name_(std::move(name)), uri_(with_database(admin_, name_)) {}
  std::string admin_, name_, uri_;
};

/// Runs the server's control script (LATCHKEY_TEST_POSTGRES_CTL: start | stop | restart | kill);
/// false if there is none or it failed.
inline bool postgres_ctl(const std::string& what) {
  const char* ctl = std::getenv("LATCHKEY_TEST_POSTGRES_CTL");
  if (ctl == nullptr || *ctl == '\0') return false;
  return std::system((std::string("'") + ctl + "' " + what).c_str()) == 0;
}

}  // namespace latchkey::native
