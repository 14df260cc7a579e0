// Native figures: cmake --build --preset native --target latchkey_bench && build/native/bench/latchkey_bench
#include <benchmark/benchmark.h>

#include "bench_ops.hpp"

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

BENCHMARK(BM_PkcePair);
BENCHMARK(BM_AuthorizationUrl);
BENCHMARK(BM_TokenResponseParse);
BENCHMARK(BM_GetValidToken);
BENCHMARK(BM_GetValidTokenShort);

}  // namespace

BENCHMARK_MAIN();
