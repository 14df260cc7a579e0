// Answers a store.* effect given in the C ABI's JSON form (docs/effects.md) from a MemoryStore,
// for tests that drive the core through latchkey.h as a wasm or FFI host would.
#pragma once

#include <string>

#include "json.hpp"
#include "latchkey/memory_store.hpp"

namespace latchkey::testing {

/// The JSON result for `effect` (an object with "kind": "store.get" | … | "store.list"): only the
/// members that matter for its kind, so transcripts stay short.
std::string answer_store_effect(MemoryStore& store, const detail::json::Object& effect);

}  // namespace latchkey::testing
