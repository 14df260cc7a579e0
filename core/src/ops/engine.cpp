#include "latchkey/engine.hpp"

#include "crypto.hpp"
#include "ops.hpp"
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
  return e;
}

Engine::~Engine() = default;

void Engine::add_entropy(const std::string& bytes) { drbg_->add_entropy(bytes); }

const char* to_string(Mode mode) { return mode == Mode::managed ? "managed" : "your-own"; }

using namespace detail;

std::unique_ptr<Operation<std::vector<ProviderInfo>>> Engine::list_providers(ProviderFilter f) {
  return make_list_providers(*this, std::move(f));
}
std::unique_ptr<Operation<ProviderInfo>> Engine::get_provider(std::string key) {
  return make_get_provider(*this, std::move(key));
}
std::unique_ptr<Operation<ProviderInfo>> Engine::register_provider(std::string json) {
  return make_save_provider(*this, std::move(json), true);
}
std::unique_ptr<Operation<ProviderInfo>> Engine::update_provider(std::string json) {
  return make_save_provider(*this, std::move(json), false);
}
std::unique_ptr<Operation<RemoveResult>> Engine::remove_provider(std::string key, bool force) {
  return make_remove_provider(*this, std::move(key), force);
}
std::unique_ptr<Operation<ProviderInfo>> Engine::discover_resource(ResourceDiscoveryRequest request) {
  return make_discover_resource(*this, std::move(request));
}
std::unique_ptr<Operation<ProviderInfo>> Engine::discover_provider(std::string key, std::string issuer_url,
                                                                   bool allow_private_network) {
  return make_discover_provider(*this, std::move(key), std::move(issuer_url), allow_private_network);
}
std::unique_ptr<Operation<ProviderInfo>> Engine::set_mode(std::string provider, Mode mode) {
  return make_set_mode(*this, std::move(provider), mode);
}
std::unique_ptr<Operation<AppInfo>> Engine::upsert_app(AppInput app) { return make_upsert_app(*this, std::move(app)); }
std::unique_ptr<Operation<AppInfo>> Engine::get_app(std::string provider) {
  return make_get_app(*this, std::move(provider));
}
std::unique_ptr<Operation<std::vector<AppInfo>>> Engine::list_apps() { return make_list_apps(*this); }
std::unique_ptr<Operation<RemoveResult>> Engine::delete_app(std::string provider) {
  return make_delete_app(*this, std::move(provider));
}
std::unique_ptr<Operation<AuthorizationStart>> Engine::authorize(AuthorizeRequest request) {
  return make_authorize(*this, std::move(request));
}
std::unique_ptr<Operation<ConnectionInfo>> Engine::complete_callback(CallbackRequest request) {
  return make_complete_callback(*this, std::move(request));
}
std::unique_ptr<Operation<DeviceAuthorization>> Engine::device_authorize(DeviceRequest request) {
  return make_device_authorize(*this, std::move(request));
}
std::unique_ptr<Operation<ConnectionInfo>> Engine::device_poll(DevicePollRequest request) {
  return make_device_poll(*this, std::move(request));
}
std::unique_ptr<Operation<DevicePollStatus>> Engine::device_poll_once(DevicePollRequest request) {
  return make_device_poll_once(*this, std::move(request));
}
std::unique_ptr<Operation<ConnectionInfo>> Engine::connect_client_credentials(ConnectionRef ref,
                                                                              std::vector<std::string> scopes) {
  return make_client_credentials(*this, std::move(ref), std::move(scopes));
}
std::unique_ptr<Operation<AccessToken>> Engine::get_token(ConnectionRef ref, bool force_refresh) {
  return make_get_token(*this, std::move(ref), force_refresh);
}
std::unique_ptr<Operation<HttpRequest>> Engine::sign_request(ConnectionRef ref, HttpRequest request) {
  return make_sign_request(*this, std::move(ref), std::move(request));
}
std::unique_ptr<Operation<AuthorizedResponse>> Engine::send_authorized(ConnectionRef ref, HttpRequest request,
                                                                       SendOptions options) {
  return make_send_authorized(*this, std::move(ref), std::move(request), std::move(options));
}
std::unique_ptr<Operation<RequestSigner>> Engine::request_signer(ConnectionRef ref) {
  return make_request_signer(*this, std::move(ref));
}
std::unique_ptr<Operation<ConnectionInfo>> Engine::status(ConnectionRef ref) { return make_status(*this, std::move(ref)); }
std::unique_ptr<Operation<std::vector<ConnectionInfo>>> Engine::list_connections(std::string principal) {
  return make_list_connections(*this, std::move(principal));
}
std::unique_ptr<Operation<DisconnectResult>> Engine::disconnect(ConnectionRef ref, bool revoke) {
  return make_disconnect(*this, std::move(ref), revoke);
}

std::unique_ptr<Operation<ResealResult>> Engine::reseal() { return make_reseal(*this); }
std::unique_ptr<Operation<Ok>> Engine::check_master_key() { return make_check_master_key(*this); }

}  // namespace latchkey
