// The SQLite store: the MemoryStore semantics (core/src/store/memory_store.cpp) on one file that
// several processes share. Versions come from one counter kept in `meta`, bumped inside the
// same BEGIN IMMEDIATE transaction as the write, so they grow across keys, deletes and
// processes, and a recreated key never gets a version it had before.
#include "store/sqlite_store.hpp"

#include "store/store_file.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

namespace latchkey::native {
namespace {

// PRAGMA application_id: 'lkey'. Tells a latchkey store apart from any other SQLite file (the
// `file` command reads this header field too), so we never migrate somebody else's database.
constexpr std::int32_t kApplicationId = 0x6c6b6579;
constexpr int kBusyTimeoutMs = 5000;

struct Migration {
  int version;
  const char* sql;
};

// Append-only: step N runs once, in its own BEGIN IMMEDIATE transaction that also sets
// `PRAGMA user_version = N`. Never edit a step that has shipped; add the next one.
constexpr Migration kMigrations[] = {
    {1,
     "CREATE TABLE records(key TEXT PRIMARY KEY, value TEXT NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID;"
     "CREATE TABLE meta(name TEXT PRIMARY KEY, value TEXT);"
     // The last version handed out; the next write gets last_version + 1.
     "INSERT INTO meta(name, value) VALUES('last_version', '0');"
     "PRAGMA application_id = 1818977657;"},  // kApplicationId
};
constexpr int kLatestSchema = static_cast<int>(sizeof kMigrations / sizeof kMigrations[0]);

constexpr bool migrations_are_numbered() {
  for (int i = 0; i < kLatestSchema; ++i) {
    if (kMigrations[i].version != i + 1) return false;
  }
  return true;
}
static_assert(migrations_are_numbered(), "kMigrations must be numbered 1, 2, 3, … in order");
static_assert(kApplicationId == 1818977657, "migration 1 spells the application id in decimal");


// Turns an SQLite failure into a sentence that names the file and says what to do.
std::string describe(const std::string& path, int rc, const std::string& detail, const std::string& doing) {
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return path + " is not a latchkey store or is damaged (" + detail +
             "); restore it from a backup or move it aside — it was not changed";
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return "the store " + path + " stayed locked by another process for more than " +
             std::to_string(kBusyTimeoutMs / 1000) + " seconds while " + doing +
             "; try again, and look for a stuck latchkey process";
    case SQLITE_READONLY:
      if (rc == SQLITE_READONLY_DIRECTORY || rc == SQLITE_READONLY_CANTINIT || rc == SQLITE_READONLY_CANTLOCK) {
        return "the store " + path + " cannot be written: its directory is not writable, and SQLite needs to " +
               "create the -wal and -shm files beside it; make the directory writable by this user, or choose " +
               "another store with --store or LATCHKEY_STORE";
      }
      return "the store " + path + " is read-only (" + detail +
             "); make the file and its directory writable by this user, or choose another store with "
             "--store or LATCHKEY_STORE";
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return "cannot open the store " + path + " or the -wal/-shm files beside it (" + detail +
             "); check that this user can read and write the file and its directory";
    case SQLITE_FULL:
      return "the disk holding the store " + path + " is full while " + doing + "; free some space and try again";
    case SQLITE_IOERR:
      return "an I/O error occurred on the store " + path + " while " + doing + " (" + detail +
             "); check the disk, then try again";
    case SQLITE_NOMEM:
      return "out of memory while " + doing + " in the store " + path;
    default:
      return "the store " + path + " failed while " + doing + ": " + detail + " (SQLite error " +
             std::to_string(rc) + "); if this persists, move the file aside and report it";
  }
}


// Resets a cached statement when the scope ends, so it holds no read lock between calls.
class Resetter {
 public:
  explicit Resetter(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Resetter() { sqlite3_reset(stmt_); }
  Resetter(const Resetter&) = delete;
  Resetter& operator=(const Resetter&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

void bind_text(sqlite3_stmt* stmt, int index, const std::string& text) {
  // SQLITE_STATIC: the string outlives the step; the length keeps any byte as it is.
  sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

std::string column_string(sqlite3_stmt* stmt, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
  if (text == nullptr) return std::string();
  return std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, column)));
}


}  // namespace

struct SqliteStore::Impl {
  enum Stmt {
    kBegin,
    kCommit,
    kRollback,
    kGet,
    kVersionOf,
    kUpsert,
    kDelete,
    kListRange,
    kListFrom,
    kLastVersion,
    kSetLastVersion,
    kDataVersion,
    kStmtCount
  };

