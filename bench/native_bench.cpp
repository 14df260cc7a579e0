// Native-host figures (issue 3): get-valid-token through the real SQLite store.
//   build/native/bench/latchkey_native_bench
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "latchkey/engine.hpp"
#include "records.hpp"
#include "seal.hpp"
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
    EngineConfig cfg;
    cfg.master_keys[1] = std::string(32, 'k');
    cfg.entropy = std::string(48, 's');
    auto made = Engine::create(cfg);
    if (!made) std::abort();
    engine = std::move(made).value();
    // A fresh sealed GitHub connection with a Google-sized token, written as the core writes it.
    ConnectionRef ref{"alice", "github", "default"};
    std::string key = detail::connection_key(ref);
    detail::ConnectionRecord rec;
    rec.principal = ref.principal;
    rec.provider = ref.provider;
    rec.account = ref.account;
    rec.access_token_sealed = engine->sealer().seal(detail::seal_place(key, "access_token"),
                                                    "gho_" + std::string(191, 'x'), engine->drbg());
    rec.refresh_token_sealed = engine->sealer().seal(detail::seal_place(key, "refresh_token"),
                                                     "ghr_" + std::string(101, 'r'), engine->drbg());
    rec.expires_at_ms = 4102444800000;  // 2100
    rec.scope = "repo read:user";
    Effect put;
    put.kind = EffectKind::store_put;
    put.key = key;
    put.value = detail::to_json(rec);
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
