#include "local_host.hpp"

#include <sys/random.h>

#include <chrono>
#include <thread>

namespace latchkey::native {
namespace {

Result<std::string> os_random(std::size_t n) {
  std::string out(n, '\0');
  std::size_t done = 0;
  while (done < n) {
    ssize_t got = getrandom(out.data() + done, n - done, 0);
    if (got <= 0) return make_error(ErrorCode::internal, "the operating system's random source failed");
    done += static_cast<std::size_t>(got);
  }
  return out;
}

}  // namespace

Result<LocalHost> LocalHost::create() {
  auto key = os_random(32);
  auto seed = os_random(48);
  if (!key) return key.error();
  if (!seed) return seed.error();
  EngineConfig cfg;
  cfg.master_keys[1] = *key;
  cfg.entropy = *seed;
  auto engine = Engine::create(cfg);
  if (!engine) return engine.error();
  LocalHost h;
  h.engine_ = std::move(*engine);
  return h;
}

std::int64_t LocalHost::now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

EffectResult LocalHost::perform(const Effect& e) {
  EffectResult r;
  auto it = records_.find(e.key);
  switch (e.kind) {
    case EffectKind::http:
      r.transport_error = "this build of the latchkey CLI has no network client yet";
      break;
    case EffectKind::sleep:
      std::this_thread::sleep_for(std::chrono::milliseconds(e.sleep_ms));
      break;
    case EffectKind::store_get:
      if (it != records_.end()) {
        r.found = true;
        r.record = it->second;
      }
      break;
    case EffectKind::store_put:
      records_[e.key] = {e.key, e.value, next_version_++};
      r.record = records_[e.key];
      break;
    case EffectKind::store_cas:
      if ((it == records_.end() ? 0 : it->second.version) != e.expected_version) {
        r.conflict = true;
      } else {
        records_[e.key] = {e.key, e.value, next_version_++};
        r.record = records_[e.key];
      }
      break;
    case EffectKind::store_delete:
      if (it != records_.end()) {
        r.found = true;
        records_.erase(it);
      }
      break;
    case EffectKind::store_list:
      for (auto i = records_.lower_bound(e.prefix); i != records_.end() && i->first.rfind(e.prefix, 0) == 0; ++i) {
        r.records.push_back(i->second);
      }
      break;
  }
  return r;
}

}  // namespace latchkey::native
