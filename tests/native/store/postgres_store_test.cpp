// What only the PostgreSQL store has to get right, against a real server (LATCHKEY_TEST_POSTGRES,
// started by run_with_postgres.mjs): migrations under an advisory lock, a newer schema refused,
// no password in the URI, a server that is down or restarted, and data_version through NOTIFY.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "postgres_admin.hpp"
#include "store/postgres_store.hpp"
#include "store/store.hpp"
#include "store_effects.hpp"

namespace latchkey::native {
namespace {

using namespace testing_store;
using Clock = std::chrono::steady_clock;

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!postgres_admin_uri()) GTEST_SKIP() << kSkipWithoutPostgres;
    db_ = TestDatabase::create();
    ASSERT_TRUE(db_) << "could not create a test database";
  }
  std::unique_ptr<PostgresStore> open_ok() {
    auto opened = PostgresStore::open(db_->uri());
    EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error().message);
    return opened.ok() ? std::move(*opened) : nullptr;
  }
  std::unique_ptr<TestDatabase> db_;
};

TEST_F(PostgresStoreTest, StoresOpeningAFreshDatabaseTogetherMigrateItOnce) {
  constexpr int kStores = 4;
  std::vector<std::string> errors(kStores);
  std::vector<int> schemas(kStores);
  std::vector<std::thread> threads;
  for (int i = 0; i < kStores; ++i) {
    threads.emplace_back([&, i] {
      auto opened = PostgresStore::open(db_->uri());
      if (!opened.ok()) {
        errors[i] = opened.error().message;
        return;
      }
      schemas[i] = (*opened)->schema_version();
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kStores; ++i) {
    EXPECT_EQ(errors[i], "");
    EXPECT_EQ(schemas[i], PostgresStore::kLatestSchema);
  }
  EXPECT_EQ(db_->sql("SELECT count(*) FROM latchkey_schema_migrations"), std::to_string(PostgresStore::kLatestSchema));
  EXPECT_EQ(db_->sql("SELECT count(*) FROM latchkey_changes"), "1");
  // Reopening an up-to-date database changes nothing.
  auto again = open_ok();
  ASSERT_TRUE(again);
  EXPECT_EQ(db_->sql("SELECT count(*) FROM latchkey_schema_migrations"), std::to_string(PostgresStore::kLatestSchema));
}

TEST_F(PostgresStoreTest, ANewerSchemaIsRefusedAndLeftAlone) {
  {
    auto store = open_ok();
    ASSERT_TRUE(store);
    ASSERT_EQ(store->perform(put("conn/a", "kept")).store_error, "");
  }
  const std::string newer = std::to_string(PostgresStore::kLatestSchema + 1);
  ASSERT_EQ(db_->sql("INSERT INTO latchkey_schema_migrations(version) VALUES (" + newer + ")"), "");
  auto opened = PostgresStore::open(db_->uri());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, ErrorCode::storage);
  EXPECT_NE(opened.error().message.find("newer latchkey (schema " + newer), std::string::npos) << opened.error().message;
  EXPECT_NE(opened.error().message.find("was not changed"), std::string::npos);
  EXPECT_EQ(db_->sql("SELECT encode(value, 'escape') FROM latchkey_records WHERE key = 'conn/a'"), "kept");
  EXPECT_EQ(db_->sql("SELECT max(version) FROM latchkey_schema_migrations"), newer);
}

TEST(PostgresStoreUri, APasswordInTheUriIsRefusedWithoutRepeatingIt) {
  for (const std::string uri : {"postgresql://lk:hunter2@127.0.0.1:1/db", "postgres://lk:hunter2@127.0.0.1/db",
                                "postgresql://lk@127.0.0.1:1/db?password=hunter2"}) {
    SCOPED_TRACE(uri);
    auto opened = open_store(uri);
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.error().code, ErrorCode::storage);
    EXPECT_NE(opened.error().message.find("PGPASSFILE"), std::string::npos) << opened.error().message;
    EXPECT_EQ(opened.error().message.find("hunter2"), std::string::npos) << opened.error().message;
  }
  auto bad = open_store("postgresql://lk:hun%zzter2@127.0.0.1/db");  // not a URI libpq reads
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message.find("hun"), std::string::npos) << bad.error().message;
}

TEST(PostgresStoreDown, NoServerIsAStoreErrorWithinABoundedTimeSayingWhatToCheck) {
  // A loopback port nobody listens on (port 1 needs root to listen on, and nothing here does).
  const auto started = Clock::now();
  auto opened = open_store("postgresql://lk@127.0.0.1:1/latchkey");
  const auto took = Clock::now() - started;
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, ErrorCode::storage);
  EXPECT_NE(opened.error().message.find("check that PostgreSQL is running"), std::string::npos)
      << opened.error().message;
  EXPECT_NE(opened.error().message.find("127.0.0.1"), std::string::npos) << opened.error().message;
  EXPECT_LT(took, std::chrono::seconds(5));
  EXPECT_GT(took, std::chrono::milliseconds(500)) << "it retried with backoff before giving up";
}

