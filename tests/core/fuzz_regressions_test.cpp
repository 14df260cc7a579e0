// Replays every fuzz input kept in the tree through its harness, on every preset (natively and
// on both wasm targets): the regression vectors of crashes the fuzzers found
// (tests/vectors/fuzz/<harness>/) and the hand-made seeds (tests/fuzz/seeds/<harness>/). A
// harness that finds its invariant broken aborts with the reason, failing this suite.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "fuzz/fuzz_inputs.hpp"

namespace latchkey::fuzz {
namespace {

using Harness = void (*)(const std::uint8_t*, std::size_t);

Harness harness_named(const char* name) {
  static const struct {
    const char* name;
    Harness run;
  } kHarnesses[] = {{"token_response", token_response}, {"callback", callback},
                    {"provider_json", provider_json},   {"discovery", discovery},
                    {"oauth1_base_string", oauth1_base_string}, {"c_abi", c_abi}};
  for (const auto& h : kHarnesses) {
    if (std::strcmp(h.name, name) == 0) return h.run;
  }
  return nullptr;
}

TEST(FuzzRegressions, EveryKeptInputPassesItsHarness) {
  std::size_t replayed = 0;
  for (const Input& in : inputs()) {
    if (std::strcmp(in.harness, "gateway_head") == 0) continue;  // Boost: the fuzz preset replays it
    SCOPED_TRACE(in.path);
    Harness run = harness_named(in.harness);
    ASSERT_NE(run, nullptr) << "no harness named " << in.harness;
    run(reinterpret_cast<const std::uint8_t*>(in.bytes.data()), in.bytes.size());
    ++replayed;
  }
  EXPECT_GE(replayed, 20u);  // the seeds alone: a glob that found nothing fails here
}

}  // namespace
}  // namespace latchkey::fuzz
