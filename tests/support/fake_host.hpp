// A scripted host for driving operations in unit tests: an in-memory versioned store, a clock
// the test moves, and HTTP answered by a handler the test writes (the "scripted effects" seam).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "latchkey/engine.hpp"
#include "latchkey/memory_store.hpp"

namespace latchkey::testing {

using latchkey::MemoryStore;

struct HttpCall {
  HttpRequest request;
};

class FakeHost {
 public:
  using Handler = std::function<EffectResult(const HttpRequest&)>;

  MemoryStore store;
  std::int64_t now_ms = 1700000000000;
  Handler http;
  std::vector<HttpRequest> calls;
  std::vector<std::int64_t> sleeps;     ///< How long each wait effect lasted (until_ms - now_ms when asked), in order.
  std::vector<std::int64_t> deadlines;  ///< Each wait effect's until_ms, in order.
  int steps = 0;

  /// All the time waited, in ms.
  std::int64_t slept_ms() const { return std::accumulate(sleeps.begin(), sleeps.end(), std::int64_t{0}); }

  /// Performs one effect.
  EffectResult perform(const Effect& e);

  /// Runs `op` to completion.
  template <class T>
  const Result<T>& run(Operation<T>& op) {
    const Effect* e = op.start(now_ms);
    while (e) {
      if (++steps > 100000) std::abort();  // an operation that never ends is a bug
      EffectResult r = perform(*e);
      e = op.resume(r, now_ms);
    }
    return op.result();
  }
  template <class T>
  Result<T> run(std::unique_ptr<Operation<T>> op) {
    return run(*op);
  }
};

/// An HTTP answer.
EffectResult respond(int status, std::string body, std::string content_type = "application/json",
                     Params extra_headers = {});
EffectResult transport_failure(std::string message);

/// An engine with a fixed key and seed (deterministic).
std::unique_ptr<Engine> make_engine(EngineConfig config = {});
/// Another process's engine on the same store: make_engine's key, a seed of its own (so its
/// states and ids differ), and nothing remembered between operations yet.
std::unique_ptr<Engine> make_other_engine();
/// The engine after a master key rotation: make_engine's key as version 1 beside a new current
/// version 2, so reseal() moves every secret to version 2. `keep_old` false: version 2 alone,
/// which opens only what was re-sealed.
std::unique_ptr<Engine> make_rotated_engine(bool keep_old = true);

/// App credentials for `provider` (no secret when `secret` is empty: a public client).
AppInput app_input(const std::string& provider, const std::string& client_id, const std::string& secret,
                   const std::string& redirect_uri);

/// Form body → params (for checking what the core sent).
std::map<std::string, std::string> form_fields(const std::string& body);
/// Query of a URL → params.
std::map<std::string, std::string> query_fields(const std::string& url);
/// The parameters of a request's `Authorization: OAuth k="v", …` header (RFC 5849 §3.5.1),
/// decoded; empty without one.
std::map<std::string, std::string> oauth_header_fields(const HttpRequest& request);

}  // namespace latchkey::testing