  std::string path;
  sqlite3* db = nullptr;
  int schema = 0;
  sqlite3_stmt* stmts[kStmtCount] = {};

  ~Impl() {
    for (sqlite3_stmt* stmt : stmts) sqlite3_finalize(stmt);
    if (db != nullptr) {
      if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      sqlite3_close(db);
    }
  }

  std::string failure(int rc, const std::string& doing) const {
    // errmsg belongs to the last failed call; codes we raise ourselves have none.
    const bool own = db != nullptr && sqlite3_extended_errcode(db) == rc;
    return describe(path, rc, own ? sqlite3_errmsg(db) : sqlite3_errstr(rc), doing);
  }
  Error error(int rc, const std::string& doing) const { return make_error(ErrorCode::storage, failure(rc, doing)); }

  /// Runs a statement that needs no cached form (open and migration only).
  int exec(const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr); }

  /// Reads the first column of the first row of `sql` with `read` (given nullptr when there is
  /// no row, so it can store its "absent" value).
  template <class Read>
  int query_one(const char* sql, Read read) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr);
    if (rc != SQLITE_OK) return rc;
    rc = sqlite3_step(stmt);
    read(rc == SQLITE_ROW ? stmt : nullptr);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) rc = SQLITE_OK;
    sqlite3_finalize(stmt);
    return rc;
  }
  /// As an integer (0 if there is no row).
  int query_int(const char* sql, std::int64_t* out) {
    return query_one(sql, [out](sqlite3_stmt* row) { *out = row ? sqlite3_column_int64(row, 0) : 0; });
  }
  /// As text ("" if there is no row).
  int query_text(const char* sql, std::string* out) {
    return query_one(sql, [out](sqlite3_stmt* row) { *out = row ? column_string(row, 0) : std::string(); });
  }

  /// Whether the main file is empty or starts with the SQLite header. SQLite reads a one-byte
  /// file as an empty database (its unix VFS reports size 0 for it: a workaround for an old
  /// OS X bug), which migrating would then write over. Reads through SQLite's own file handle,
  /// under its lock: opening and closing another descriptor on the file would drop this
  /// process's POSIX locks on it.
  int empty_or_sqlite_header(bool* ok) {
    static const char kMagic[16] = "SQLite format 3";  // with its NUL: 16 bytes
    sqlite3_file* file = nullptr;
    const int rc = sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file);
    if (rc != SQLITE_OK) return rc;
    if (file == nullptr || file->pMethods == nullptr) return SQLITE_CANTOPEN;
    char header[sizeof kMagic] = {};
    const int read = file->pMethods->xRead(file, header, sizeof header, 0);
    if (read == SQLITE_IOERR_SHORT_READ) {  // zero-filled: an empty file reads as all zeros
      *ok = std::all_of(header, header + sizeof header, [](char c) { return c == 0; });
      return SQLITE_OK;
    }
    if (read != SQLITE_OK) return read;
    *ok = std::memcmp(header, kMagic, sizeof kMagic) == 0;
    return SQLITE_OK;
  }

  int prepare_statements() {
    static const char* const sql[] = {
        "BEGIN IMMEDIATE",
        "COMMIT",
        "ROLLBACK",
        "SELECT value, version FROM records WHERE key = ?1",
        "SELECT version FROM records WHERE key = ?1",
        ("INSERT INTO records(key, value, version) VALUES(?1, ?2, ?3) "
         "ON CONFLICT(key) DO UPDATE SET value = excluded.value, version = excluded.version"),
        "DELETE FROM records WHERE key = ?1",
        // LIMIT -1: no limit (SQLite's rule for a negative limit).
        "SELECT key, value, version FROM records WHERE key >= ?1 AND key < ?2 ORDER BY key LIMIT ?3",
        "SELECT key, value, version FROM records WHERE key >= ?1 ORDER BY key LIMIT ?3",
        "SELECT CAST(value AS INTEGER) FROM meta WHERE name = 'last_version'",
        "UPDATE meta SET value = ?1 WHERE name = 'last_version'",
        "PRAGMA data_version",
    };
    static_assert(sizeof sql / sizeof sql[0] == kStmtCount, "one SQL text per Stmt");
    for (int i = 0; i < kStmtCount; ++i) {
      const int rc = sqlite3_prepare_v3(db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &stmts[i], nullptr);
      if (rc != SQLITE_OK) return rc;
    }
    return SQLITE_OK;
  }

  /// Steps a statement that returns no rows (BEGIN, COMMIT, UPDATE …) and resets it.
  int run(Stmt which) {
    sqlite3_stmt* stmt = stmts[which];
    Resetter reset(stmt);
    const int rc = sqlite3_step(stmt);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
  }

  /// A BEGIN IMMEDIATE transaction: takes the write lock up front (waiting up to the busy
  /// timeout), so its reads and writes are one atomic step across processes. Rolls back unless
  /// committed — also after a failed COMMIT, which can leave the transaction open.
  class Transaction {
   public:
    explicit Transaction(Impl& impl) : impl_(impl) {}
    ~Transaction() {
      if (!sqlite3_get_autocommit(impl_.db)) impl_.run(kRollback);
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    int begin() { return impl_.run(kBegin); }
    int commit() { return impl_.run(kCommit); }

   private:
    Impl& impl_;
  };

  /// The stored version of `key`, 0 if absent.
  int version_of(const std::string& key, std::int64_t* version) {
    sqlite3_stmt* stmt = stmts[kVersionOf];
    Resetter reset(stmt);
    bind_text(stmt, 1, key);
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
      *version = sqlite3_column_int64(stmt, 0);
      return SQLITE_OK;
    }
    *version = 0;
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
  }

  /// Hands out the next version; only inside a write transaction.
  int next_version(std::int64_t* version) {
    {
      sqlite3_stmt* stmt = stmts[kLastVersion];
      Resetter reset(stmt);
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) return SQLITE_CORRUPT;  // migration 1 always writes the counter
      if (rc != SQLITE_ROW) return rc;
      *version = sqlite3_column_int64(stmt, 0) + 1;
    }
    sqlite3_stmt* stmt = stmts[kSetLastVersion];
    sqlite3_bind_int64(stmt, 1, *version);
    return run(kSetLastVersion);
  }

  void get(const Effect& e, EffectResult& r) {
    sqlite3_stmt* stmt = stmts[kGet];
    Resetter reset(stmt);
    bind_text(stmt, 1, e.key);
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
      r.found = true;
      r.record.key = e.key;
      r.record.value = column_string(stmt, 0);
      r.record.version = sqlite3_column_int64(stmt, 1);
    } else if (rc != SQLITE_DONE) {
      r.store_error = failure(rc, "reading a record");
    }
  }

  /// put (check_version = false) and cas.
  void write(const Effect& e, bool check_version, EffectResult& r) {
    Transaction txn(*this);
    int rc = txn.begin();
    if (rc == SQLITE_OK && check_version) {
      std::int64_t current = 0;
      rc = version_of(e.key, &current);
      if (rc == SQLITE_OK && current != e.expected_version) {
        r.conflict = true;
        return;
      }
    }
    std::int64_t version = 0;
    if (rc == SQLITE_OK) rc = next_version(&version);
    if (rc == SQLITE_OK) {
      sqlite3_stmt* stmt = stmts[kUpsert];
      bind_text(stmt, 1, e.key);
      bind_text(stmt, 2, e.value);
      sqlite3_bind_int64(stmt, 3, version);
      rc = run(kUpsert);
    }
    if (rc == SQLITE_OK) rc = txn.commit();
    if (rc != SQLITE_OK) {
      r.store_error = failure(rc, "writing a record");
      return;
    }
    r.record = StoreRecord{e.key, e.value, version};
  }

  void remove(const Effect& e, EffectResult& r) {
    if (e.expected_version == 0) {  // one statement is atomic by itself
      sqlite3_stmt* stmt = stmts[kDelete];
      bind_text(stmt, 1, e.key);
      const int rc = run(kDelete);
      if (rc != SQLITE_OK) {
        r.store_error = failure(rc, "deleting a record");
        return;
      }
      r.found = sqlite3_changes(db) > 0;
      return;
    }
    Transaction txn(*this);
    int rc = txn.begin();
    std::int64_t current = 0;
    if (rc == SQLITE_OK) rc = version_of(e.key, &current);
    if (rc == SQLITE_OK) {
      if (current == 0) return;  // absent: not found, and no conflict (as MemoryStore)
      if (current != e.expected_version) {
        r.conflict = true;
        return;
      }
      sqlite3_stmt* stmt = stmts[kDelete];
      bind_text(stmt, 1, e.key);
      rc = run(kDelete);
    }
    if (rc == SQLITE_OK) rc = txn.commit();
    if (rc != SQLITE_OK) {
      r.store_error = failure(rc, "deleting a record");
      return;
    }
    r.found = true;
  }

  void list(const Effect& e, EffectResult& r) {
    const std::string upper = prefix_successor(e.prefix);
    sqlite3_stmt* stmt = stmts[upper.empty() ? kListFrom : kListRange];
    Resetter reset(stmt);
    bind_text(stmt, 1, e.prefix);
    if (!upper.empty()) bind_text(stmt, 2, upper);
    const bool all = e.limit == 0 || e.limit > static_cast<std::size_t>(std::numeric_limits<sqlite3_int64>::max());
    sqlite3_bind_int64(stmt, 3, all ? -1 : static_cast<sqlite3_int64>(e.limit));
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      r.records.push_back(StoreRecord{column_string(stmt, 0), column_string(stmt, 1), sqlite3_column_int64(stmt, 2)});
    }
    if (rc != SQLITE_DONE) {
      r.records.clear();
      r.store_error = failure(rc, "listing records");
    }
  }

  /// Applies every migration newer than `version`, each in its own transaction. Another process
  /// may be migrating the same file at the same moment: each step re-reads user_version under
  /// the write lock and skips what is already done.
  Status migrate(std::int64_t version) {
    for (const Migration& step : kMigrations) {
      if (step.version <= version) continue;
      const std::string doing = "upgrading it to schema " + std::to_string(step.version);
      int rc = exec("BEGIN IMMEDIATE");
      if (rc != SQLITE_OK) return error(rc, doing);
      std::int64_t current = 0;
      rc = query_int("PRAGMA user_version", &current);
      if (rc == SQLITE_OK && current > kLatestSchema) {
        exec("ROLLBACK");
        return newer(current);
      }
      if (rc == SQLITE_OK && current >= step.version) {
        exec("ROLLBACK");
        version = current;
        continue;
      }
      if (rc == SQLITE_OK) rc = exec(step.sql);
      if (rc == SQLITE_OK) rc = exec(("PRAGMA user_version = " + std::to_string(step.version)).c_str());
      if (rc == SQLITE_OK) rc = exec("COMMIT");
      if (rc != SQLITE_OK) {
        Error failed = error(rc, doing);
        if (!sqlite3_get_autocommit(db)) exec("ROLLBACK");
        return failed;
      }
      version = step.version;
    }
    schema = static_cast<int>(version);
    return Ok{};
  }

  Error newer(std::int64_t version) const {
    return make_error(ErrorCode::storage, path + " was written by a newer latchkey (schema " + std::to_string(version) +
                                              "; this build knows up to " + std::to_string(kLatestSchema) +
                                              "); upgrade latchkey — the file was not changed");
  }
  Error damaged(const std::string& why) const {
    return make_error(ErrorCode::storage, path + " is not a latchkey store or is damaged (" + why +
                                              "); restore it from a backup or move it aside — it was not changed");
  }
};

