// The SQLite store against real files in a temporary directory: migrations, file modes,
// compare-and-swap across processes, and damaged files left alone. The semantics every store
// shares (the MemoryStore table, versions, lists, data_version) are in store_conformance_test.cpp.
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "store/sqlite_store.hpp"
#include "store_effects.hpp"

namespace latchkey::native {
namespace {

namespace fs = std::filesystem;
using namespace testing_store;

// ---- helpers -------------------------------------------------------------------------------

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

/// Opens a raw SQLite connection (for inspecting and tampering with a store from outside).
class RawDb {
 public:
  explicit RawDb(const std::string& path) { sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr); }
  ~RawDb() { sqlite3_close(db_); }
  std::int64_t integer(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    std::int64_t v = -1;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
      v = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
    return v;
  }
  std::string text(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    std::string v = "<none>";
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
      const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
      v = t ? t : "<null>";
    }
    sqlite3_finalize(stmt);
    return v;
  }
  int exec(const std::string& sql) { return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr); }

 private:
  sqlite3* db_ = nullptr;
};

/// Runs `body` in a child process and returns what it returned. As root, the child first becomes
/// `nobody`, so file permissions apply to it (root ignores them).
std::string in_child(const std::function<std::string()>& body) {
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    if (::geteuid() == 0) {
      const passwd* nobody = ::getpwnam("nobody");
      if (nobody == nullptr || ::setgroups(0, nullptr) != 0 || ::setgid(nobody->pw_gid) != 0 ||
          ::setuid(nobody->pw_uid) != 0) {
        _exit(3);
      }
    }
    const std::string out = body();
    if (::write(fds[1], out.data(), out.size()) < 0) _exit(2);
    _exit(0);
  }
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "child failed with status " + std::to_string(status);
  return out;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/latchkey-sqlite-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    // Reachable by `nobody` for the permission tests run as root (the store files stay 0600).
    ::chmod(dir_.c_str(), 0711);
  }
  void TearDown() override {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir_, ec); it != fs::recursive_directory_iterator(); ++it) {
      if (it->is_directory(ec)) fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
    }
    fs::remove_all(dir_, ec);
  }

  std::string path(const std::string& name = "latchkey.db") const { return dir_ + "/" + name; }

  std::unique_ptr<SqliteStore> open_ok(const std::string& p) {
    auto opened = SqliteStore::open(p);
    EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error().message);
    if (!opened.ok()) return nullptr;
    return std::move(opened).value();
  }

  // A closed store with `n` records of about 200 bytes: several pages, all checkpointed into the
  // main file (closing the last connection folds the WAL back in and removes it).
  void make_store(const std::string& p, int n) {
    auto store = open_ok(p);
    ASSERT_TRUE(store);
    for (int i = 0; i < n; ++i) {
      ASSERT_EQ(store->perform(put("conn/k" + std::to_string(i), std::string(200, 'a' + i % 26))).store_error, "");
    }
  }

  // Opening `p` must fail with a storage error containing `expect` and leave its bytes alone.
  void expect_refused(const std::string& p, const std::string& expect) {
    const std::string before = read_bytes(p);
    auto opened = SqliteStore::open(p);
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.error().code, ErrorCode::storage);
    EXPECT_NE(opened.error().message.find(expect), std::string::npos) << opened.error().message;
    EXPECT_NE(opened.error().message.find(p), std::string::npos) << "names the file: " << opened.error().message;
    EXPECT_EQ(read_bytes(p), before) << "the file was changed";
    EXPECT_FALSE(fs::exists(p + "-journal"));
  }

  std::string dir_;
};

// ---- migrations ----------------------------------------------------------------------------

