// The lazily opened pieces every verb shares: the local host, and the gateway for managed providers.
#include "session.hpp"

namespace latchkey::cli {

Result<native::Host*> Session::host() {
  if (!host_) {
    native::HostOptions options;
    options.store_path = store_path;
    options.ca_file = ca_file;
    options.master_key_file = master_key_file;
    auto h = native::Host::open(options);
    if (!h) return h.error();
    host_ = std::move(*h);
  }
  return host_.get();
}

Result<GatewayClient*> Session::gateway(const std::string& provider) {
  if (!gateway_) {
    auto settings = gateway_settings_from_env(provider);
    if (!settings) return settings.error();
    auto client = GatewayClient::create(std::move(*settings), ca_file);
    if (!client) return client.error();
    gateway_ = std::move(*client);
  }
  return gateway_.get();
}

Result<std::optional<Session::Managed>> Session::managed(const std::string& provider) {
  // The mode is stored per provider in the local store, so even managed verbs open it.
  auto h = host();
  if (!h) return h.error();
  auto info = (*h)->run((*h)->engine().get_provider(provider));
  if (!info || info->mode != Mode::managed) return std::optional<Managed>();
  auto gw = gateway(provider);
  if (!gw) return gw.error();
  return std::optional<Managed>(Managed{*gw, std::move(*info)});
}

}  // namespace latchkey::cli
