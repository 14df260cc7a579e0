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
  if (e.kind == EffectKind::http) {
    EffectResult r;
    r.transport_error = "this build of the latchkey CLI has no network client yet";
    return r;
  }
  if (e.kind == EffectKind::sleep) {
    std::this_thread::sleep_for(std::chrono::milliseconds(e.sleep_ms));
    return {};
  }
  return store_.perform(e);
}

}  // namespace latchkey::native
