#include "host.hpp"

#include <chrono>
#include <thread>

#include "master_key.hpp"

namespace latchkey::native {

Result<std::unique_ptr<Host>> Host::open(const HostOptions& options) {
  std::unique_ptr<Host> h(new Host);
  h->store_path_ = options.store_path.empty() ? default_store_path() : options.store_path;
  auto store = SqliteStore::open(h->store_path_);
  if (!store) return store.error();
  h->store_ = std::move(*store);

  auto check = h->store_->key_check();
  if (!check) return check.error();
  Effect any;
  any.kind = EffectKind::store_list;
  bool has_data = !check->empty() || !h->store_->perform(any).records.empty();
  auto key = load_master_key(h->store_path_, has_data);
  if (!key) return key.error();
  std::string expected = master_key_check(key->bytes);
  if (check->empty()) {
    if (auto s = h->store_->set_key_check(expected); !s) return s.error();
  } else if (*check != expected) {
    return make_error(ErrorCode::crypto, "the master key from " + key->source + " is not the key the store " +
                                             h->store_path_ +
                                             " was sealed with; restore the right key (nothing was changed)");
  }

  HttpsClientOptions http_options;
  http_options.ca_file = options.ca_file;
  auto client = HttpsClient::create(http_options);
  if (!client) return client.error();
  h->http_ = std::move(*client);

  auto entropy = os_random(48);
  if (!entropy) return entropy.error();
  EngineConfig config;
  config.master_keys[1] = key->bytes;
  config.current_key_version = 1;
  config.entropy = std::move(*entropy);
  auto engine = Engine::create(config);
  if (!engine) return engine.error();
  h->engine_ = std::move(*engine);
  return h;
}

std::int64_t Host::now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

EffectResult Host::http(const HttpRequest& request) { return http_->perform(request); }

Result<EffectResult> Host::authorized_request(const ConnectionRef& ref, const HttpRequest& request, bool* refreshed) {
  if (refreshed) *refreshed = false;
  EffectResult r;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (attempt == 1) {
      auto token = run(engine_->get_token(ref, true));
      if (!token) return token.error();
      if (refreshed) *refreshed = token->refreshed;
    }
    auto signed_request = run(engine_->sign_request(ref, request));
    if (!signed_request) return signed_request.error();
    r = http_->perform(*signed_request);
    if (!r.transport_error.empty() || r.response.status != 401) break;
  }
  return r;
}

EffectResult Host::perform(const Effect& e) {
  switch (e.kind) {
    case EffectKind::http:
      return http_->perform(e.http);
    case EffectKind::sleep:
      std::this_thread::sleep_for(std::chrono::milliseconds(e.sleep_ms));
      return {};
    default:
      return store_->perform(e);
  }
}

}  // namespace latchkey::native