// Stopped, then started again: store_error (never a crash or a hang) while it is down, and the
// same store works again once it is back, for effects and for data_version.
TEST_F(PostgresStoreTest, AServerThatGoesAwayIsAStoreErrorAndReconnectedWhenBack) {
  auto store = open_ok();
  auto watcher = open_ok();
  ASSERT_TRUE(store && watcher);
  ASSERT_EQ(store->perform(put("conn/a", "1")).store_error, "");
  ASSERT_TRUE(watcher->data_version().ok());

  ASSERT_TRUE(postgres_ctl("stop"));
  auto started = Clock::now();
  const EffectResult down = store->perform(get("conn/a"));
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(5));
  EXPECT_NE(down.store_error.find("check that PostgreSQL is running"), std::string::npos) << down.store_error;
  EXPECT_FALSE(down.found);
  // Known to be down now: the next effect tries once instead of backing off again, so a burst of
  // requests during an outage is answered at once rather than a reconnect window each.
  started = Clock::now();
  const EffectResult write = store->perform(put("conn/a", "2"));
  EXPECT_FALSE(write.store_error.empty());
  EXPECT_LT(Clock::now() - started, std::chrono::milliseconds(300)) << "it backed off again";
  started = Clock::now();
  EXPECT_FALSE(watcher->data_version().ok());
  EXPECT_LT(Clock::now() - started, std::chrono::milliseconds(100)) << "data_version never waits on the network";

  ASSERT_TRUE(postgres_ctl("start"));
  const EffectResult back = store->perform(get("conn/a"));
  EXPECT_EQ(show(back), "found=1 conflict=0 record={conn/a, 1, 1} records=[]");
  EXPECT_EQ(store->perform(put("conn/a", "3")).record.version, 2);
  // The watcher reconnects at most once a second, without blocking; then it sees changes again.
  const auto until = Clock::now() + std::chrono::seconds(5);
  Result<std::int64_t> v = watcher->data_version();
  while (!v.ok() && Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    v = watcher->data_version();
  }
  ASSERT_TRUE(v.ok()) << v.error().message;
  ASSERT_EQ(store->perform(put("conn/b", "x")).store_error, "");
  std::int64_t now = *v;
  while (now == *v && Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (auto again = watcher->data_version(); again.ok()) now = *again;
  }
  EXPECT_NE(now, *v);
}

TEST_F(PostgresStoreTest, ARestartedServerIsReconnectedOnTheNextEffect) {
  auto store = open_ok();
  ASSERT_TRUE(store);
  ASSERT_EQ(store->perform(put("conn/a", "1")).store_error, "");
  ASSERT_TRUE(postgres_ctl("restart"));
  // The connection died with the old server; the write finds that out before sending and reconnects.
  const EffectResult r = store->perform(cas("conn/a", 1, "2"));
  EXPECT_EQ(show(r), "found=0 conflict=0 record={conn/a, 2, 2} records=[]");
}

TEST_F(PostgresStoreTest, DataVersionSeesAnotherConnectionsCommitThroughNotifyAtOnce) {
  auto watcher = open_ok();
  auto writer = open_ok();
  ASSERT_TRUE(watcher && writer);
  auto v0 = watcher->data_version();  // LISTENs, reads the counter; its fallback read is a second away
  ASSERT_TRUE(v0.ok()) << v0.error().message;
  const auto committed = Clock::now();
  ASSERT_EQ(writer->perform(put("conn/a", "1")).store_error, "");
  std::int64_t v = *v0;
  while (v == *v0 && Clock::now() - committed < std::chrono::milliseconds(500)) {
    auto now = watcher->data_version();
    ASSERT_TRUE(now.ok()) << now.error().message;
    v = *now;
  }
  EXPECT_NE(v, *v0) << "the notification arrives well before the one-second fallback read";
  // An outside program's UPDATE is a change as any.
  ASSERT_EQ(db_->sql("UPDATE latchkey_records SET value = 'x'::bytea"), "");
  const std::int64_t before = v;
  const auto until = Clock::now() + std::chrono::milliseconds(500);
  while (v == before && Clock::now() < until) {
    auto now = watcher->data_version();
    ASSERT_TRUE(now.ok()) << now.error().message;
    v = *now;
  }
  EXPECT_NE(v, before);
}

}  // namespace
}  // namespace latchkey::native
