// The engine itself: its configuration checked, its keys and generator. The operations it makes
// are defined with their classes, in op_*.cpp.
#include "latchkey/engine.hpp"

#include "crypto.hpp"
#include "engine_memory.hpp"
#include "seal.hpp"

namespace latchkey {

Result<std::unique_ptr<Engine>> Engine::create(const EngineConfig& config) {
  auto sealer = detail::Sealer::create(config.master_keys, config.current_key_version);
  if (!sealer) return sealer.error();
  auto drbg = detail::Drbg::create(config.entropy);
  if (!drbg) return drbg.error();
  constexpr std::int64_t kDay = 24LL * 3600 * 1000;
  const bool sane = config.pending_ttl_ms > 0 && config.pending_ttl_ms <= kDay && config.lease_ms >= 1000 &&
                    config.lease_ms <= kDay && config.refresh_retries >= 0 && config.refresh_retries <= 10 &&
                    config.retry_base_ms > 0 && config.retry_base_ms <= config.retry_max_ms &&
                    config.retry_max_ms <= 3600 * 1000 && config.breaker_threshold > 0 &&
                    config.breaker_max_ms > 0 && config.breaker_max_ms <= kDay;
  if (!sane) {
    return make_error(ErrorCode::invalid_request,
                      "engine timings are out of range: pending_ttl_ms and breaker_max_ms in (0, 1 day], lease_ms in "
                      "[1 s, 1 day], 0 <= refresh_retries <= 10, 0 < retry_base_ms <= retry_max_ms <= 1 h, "
                      "breaker_threshold > 0");
  }
  std::unique_ptr<Engine> e(new Engine);
  e->config_ = config;
  // The sealer holds the only copy of the keys (zeroed when it is destroyed); the caller's own
  // config is the caller's to wipe.
  for (auto& entry : e->config_.master_keys) detail::wipe(entry.second);
  e->config_.master_keys.clear();
  detail::wipe(e->config_.entropy);
  e->sealer_ = std::make_unique<detail::Sealer>(std::move(*sealer));
  e->drbg_ = std::move(*drbg);
  e->memory_ = std::make_unique<detail::EngineMemory>();
  return e;
}

Engine::~Engine() = default;

void Engine::add_entropy(const std::string& bytes) { drbg_->add_entropy(bytes); }

namespace detail {

const Provider* EngineMemory::provider_read(const std::string& key, const std::string& text) const {
  auto it = providers_.find(key);
  return it != providers_.end() && it->second.text == text ? &it->second.provider : nullptr;
}

void EngineMemory::keep_provider(const std::string& key, const std::string& text, const Provider& provider) {
  if (text.size() > kMaxProviderText) return;
  providers_.erase(key);
  std::size_t kept = text.size();
  for (const auto& [k, read] : providers_) kept += read.text.size();
  if (providers_.size() >= kMaxProviders || kept > kMaxProviderText) providers_.clear();
  providers_[key] = {text, provider};
}

}  // namespace detail

const char* to_string(Mode mode) { return mode == Mode::managed ? "managed" : "your-own"; }

}  // namespace latchkey
