// What an engine remembers between operations. Nothing here is needed for correctness: each is
// a saving that a new engine (a new process) simply has not made yet.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "latchkey/provider.hpp"

namespace latchkey::detail {

struct EngineMemory {
  /// Per record prefix ("pending/", "device/"): until when a sweep would remove nothing — the
  /// expiry of the first live entry the last sweep saw, at most a minute ahead. Absent (no live
  /// entry seen, or a removal failed): the next start sweeps (steps.cpp).
  std::map<std::string, std::int64_t> sweep_due;

  /// A custom provider read from the store before, from exactly `text`, or nullptr: reading a
  /// definition (parse, schema, validation) is most of an operation on a custom provider, and
  /// the text decides the result.
  const Provider* provider_read(const std::string& key, const std::string& text) const;
  /// Keeps `provider`, read from `text`. Bounded (a gateway keeps an engine per request slot):
  /// past kMaxProviders entries or kMaxProviderText bytes of text it starts over.
  void keep_provider(const std::string& key, const std::string& text, const Provider& provider);

  static constexpr std::size_t kMaxProviders = 64;
  static constexpr std::size_t kMaxProviderText = 512 * 1024;

 private:
  struct ReadProvider {
    std::string text;
    Provider provider;
  };
  std::map<std::string, ReadProvider> providers_;
};

}  // namespace latchkey::detail