TEST_F(SqliteStoreTest, FreshFileGetsTheLatestSchema) {
  {
    auto store = open_ok(path());
    ASSERT_TRUE(store);
    EXPECT_EQ(store->schema_version(), 1);
  }
  RawDb raw(path());
  EXPECT_EQ(raw.integer("PRAGMA user_version"), 1);
  EXPECT_EQ(raw.integer("PRAGMA application_id"), 0x6c6b6579);  // 'lkey'
  EXPECT_EQ(raw.text("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw.text("SELECT group_concat(name || ':' || type || ':' || pk, ',') FROM pragma_table_info('records')"),
            "key:TEXT:1,value:TEXT:0,version:INTEGER:0");
  EXPECT_EQ(raw.text("SELECT group_concat(name || ':' || type || ':' || pk, ',') FROM pragma_table_info('meta')"),
            "name:TEXT:1,value:TEXT:0");
  EXPECT_EQ(raw.text("SELECT value FROM meta WHERE name = 'last_version'"), "0");
}

TEST_F(SqliteStoreTest, ReopeningIsIdempotent) {
  std::string before;
  {
    auto store = open_ok(path());
    ASSERT_TRUE(store);
    ASSERT_EQ(store->perform(put("a", "1")).record.version, 1);
  }
  for (int i = 0; i < 3; ++i) {
    auto store = open_ok(path());
    ASSERT_TRUE(store);
    EXPECT_EQ(store->schema_version(), 1);
    EXPECT_EQ(show(store->perform(list(""))), "found=0 conflict=0 record={, , 0} records=[{a, 1, 1} ]");
  }
  RawDb raw(path());
  EXPECT_EQ(raw.integer("SELECT count(*) FROM sqlite_master WHERE type = 'table'"), 2);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM meta"), 1);
}

TEST_F(SqliteStoreTest, NewerSchemaIsRefusedAndLeftAlone) {
  make_store(path(), 3);
  {
    RawDb raw(path());
    ASSERT_EQ(raw.exec("PRAGMA user_version = 99"), SQLITE_OK);
  }
  expect_refused(path(), "was written by a newer latchkey (schema 99");
  auto opened = SqliteStore::open(path());
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message.find("upgrade latchkey"), std::string::npos) << opened.error().message;
}

TEST_F(SqliteStoreTest, AnotherProgramsDatabaseIsRefused) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE bookmarks(url TEXT); INSERT INTO bookmarks VALUES('x')", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  expect_refused(path(), "is an SQLite database but not a latchkey store");
}

TEST_F(SqliteStoreTest, ProcessesOpeningANewStoreTogetherMigrateItOnce) {
  constexpr int kChildren = 4;
  int gate[2];
  ASSERT_EQ(::pipe(gate), 0);
  std::vector<pid_t> pids;
  for (int i = 0; i < kChildren; ++i) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(gate[1]);
      char c;
      if (::read(gate[0], &c, 1) < 0) _exit(4);  // wait for the parent to let everyone go at once
      auto opened = SqliteStore::open(path());
      if (!opened.ok()) {
        std::fprintf(stderr, "child %d: %s\n", i, opened.error().message.c_str());
        _exit(1);
      }
      if (opened.value()->schema_version() != 1) _exit(2);
      if (!opened.value()->perform(put("child/" + std::to_string(i), "x")).store_error.empty()) _exit(3);
      _exit(0);
    }
    pids.push_back(pid);
  }
  ::close(gate[0]);
  ::close(gate[1]);  // EOF releases the children together
  for (pid_t pid : pids) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  }
  auto store = open_ok(path());
  ASSERT_TRUE(store);
  const EffectResult all = store->perform(list("child/"));
  ASSERT_EQ(all.records.size(), static_cast<std::size_t>(kChildren));
  std::vector<std::int64_t> versions;
  for (const StoreRecord& r : all.records) versions.push_back(r.version);
  std::sort(versions.begin(), versions.end());
  EXPECT_EQ(versions, (std::vector<std::int64_t>{1, 2, 3, 4}));
}

// ---- files and modes -----------------------------------------------------------------------

TEST_F(SqliteStoreTest, FilesAre0600AndCreatedDirectories0700WhateverTheUmask) {
  const mode_t dir_mode = mode_of(dir_);
  const mode_t old_umask = ::umask(0);
  const std::string p = dir_ + "/a/b/latchkey.db";
  auto store = open_ok(p);
  ::umask(old_umask);
  ASSERT_TRUE(store);
  ASSERT_EQ(store->perform(put("k", "v")).store_error, "");  // the WAL now has a frame
  EXPECT_EQ(mode_of(dir_ + "/a"), 0700u);
  EXPECT_EQ(mode_of(dir_ + "/a/b"), 0700u);
  EXPECT_EQ(mode_of(dir_), dir_mode) << "an existing directory keeps its mode";
  EXPECT_EQ(mode_of(p), 0600u);
  ASSERT_TRUE(fs::exists(p + "-wal"));
  ASSERT_TRUE(fs::exists(p + "-shm"));
  EXPECT_EQ(mode_of(p + "-wal"), 0600u);
  EXPECT_EQ(mode_of(p + "-shm"), 0600u);
}

