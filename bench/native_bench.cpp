// Native-host figures through the real SQLite store: get-valid-token (issue 3), and starting an
// authorization with 0 and with 1,000 sign-ins outstanding (issue 12).
//   build/native/bench/latchkey_native_bench
//   node bench/authorize_backlog_bench.mjs … prints the issue 12 pair with its ratio
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "latchkey/engine.hpp"
#include "bench_ops.hpp"
#include "store/sqlite_store.hpp"

namespace {

using namespace latchkey;

/// A SQLite store in a fresh directory under /tmp; the directory goes with it.
struct TempSqliteStore {
  TempSqliteStore() {
    char name[] = "/tmp/latchkey-bench-XXXXXX";
    if (!mkdtemp(name)) std::abort();
    dir = name;
    auto s = native::SqliteStore::open(dir + "/latchkey.db");
    if (!s) std::abort();
    store = std::move(*s);
  }
  ~TempSqliteStore() {
    store.reset();  // closed before its files are removed
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  std::string dir;
  std::unique_ptr<native::SqliteStore> store;
};

struct SqliteFixture : TempSqliteStore {
  SqliteFixture() {
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

// authorize on a store holding `backlog` live pending sign-ins (state.range(0)), each started as
// a user would. What a timed start writes is removed untimed, so every iteration sees the same
// backlog; the store's file lives in a fresh directory per backlog.
void BM_AuthorizeWithBacklog(benchmark::State& state) {
  TempSqliteStore temp;
  native::SqliteStore* store = temp.store.get();
  auto engine = bench::make_engine();
  const std::int64_t now = 1700000000000;
  std::vector<std::string> written;  // keys a run put or cas'd
  auto drive = [&](auto op) {
    const Effect* e = op->start(now);
    while (e) {
      if (e->kind == EffectKind::store_put || e->kind == EffectKind::store_cas) written.push_back(e->key);
      e = op->resume(store->perform(*e), now);
    }
    if (!op->result()) state.SkipWithError(op->result().error().message.c_str());
    return op->result().ok();
  };
  AppInput app;
  app.provider = "github";
  app.client_id = "gh-client";
  app.client_secret = "gh-secret";
  app.redirect_uri = "http://127.0.0.1:8765/callback";
  if (!drive(engine->upsert_app(app))) return;
  AuthorizeRequest req;
  req.principal = "alice";
  req.provider = "github";
  for (std::int64_t i = 0; i < state.range(0); ++i) {
    if (!drive(engine->authorize(req))) return;
  }
  for (auto _ : state) {
    written.clear();
    if (!drive(engine->authorize(req))) break;
    state.PauseTiming();
    for (const std::string& key : written) {
      Effect del;
      del.kind = EffectKind::store_delete;
      del.key = key;
      store->perform(del);
    }
    state.ResumeTiming();
  }
}
BENCHMARK(BM_AuthorizeWithBacklog)->Arg(0)->Arg(1000)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
