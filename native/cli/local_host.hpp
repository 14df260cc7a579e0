// The CLI's host for the core's effects. For now: an empty in-memory store and no network,
// enough for the catalog verbs; the native runtime issue puts SQLite and mbedTLS behind it.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "latchkey/engine.hpp"
#include "latchkey/memory_store.hpp"

namespace latchkey::native {

class LocalHost {
 public:
  /// Seeds an engine from the OS CSPRNG with an ephemeral master key (nothing is persisted yet).
  static Result<LocalHost> create();
  Engine& engine() { return *engine_; }

  template <class T>
  Result<T> run(std::unique_ptr<Operation<T>> op) {
    const Effect* e = op->start(now_ms());
    while (e) e = op->resume(perform(*e), now_ms());
    return op->result();
  }

 private:
  EffectResult perform(const Effect& effect);
  static std::int64_t now_ms();
  std::unique_ptr<Engine> engine_;
  MemoryStore store_;
};

}  // namespace latchkey::native