TEST_F(SqliteStoreTest, AnEmptyFileBecomesANewStore) {
  write_bytes(path(), "");
  auto store = open_ok(path());
  ASSERT_TRUE(store);
  EXPECT_EQ(store->schema_version(), 1);
}

TEST_F(SqliteStoreTest, PathProblemsAreClearErrors) {
  write_bytes(path("file"), "x");
  auto under_file = SqliteStore::open(path("file") + "/sub/latchkey.db");
  ASSERT_FALSE(under_file.ok());
  EXPECT_NE(under_file.error().message.find("is not a directory"), std::string::npos) << under_file.error().message;

  fs::create_directory(path("adir"));
  auto directory = SqliteStore::open(path("adir"));
  ASSERT_FALSE(directory.ok());
  EXPECT_NE(directory.error().message.find("is not a regular file"), std::string::npos) << directory.error().message;

  auto empty = SqliteStore::open("");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, ErrorCode::storage);
}

TEST_F(SqliteStoreTest, ReadOnlyFileAndDirectoryAreClearErrors) {
  const std::string sub = path("unprivileged");
  ASSERT_TRUE(fs::create_directory(sub));
  if (::geteuid() == 0) {
    const passwd* nobody = ::getpwnam("nobody");
    if (nobody == nullptr) GTEST_SKIP() << "running as root without a 'nobody' user";
    ASSERT_EQ(::chown(sub.c_str(), nobody->pw_uid, nobody->pw_gid), 0);
  }
  const std::string report = in_child([&]() -> std::string {
    std::string out;
    const std::string ro_file = sub + "/ro-file.db";
    {
      auto store = SqliteStore::open(ro_file);
      if (!store.ok()) return "setup: " + store.error().message;
      store.value()->perform(put("k", "v"));
    }
    ::chmod(ro_file.c_str(), 0400);
    const std::string before = read_bytes(ro_file);
    auto file = SqliteStore::open(ro_file);
    out += "file: " + (file.ok() ? std::string("opened") : file.error().message) + "\n";
    out += std::string("file unchanged: ") + (read_bytes(ro_file) == before ? "yes" : "no") + "\n";

    const std::string ro_dir = sub + "/ro-dir";
    ::mkdir(ro_dir.c_str(), 0700);
    {
      auto store = SqliteStore::open(ro_dir + "/existing.db");
      if (!store.ok()) return "setup: " + store.error().message;
    }
    ::chmod(ro_dir.c_str(), 0500);
    auto existing = SqliteStore::open(ro_dir + "/existing.db");
    out += "existing: " + (existing.ok() ? std::string("opened") : existing.error().message) + "\n";
    auto fresh = SqliteStore::open(ro_dir + "/new.db");
    out += "new: " + (fresh.ok() ? std::string("opened") : fresh.error().message) + "\n";
    return out;
  });
  SCOPED_TRACE(report);
  EXPECT_NE(report.find("file: the store " + sub + "/ro-file.db is read-only"), std::string::npos);
  EXPECT_NE(report.find("file unchanged: yes"), std::string::npos);
  EXPECT_NE(report.find("existing: the store " + sub + "/ro-dir/existing.db cannot be written: its directory is not "
                        "writable"),
            std::string::npos);
  EXPECT_NE(report.find("new: cannot create the store " + sub + "/ro-dir/new.db: Permission denied"),
            std::string::npos);
}

// The MemoryStore behaviour table runs against every store in store_conformance_test.cpp.

// ---- across processes ----------------------------------------------------------------------

