// One suite, three stores: the core's MemoryStore (the reference), SQLite and PostgreSQL answer
// the same effects the same way — the behaviour table step for step, compare-and-swap atomic
// across connections, versions that grow across keys and connections, lists by prefix and limit,
// and a data_version that changes when another connection commits.
//
// PostgreSQL: LATCHKEY_TEST_POSTGRES names a server (an admin URI, e.g.
// postgresql://lk@127.0.0.1:PORT/latchkey); each test gets a database of its own there. Unset,
// those instances are skipped; ctest's `store_postgres` sets it (run_with_postgres.mjs).
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "latchkey/memory_store.hpp"
#include "postgres_admin.hpp"
#include "store/store.hpp"
#include "store_effects.hpp"

namespace latchkey::native {
namespace {

using namespace testing_store;
namespace fs = std::filesystem;

// ---- the three stores ----------------------------------------------------------------------

/// The core's MemoryStore behind the native Store interface: every handle on one backend shares
/// one MemoryStore (as connections share a database), under a mutex; data_version counts commits.
class SharedMemoryStore final : public Store {
 public:
  struct Shared {
    std::mutex mu;
    MemoryStore store;
    std::int64_t commits = 0;
  };
  explicit SharedMemoryStore(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
  Result<std::int64_t> data_version() override {
    std::lock_guard lock(shared_->mu);
    return shared_->commits;
  }
  const std::string& location() const override { return location_; }

 protected:
  void get(const Effect& e, EffectResult& r) override { r = run(e); }
  void write(const Effect& e, bool, EffectResult& r) override { r = run(e); }
  void remove(const Effect& e, EffectResult& r) override { r = run(e); }
  void list(const Effect& e, EffectResult& r) override { r = run(e); }

 private:
  EffectResult run(const Effect& effect) {
    std::lock_guard lock(shared_->mu);
    EffectResult r = shared_->store.perform(effect);
    const bool wrote = (effect.kind == EffectKind::store_put || effect.kind == EffectKind::store_cas) && !r.conflict;
    if (wrote || (effect.kind == EffectKind::store_delete && r.found)) ++shared_->commits;
    return r;
  }

  std::shared_ptr<Shared> shared_;
  std::string location_ = "memory";
};

class StoreConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const std::string& kind = GetParam();
    if (kind == "memory") {
      memory_ = std::make_shared<SharedMemoryStore::Shared>();
    } else if (kind == "sqlite") {
      const char* tmp = std::getenv("TMPDIR");
      std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/latchkey-conformance-XXXXXX";
      ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
      dir_ = pattern;
      location_ = dir_ + "/latchkey.db";
    } else {
      if (!postgres_admin_uri()) GTEST_SKIP() << kSkipWithoutPostgres;
      auto db = TestDatabase::create();
      ASSERT_TRUE(db) << "could not create a test database";
      db_ = std::move(db);
      location_ = db_->uri();
    }
  }
  void TearDown() override {
    opened_.clear();  // connections first: the database is dropped after
    db_.reset();
    if (!dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

  /// A new connection to this test's store (the same MemoryStore for "memory").
  Store* open() {
    if (memory_) {
      opened_.push_back(std::make_unique<SharedMemoryStore>(memory_));
      return opened_.back().get();
    }
    auto opened = open_store(location_);
    EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error().message);
    if (!opened.ok()) return nullptr;
    opened_.push_back(std::move(*opened));
    return opened_.back().get();
  }
  /// A new connection for another thread; the caller owns it.
  std::unique_ptr<Store> open_owned() {
    if (memory_) return std::make_unique<SharedMemoryStore>(memory_);
    auto opened = open_store(location_);
    if (!opened.ok()) return nullptr;
    return std::move(*opened);
  }

  std::shared_ptr<SharedMemoryStore::Shared> memory_;
  std::string dir_, location_;
  std::unique_ptr<TestDatabase> db_;
  std::vector<std::unique_ptr<Store>> opened_;
};

// ---- the MemoryStore behaviour table -------------------------------------------------------

struct Step {
  Effect effect;
  std::string expect;  // show() of the expected result
};

std::vector<Step> behaviour_table() {
  const std::string none = "found=0 conflict=0 record={, , 0} records=[]";
  const std::string conflict = "found=0 conflict=1 record={, , 0} records=[]";
  const std::string deleted = "found=1 conflict=0 record={, , 0} records=[]";
  auto found = [](const std::string& rec) { return "found=1 conflict=0 record=" + rec + " records=[]"; };
  auto wrote = [](const std::string& rec) { return "found=0 conflict=0 record=" + rec + " records=[]"; };
  auto listed = [](const std::string& recs) { return "found=0 conflict=0 record={, , 0} records=[" + recs + "]"; };
  const std::string ff = "\xff";
  return {
      {get("conn/a"), none},
      {put("conn/a", "v1"), wrote("{conn/a, v1, 1}")},
      {get("conn/a"), found("{conn/a, v1, 1}")},
      {cas("conn/a", 1, "v2"), wrote("{conn/a, v2, 2}")},
      {cas("conn/a", 1, "v3"), conflict},  // stale version
      {get("conn/a"), found("{conn/a, v2, 2}")},
      {cas("conn/a", 0, "x"), conflict},  // create, but it exists
      {cas("conn/b", 0, "b1"), wrote("{conn/b, b1, 3}")},
      {cas("conn/nope", 5, "x"), conflict},  // absent, but a version was expected
      {get("conn/nope"), none},
      {del("conn/a", 1), conflict},  // wrong version: still there
      {get("conn/a"), found("{conn/a, v2, 2}")},
      {del("conn/a", 2), deleted},
      {get("conn/a"), none},
      {del("conn/a"), none},     // unconditional, absent
      {del("conn/a", 7), none},  // at a version, absent: not found, no conflict
      {put("conn/a", "again"), wrote("{conn/a, again, 4}")},  // recreated: a new, higher version
      {put("conn/a", ""), wrote("{conn/a, , 5}")},             // empty values are values
      {get("conn/a"), found("{conn/a, , 5}")},
      {put("p", "1"), wrote("{p, 1, 6}")},
      {put("p%", "2"), wrote("{p%, 2, 7}")},
      {put("p%x", "3"), wrote("{p%x, 3, 8}")},
      {put("p_y", "4"), wrote("{p_y, 4, 9}")},
      {put("pa", "5"), wrote("{pa, 5, 10}")},
      {put("p" + ff, "6"), wrote("{p\\xff, 6, 11}")},
      {put("p" + ff + ff, "7"), wrote("{p\\xff\\xff, 7, 12}")},
      {put("q", "8"), wrote("{q, 8, 13}")},
      {put("o", "9"), wrote("{o, 9, 14}")},
      {put("pa", "5b"), wrote("{pa, 5b, 15}")},
      {put("bin", std::string("a\0b\xff", 4)), wrote("{bin, a\\x00b\\xff, 16}")},  // any byte, NUL too
      {get("bin"), found("{bin, a\\x00b\\xff, 16}")},
      {del("bin"), deleted},
      {list("p%"), listed("{p%, 2, 7} {p%x, 3, 8} ")},  // '%' is not a wildcard
      {list("p_"), listed("{p_y, 4, 9} ")},              // nor is '_'
      {list("p"), listed("{p, 1, 6} {p%, 2, 7} {p%x, 3, 8} {p_y, 4, 9} {pa, 5b, 15} {p\\xff, 6, 11} "
                         "{p\\xff\\xff, 7, 12} ")},
      {list("p" + ff), listed("{p\\xff, 6, 11} {p\\xff\\xff, 7, 12} ")},  // no successor past 0xff
      {list(ff), listed("")},
      {list("conn/"), listed("{conn/a, , 5} {conn/b, b1, 3} ")},
      {list("zzz"), listed("")},
      {list("pa"), listed("{pa, 5b, 15} ")},
      // With a limit: the first records in key order, however many more match.
      {list("p", 2), listed("{p, 1, 6} {p%, 2, 7} ")},
      {list("p", 1), listed("{p, 1, 6} ")},
      {list("p" + ff, 1), listed("{p\\xff, 6, 11} ")},
      {list("conn/", 2), listed("{conn/a, , 5} {conn/b, b1, 3} ")},  // exactly as many as there are
      {list("conn/", 50), listed("{conn/a, , 5} {conn/b, b1, 3} ")},
      {list("zzz", 3), listed("")},
      {list("", 3), listed("{conn/a, , 5} {conn/b, b1, 3} {o, 9, 14} ")},
      {del("p"), deleted},
      {del("conn/b", 3), deleted},
      {list(""), listed("{conn/a, , 5} {o, 9, 14} {p%, 2, 7} {p%x, 3, 8} {p_y, 4, 9} {pa, 5b, 15} {p\\xff, 6, 11} "
                        "{p\\xff\\xff, 7, 12} {q, 8, 13} ")},
      {put("conn/b", "b2"), wrote("{conn/b, b2, 17}")},
  };
}

TEST_P(StoreConformance, MatchesMemoryStoreStepForStep) {
  MemoryStore memory;
  Store* store = open();
  ASSERT_TRUE(store);
  std::int64_t last_version = 0;
  int n = 0;
  for (const Step& step : behaviour_table()) {
    SCOPED_TRACE("step " + std::to_string(++n) + ": " + to_string(step.effect.kind) + " " + escaped(step.effect.key) +
                 escaped(step.effect.prefix));
    const EffectResult from_memory = memory.perform(step.effect);
    const EffectResult from_store = store->perform(step.effect);
    EXPECT_EQ(show(from_memory), step.expect);
    EXPECT_EQ(show(from_store), show(from_memory));
    if ((step.effect.kind == EffectKind::store_put || step.effect.kind == EffectKind::store_cas) &&
        !from_store.conflict) {
      EXPECT_GT(from_store.record.version, last_version) << "versions strictly increase";
      last_version = from_store.record.version;
    }
  }
  // Other effect kinds are not the store's business.
  Effect wait;
  wait.kind = EffectKind::wait;
  EXPECT_EQ(show(store->perform(wait)), show(memory.perform(wait)));
}

// ---- across connections --------------------------------------------------------------------

TEST_P(StoreConformance, CompareAndSwapIsAtomicAcrossConnections) {
  constexpr int kIncrements = 300;  // per thread
  Store* setup = open();
  ASSERT_TRUE(setup);
  ASSERT_EQ(setup->perform(put("counter", "0")).store_error, "");
  const std::int64_t first = setup->perform(get("counter")).record.version;
  std::atomic<int> conflicts{0}, failures{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] {
      std::unique_ptr<Store> store = open_owned();  // a connection of its own
      if (!store) {
        ++failures;
        return;
      }
      while (!go) std::this_thread::yield();
      for (int i = 0; i < kIncrements;) {
        const EffectResult now = store->perform(get("counter"));
        if (!now.store_error.empty() || !now.found) {
          ++failures;
          return;
        }
        const long next = std::strtol(now.record.value.c_str(), nullptr, 10) + 1;
        ::usleep(20);  // think time between read and swap, so the two really race
        const EffectResult swapped = store->perform(cas("counter", now.record.version, std::to_string(next)));
        if (!swapped.store_error.empty()) {
          ++failures;
          return;
        }
        if (swapped.conflict) {
          ++conflicts;  // the other got there first: read again
        } else {
          ++i;
        }
      }
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  RecordProperty("conflicts", conflicts.load());
  EXPECT_GT(conflicts, 0) << "the connections never raced; the test proves nothing";
  const EffectResult counter = setup->perform(get("counter"));
  EXPECT_EQ(counter.record.value, std::to_string(2 * kIncrements)) << "no lost update";
  EXPECT_EQ(counter.record.version, first + 2 * kIncrements) << "one version per successful swap, no gaps";
}

TEST_P(StoreConformance, VersionsGrowAcrossKeysDeletesAndConnections) {
  Store* a = open();
  Store* b = open();
  ASSERT_TRUE(a && b);
  const std::int64_t v1 = a->perform(put("k1", "x")).record.version;
  const std::int64_t v2 = b->perform(put("k2", "y")).record.version;
  EXPECT_GT(v2, v1) << "one counter for every connection";
  EXPECT_TRUE(b->perform(del("k2")).found);
  const std::int64_t v3 = a->perform(put("k2", "again")).record.version;
  EXPECT_GT(v3, v2) << "a recreated key never gets a version it had";
  const EffectResult conflict = b->perform(cas("k1", v1 + 100, "no"));
  EXPECT_TRUE(conflict.conflict);
  const std::int64_t v4 = b->perform(cas("k1", v1, "yes")).record.version;
  EXPECT_EQ(v4, v3 + 1) << "a conflict draws no version";
  EXPECT_EQ(show(a->perform(get("k1"))), "found=1 conflict=0 record={k1, yes, " + std::to_string(v4) + "} records=[]");
}

TEST_P(StoreConformance, ListsByPrefixInKeyOrderWithALimitAcrossConnections) {
  Store* a = open();
  Store* b = open();
  ASSERT_TRUE(a && b);
  // Written out of order, half by each connection; keys with bytes above 0x7f sort after ASCII.
  std::vector<std::string> keys;
  for (int i = 0; i < 40; ++i) keys.push_back("conn/" + std::string(1, static_cast<char>('A' + (i * 7) % 40)) + "/" +
                                               std::to_string(i));
  keys.push_back("conn/\xc3\xa9");
  keys.push_back("connx");  // shares "conn" but not "conn/"
  for (std::size_t i = 0; i < keys.size(); ++i) {
    ASSERT_EQ((i % 2 ? a : b)->perform(put(keys[i], std::to_string(i))).store_error, "");
  }
  std::vector<std::string> expected;
  for (const std::string& k : keys) {
    if (k.rfind("conn/", 0) == 0) expected.push_back(k);
  }
  std::sort(expected.begin(), expected.end());  // std::string's order: bytes as unsigned
  const EffectResult all = a->perform(list("conn/"));
  ASSERT_EQ(all.records.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(all.records[i].key, expected[i]);
  EXPECT_EQ(all.records.back().key, "conn/\xc3\xa9");
  const EffectResult first = b->perform(list("conn/", 10));
  ASSERT_EQ(first.records.size(), 10u);
  for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ(first.records[i].key, expected[i]);
}

// ---- data_version --------------------------------------------------------------------------

/// Asks `store` until its data_version differs from `from` or `wait` passes.
std::int64_t changed_from(Store& store, std::int64_t from, std::chrono::milliseconds wait) {
  const auto until = std::chrono::steady_clock::now() + wait;
  for (;;) {
    auto v = store.data_version();
    if (v.ok() && *v != from) return *v;
    if (std::chrono::steady_clock::now() >= until) return from;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

// A host that keeps what it read in memory forgets it when this changes: it must change for a
// commit by another connection, and stay put while nothing is committed (a write that conflicted
// commits nothing).
TEST_P(StoreConformance, DataVersionChangesWhenAnotherConnectionCommits) {
  Store* watcher = open();
  Store* writer = open();
  ASSERT_TRUE(watcher && writer);
  ASSERT_EQ(writer->perform(put("conn/a", "1")).store_error, "");
  auto v0 = watcher->data_version();
  ASSERT_TRUE(v0.ok()) << v0.error().message;
  EXPECT_EQ(changed_from(*watcher, *v0, std::chrono::milliseconds(300)), *v0) << "nothing was committed";
  EXPECT_TRUE(writer->perform(cas("conn/a", 999, "2")).conflict);
  EXPECT_TRUE(writer->perform(cas("conn/a", 0, "2")).conflict);
  EXPECT_EQ(changed_from(*watcher, *v0, std::chrono::milliseconds(300)), *v0) << "a conflict commits nothing";

  ASSERT_EQ(writer->perform(put("conn/a", "2")).store_error, "");
  const std::int64_t v1 = changed_from(*watcher, *v0, std::chrono::milliseconds(3000));
  EXPECT_NE(v1, *v0) << "a commit by another connection";
  EXPECT_EQ(changed_from(*watcher, v1, std::chrono::milliseconds(100)), v1);

  ASSERT_TRUE(writer->perform(del("conn/a")).found);
  EXPECT_NE(changed_from(*watcher, v1, std::chrono::milliseconds(3000)), v1) << "a delete is a change too";
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreConformance, ::testing::Values("memory", "sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace latchkey::native
