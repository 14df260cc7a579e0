// Native-host figures (issue 3): get-valid-token through the real SQLite store.
//   build/native/bench/latchkey_native_bench
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "latchkey/engine.hpp"
#include "bench_ops.hpp"
#include "store/sqlite_store.hpp"

namespace {

using namespace latchkey;

struct SqliteFixture {
  SqliteFixture() {
    char dir[] = "/tmp/latchkey-bench-XXXXXX";
    if (!mkdtemp(dir)) std::abort();
    path = std::string(dir) + "/latchkey.db";
    auto s = native::SqliteStore::open(path);
    if (!s) std::abort();
    store = std::move(*s);
    engine = bench::make_engine();
    // A fresh sealed GitHub connection with a Google-sized token, written as the core writes it.
    StoreRecord rec = bench::sealed_connection(*engine, {"alice", "github", "default"}, "gho_" + std::string(191, 'x'),
                                               "ghr_" + std::string(101, 'r'), 4102444800000 /* 2100 */,
                                               "repo read:user");
    Effect put;
    put.kind = EffectKind::store_put;
    put.key = rec.key;
    put.value = rec.value;
    if (!store->perform(put).store_error.empty()) std::abort();
  }
  std::string path;
  std::unique_ptr<native::SqliteStore> store;
  std::unique_ptr<Engine> engine;
};

void BM_GetValidTokenSqlite(benchmark::State& state) {
  static SqliteFixture f;
  for (auto _ : state) {
    auto op = f.engine->get_token({"alice", "github", "default"});
    const Effect* e = op->start(1700000000000);
    while (e) e = op->resume(f.store->perform(*e), 1700000000000);
    if (!op->result()) state.SkipWithError(op->result().error().message.c_str());
    benchmark::DoNotOptimize(op->result()->access_token.data());
  }
  state.counters["ops/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_GetValidTokenSqlite);

void BM_SqliteGet(benchmark::State& state) {
  static SqliteFixture f;
  Effect get;
  get.kind = EffectKind::store_get;
  get.key = "conn/alice/github/default";
  for (auto _ : state) benchmark::DoNotOptimize(f.store->perform(get).found);
}
BENCHMARK(BM_SqliteGet);

}  // namespace

BENCHMARK_MAIN();