TEST_F(SqliteStoreTest, CompareAndSwapIsAtomicAcrossProcesses) {
  constexpr int kIncrements = 1000;  // per child
  {
    auto store = open_ok(path());
    ASSERT_TRUE(store);
    ASSERT_EQ(store->perform(put("counter", "0")).store_error, "");
  }  // closed before fork: a connection must not cross fork()
  int gate[2], report[2];
  ASSERT_EQ(::pipe(gate), 0);
  ASSERT_EQ(::pipe(report), 0);
  std::vector<pid_t> pids;
  for (int child = 0; child < 2; ++child) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(gate[1]);
      ::close(report[0]);
      auto opened = SqliteStore::open(path());
      if (!opened.ok()) _exit(1);
      SqliteStore& store = *opened.value();
      char c;
      if (::read(gate[0], &c, 1) < 0) _exit(4);
      int conflicts = 0;
      for (int i = 0; i < kIncrements;) {
        const EffectResult now = store.perform(get("counter"));
        if (!now.store_error.empty() || !now.found) _exit(2);
        const long next = std::strtol(now.record.value.c_str(), nullptr, 10) + 1;
        ::usleep(20);  // think time between read and swap, so the two processes really race
        const EffectResult swapped = store.perform(cas("counter", now.record.version, std::to_string(next)));
        if (!swapped.store_error.empty()) _exit(3);
        if (swapped.conflict) {
          ++conflicts;  // the other process got there first: read again
        } else {
          ++i;
        }
      }
      const std::string line = std::to_string(conflicts) + "\n";
      if (::write(report[1], line.data(), line.size()) < 0) _exit(5);
      _exit(0);
    }
    pids.push_back(pid);
  }
  ::close(gate[0]);
  ::close(gate[1]);
  ::close(report[1]);
  for (pid_t pid : pids) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  }
  std::string conflicts;
  char buf[64];
  ssize_t got;
  while ((got = ::read(report[0], buf, sizeof buf)) > 0) conflicts.append(buf, static_cast<std::size_t>(got));
  ::close(report[0]);
  RecordProperty("conflicts", conflicts);
  // Each child reported its conflicts on a line: some must have happened, or nothing raced.
  std::istringstream lines(conflicts);
  int total = 0, n = 0, children = 0;
  while (lines >> n) {
    total += n;
    ++children;
  }
  EXPECT_EQ(children, 2);
  EXPECT_GT(total, 0) << "the children never raced; the test proves nothing";

  auto store = open_ok(path());
  ASSERT_TRUE(store);
  const EffectResult counter = store->perform(get("counter"));
  EXPECT_EQ(counter.record.value, std::to_string(2 * kIncrements)) << "no lost update";
  EXPECT_EQ(counter.record.version, 1 + 2 * kIncrements) << "one version per successful swap";
}

// ---- damaged files -------------------------------------------------------------------------

