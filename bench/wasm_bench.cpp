// The same operations exported from the Emscripten build; bench/wasm_bench.mjs times them.
#include <cstdint>

#include "bench_ops.hpp"

namespace {
latchkey::bench::Fixture& fixture() {
  static latchkey::bench::Fixture f;
  return f;
}
volatile std::size_t sink;
}  // namespace

extern "C" {
/// Runs operation `which` (0 pkce, 1 url, 2 token parse, 3 get-valid-token, 4 the same with
/// short tokens) `n` times.
__attribute__((used)) void lk_bench_run(int which, int n) {
  auto& f = fixture();
  std::size_t acc = 0;
  for (int i = 0; i < n; ++i) {
    switch (which) {
      case 0: acc += f.pkce_pair(); break;
      case 1: acc += f.authorization_url(); break;
      case 2: acc += f.token_response(); break;
      case 3: acc += f.get_valid_token(); break;
      default: acc += f.get_valid_token_short(); break;
    }
  }
  sink = acc;
}
}