SqliteStore::SqliteStore() : impl_(new Impl) {}
SqliteStore::~SqliteStore() = default;

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path) {
  if (path.empty()) {
    return make_error(ErrorCode::storage, "no store path: pass --store or set LATCHKEY_STORE");
  }
  if (std::string failed = prepare_store_file(path); !failed.empty()) {
    return make_error(ErrorCode::storage, std::move(failed));
  }

  // SQLite counts every allocation under one process-wide mutex unless told not to, which the
  // gateway's threads would contend on for nothing. Only possible before SQLite initialises.
  static const int memstatus_off = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)memstatus_off;

  std::unique_ptr<SqliteStore> store(new SqliteStore());
  Impl& s = *store->impl_;
  s.path = path;
  // NOMUTEX: one SqliteStore is used by one thread at a time (see the header); SQLite's own
  // file locks still serialise writers across connections and processes.
  int rc = sqlite3_open_v2(path.c_str(), &s.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) return s.error(rc, "opening it");
  sqlite3_extended_result_codes(s.db, 1);
  sqlite3_busy_timeout(s.db, kBusyTimeoutMs);
  // The file may come from anywhere: no writable sqlite_schema, no functions in its schema.
  sqlite3_db_config(s.db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(s.db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  // READWRITE quietly falls back to read-only for a write-protected file; say so now rather
  // than on the first write.
  if (sqlite3_db_readonly(s.db, "main") == 1) {
    return make_error(ErrorCode::storage, "the store " + path +
                                              " is read-only; make it writable by this user (chmod u+w), or choose "
                                              "another store with --store or LATCHKEY_STORE");
  }

  // Look before touching anything: these reads fail with NOTADB/CORRUPT on a file that is not a
  // database or is truncated, and tell a latchkey store from an empty file or a stranger's database.
  // One read transaction, so the header check below sees the same file as the pragmas.
  std::int64_t application_id = 0, user_version = 0, objects = 0;
  bool empty_or_sqlite = true;
  rc = s.exec("BEGIN");
  if (rc == SQLITE_OK) rc = s.query_int("PRAGMA application_id", &application_id);
  if (rc == SQLITE_OK) rc = s.query_int("PRAGMA user_version", &user_version);
  if (rc == SQLITE_OK) rc = s.query_int("SELECT count(*) FROM sqlite_master", &objects);
  if (rc == SQLITE_OK && application_id == 0 && user_version == 0 && objects == 0) {
    rc = s.empty_or_sqlite_header(&empty_or_sqlite);
  }
  if (rc != SQLITE_OK) return s.error(rc, "opening it");  // ~Impl rolls back
  rc = s.exec("COMMIT");
  if (rc != SQLITE_OK) return s.error(rc, "opening it");
  if (!empty_or_sqlite) return s.damaged("it is not an SQLite file");
  if (application_id == kApplicationId) {
    if (user_version > kLatestSchema) return s.newer(user_version);
    if (user_version < 1) return s.damaged("it is marked as a latchkey store but has no schema version");
  } else if (application_id != 0 || user_version != 0 || objects != 0) {
    return make_error(ErrorCode::storage, path + " is an SQLite database but not a latchkey store; choose another "
                                                 "store with --store or LATCHKEY_STORE — it was not changed");
  }

  // WAL: readers never wait for the writer, and writers append instead of rewriting pages.
  // NORMAL: in WAL mode, fsync only at checkpoints, not on every commit; a power cut may lose
  // the last commits but never corrupts the file.
  //
  // Switching needs an exclusive lock, and SQLite answers BUSY at once, without its busy
  // handler, when waiting could deadlock (another process opening the same new store holds a
  // read lock and wants to write, or the reverse). Each try holds no lock once it has failed,
  // so retrying resolves it; a store already in WAL mode passes on the first try.
  std::string mode;
  for (int waited_ms = 0, pause_ms = 1;; waited_ms += pause_ms, pause_ms = pause_ms < 16 ? pause_ms * 2 : 16) {
    rc = s.query_text("PRAGMA journal_mode = WAL", &mode);
    if ((rc & 0xff) != SQLITE_BUSY || waited_ms >= kBusyTimeoutMs) break;
    sqlite3_sleep(pause_ms);
  }
  if (rc != SQLITE_OK) return s.error(rc, "switching it to WAL mode");
  if (mode != "wal") {
    return make_error(ErrorCode::storage, "the store " + path + " cannot use write-ahead logging (journal mode stays '" +
                                              mode + "'); put it on a local file system");
  }
  rc = s.exec("PRAGMA synchronous = NORMAL");
  if (rc != SQLITE_OK) return s.error(rc, "opening it");

  Status migrated = s.migrate(user_version);
  if (!migrated.ok()) return std::move(migrated).error();
  rc = s.prepare_statements();
  if (rc != SQLITE_OK) return s.error(rc, "preparing its statements");
  // A latchkey store always has the version counter; reading it also touches the tables once.
  std::int64_t last = 0;
  {
    sqlite3_stmt* stmt = s.stmts[Impl::kLastVersion];
    Resetter reset(stmt);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) return s.damaged("its version counter is missing");
    if (rc != SQLITE_ROW) return s.error(rc, "opening it");
    last = sqlite3_column_int64(stmt, 0);
  }
  if (last < 0) return s.damaged("its version counter is negative");
  return store;
}

void SqliteStore::get(const Effect& e, EffectResult& r) { impl_->get(e, r); }
void SqliteStore::write(const Effect& e, bool check_version, EffectResult& r) { impl_->write(e, check_version, r); }
void SqliteStore::remove(const Effect& e, EffectResult& r) { impl_->remove(e, r); }
void SqliteStore::list(const Effect& e, EffectResult& r) { impl_->list(e, r); }

int SqliteStore::schema_version() const { return impl_->schema; }

const std::string& SqliteStore::location() const { return impl_->path; }

Result<std::int64_t> SqliteStore::data_version() {
  sqlite3_stmt* stmt = impl_->stmts[Impl::kDataVersion];
  Resetter reset(stmt);
  const int rc = sqlite3_step(stmt);
  if (rc != SQLITE_ROW) return impl_->error(rc, "reading its data version");
  return static_cast<std::int64_t>(sqlite3_column_int64(stmt, 0));
}

}  // namespace latchkey::native
