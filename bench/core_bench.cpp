// Native figures: cmake --build --preset native --target latchkey_bench && build/native/bench/latchkey_bench
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "bench_ops.hpp"
#include "latchkey/catalog.hpp"

namespace latchkey::detail {
std::string_view embedded_catalog();
}  // namespace latchkey::detail

namespace {

latchkey::bench::Fixture& fixture() {
  static latchkey::bench::Fixture f;
  return f;
}

void BM_PkcePair(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(fixture().pkce_pair());
}
void BM_AuthorizationUrl(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(fixture().authorization_url());
}
void BM_TokenResponseParse(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(fixture().token_response());
}
void BM_GetValidToken(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(fixture().get_valid_token());
}

void BM_GetValidTokenShort(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(fixture().get_valid_token_short());
}

// What a process pays on its first catalog lookup (`latchkey token` included): the embedded
// catalog read and every entry validated. LATCHKEY_BENCH_CATALOG=FILE adds the same for another
// catalog document (e.g. an older providers.json), timed in the same run.
void BM_CatalogLoad(benchmark::State& state, std::string document) {
  for (auto _ : state) {
    auto c = latchkey::parse_catalog(document);
    if (!c) state.SkipWithError(c.error().message.c_str());
    benchmark::DoNotOptimize(c);
  }
  state.counters["entries"] = static_cast<double>(latchkey::parse_catalog(document)->size());
}

const bool kCatalogBenchmarks = [] {
  benchmark::RegisterBenchmark("BM_CatalogLoad/embedded", BM_CatalogLoad,
                               std::string(latchkey::detail::embedded_catalog()))
      ->Unit(benchmark::kMicrosecond);
  if (const char* file = std::getenv("LATCHKEY_BENCH_CATALOG")) {
    std::ifstream in(file);
    std::ostringstream text;
    text << in.rdbuf();
    benchmark::RegisterBenchmark("BM_CatalogLoad/file", BM_CatalogLoad, text.str())->Unit(benchmark::kMicrosecond);
  }
  return true;
}();

BENCHMARK(BM_PkcePair);
BENCHMARK(BM_AuthorizationUrl);
BENCHMARK(BM_TokenResponseParse);
BENCHMARK(BM_GetValidToken);
BENCHMARK(BM_GetValidTokenShort);

}  // namespace

BENCHMARK_MAIN();