TEST_F(SqliteStoreTest, RandomBytesAreRefusedAndLeftAlone) {
  std::mt19937 rng(42);
  std::string noise(16384, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  write_bytes(path(), noise);
  expect_refused(path(), "is not a latchkey store or is damaged");
}

TEST_F(SqliteStoreTest, ATextFileIsRefusedAndLeftAlone) {
  write_bytes(path(), "access_token=not-a-database\nrefresh_token=still-not\n");
  expect_refused(path(), "is not a latchkey store or is damaged");
  write_bytes(path(), "x");  // shorter than an SQLite header
  expect_refused(path(), "is not a latchkey store or is damaged");
}

TEST_F(SqliteStoreTest, ATruncatedStoreIsRefusedAndLeftAlone) {
  make_store(path(), 300);
  const std::string whole = read_bytes(path());
  ASSERT_GT(whole.size(), 16384u);
  ASSERT_FALSE(fs::exists(path() + "-wal"));
  write_bytes(path(), whole.substr(0, whole.size() / 2));
  expect_refused(path(), "is not a latchkey store or is damaged");
  write_bytes(path(), whole.substr(0, whole.size() / 2 + 1000));  // not on a page boundary
  expect_refused(path(), "is not a latchkey store or is damaged");
}

TEST_F(SqliteStoreTest, DamageFoundWhileReadingIsAStoreErrorNotACrash) {
  make_store(path(), 300);
  std::string bytes = read_bytes(path());
  // Keep page 1 (the header and schema) and trample every later page.
  for (std::size_t i = 4096; i < bytes.size(); ++i) bytes[i] = static_cast<char>(0xA5 ^ (i * 31));
  write_bytes(path(), bytes);
  auto opened = SqliteStore::open(path());
  if (!opened.ok()) {  // also acceptable: found at once
    EXPECT_NE(opened.error().message.find("is not a latchkey store or is damaged"), std::string::npos)
        << opened.error().message;
    return;
  }
  SqliteStore& store = *opened.value();
  const EffectResult all = store.perform(list(""));
  EXPECT_NE(all.store_error.find("is damaged"), std::string::npos) << all.store_error;
  EXPECT_TRUE(all.records.empty());
  const EffectResult write = store.perform(put("conn/k7", "x"));
  EXPECT_FALSE(write.store_error.empty());
}

// ---- persistence ---------------------------------------------------------------------------

TEST_F(SqliteStoreTest, RecordsAndTheVersionCounterSurviveReopening) {
  {
    auto store = open_ok(path());
    ASSERT_TRUE(store);
    EXPECT_EQ(store->perform(put("conn/a", "one")).record.version, 1);
    EXPECT_EQ(store->perform(put("conn/b", std::string("bin\0ary\xff", 8))).record.version, 2);
    EXPECT_EQ(store->perform(put("gone", "x")).record.version, 3);
    EXPECT_TRUE(store->perform(del("gone")).found);
  }
  auto store = open_ok(path());
  ASSERT_TRUE(store);
  EXPECT_EQ(show(store->perform(get("conn/a"))), "found=1 conflict=0 record={conn/a, one, 1} records=[]");
  EXPECT_EQ(store->perform(get("conn/b")).record.value, std::string("bin\0ary\xff", 8));
  EXPECT_FALSE(store->perform(get("gone")).found);
  // The highest version ever handed out was 3, to a record since deleted: never reuse it.
  EXPECT_EQ(store->perform(put("gone", "back")).record.version, 4);
}

TEST(SqliteStorePath, DefaultFollowsLatchkeyStoreThenXdgThenHome) {
  struct Saved {
    const char* name;
    std::string value;
    bool set;
  };
  std::vector<Saved> saved;
  for (const char* name : {"LATCHKEY_STORE", "XDG_DATA_HOME", "HOME"}) {
    const char* v = std::getenv(name);
    saved.push_back({name, v ? v : "", v != nullptr});
  }
  ::setenv("LATCHKEY_STORE", "/srv/lk.db", 1);
  ::setenv("XDG_DATA_HOME", "/xdg", 1);
  ::setenv("HOME", "/home/u", 1);
  EXPECT_EQ(default_store_path(), "/srv/lk.db");
  ::unsetenv("LATCHKEY_STORE");
  EXPECT_EQ(default_store_path(), "/xdg/latchkey/latchkey.db");
  ::setenv("XDG_DATA_HOME", "relative/ignored", 1);
  EXPECT_EQ(default_store_path(), "/home/u/.local/share/latchkey/latchkey.db");
  ::setenv("XDG_DATA_HOME", "", 1);
  ::setenv("HOME", "/home/u/", 1);
  EXPECT_EQ(default_store_path(), "/home/u/.local/share/latchkey/latchkey.db");
  for (const Saved& s : saved) {
    if (s.set) {
      ::setenv(s.name, s.value.c_str(), 1);
    } else {
      ::unsetenv(s.name);
    }
  }
}
// ---- data_version ----------------------------------------------------------------------------

// latchkeyd keeps signers in memory and forgets them when this changes: it must change for a
// commit by any other connection (another process's is one too) and only then.
TEST_F(SqliteStoreTest, DataVersionChangesWhenAnotherConnectionCommits) {
  auto watcher = open_ok(path());
  auto writer = open_ok(path());
  ASSERT_TRUE(watcher && writer);
  auto v0 = watcher->data_version();
  ASSERT_TRUE(v0.ok()) << v0.error().message;
  EXPECT_EQ(*watcher->data_version(), *v0) << "nothing was committed";
  ASSERT_EQ(watcher->perform(put("own", "1")).store_error, "");
  EXPECT_EQ(*watcher->data_version(), *v0) << "its own commit is not another connection's";
  ASSERT_EQ(writer->perform(put("conn/a", "1")).store_error, "");
  auto v1 = watcher->data_version();
  ASSERT_TRUE(v1.ok());
  EXPECT_NE(*v1, *v0);
  EXPECT_EQ(*watcher->data_version(), *v1);
  {
    RawDb raw(path());  // a plain SQLite connection, as another program would hold
    ASSERT_EQ(raw.exec("UPDATE records SET value = '2' WHERE key = 'conn/a'"), SQLITE_OK);
  }
  EXPECT_NE(*watcher->data_version(), *v1);
}

}  // namespace
}  // namespace latchkey::native
