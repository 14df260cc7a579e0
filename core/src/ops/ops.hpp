// Operation classes made by Engine. Each file op_*.cpp holds one family.
#pragma once

#include "latchkey/engine.hpp"
#include "records.hpp"
#include "steps.hpp"

namespace latchkey::detail {

std::unique_ptr<Operation<AuthorizationStart>> make_authorize(Engine& engine, AuthorizeRequest request);
std::unique_ptr<Operation<ConnectionInfo>> make_complete_callback(Engine& engine, CallbackRequest request);
std::unique_ptr<Operation<DeviceAuthorization>> make_device_authorize(Engine& engine, DeviceRequest request);
std::unique_ptr<Operation<ConnectionInfo>> make_device_poll(Engine& engine, DevicePollRequest request);
std::unique_ptr<Operation<DevicePollStatus>> make_device_poll_once(Engine& engine, DevicePollRequest request);
std::unique_ptr<Operation<ConnectionInfo>> make_client_credentials(Engine& engine, ConnectionRef ref,
                                                                   std::vector<std::string> scopes);
/// get_token. With force_refresh and `refused_access_token` (the token an API answered 401 to),
/// a stored token other than the refused one is taken as it is, not refreshed again: a peer
/// already replaced it.
std::unique_ptr<Operation<AccessToken>> make_get_token(Engine& engine, ConnectionRef ref, bool force_refresh,
                                                       std::string refused_access_token = {});

/// sign_request's operation, which also says which token it signed with and whether it refreshed:
/// what send_authorized needs to retry after a 401.
class SignRequestOp : public Operation<HttpRequest> {
 public:
  using Operation::Operation;
  /// The OAuth 2.0 access token the signed request carries (empty for OAuth 1.0a).
  const std::string& access_token() const { return access_token_; }
  /// Getting the token refreshed it.
  bool refreshed() const { return refreshed_; }

 protected:
  std::string access_token_;
  bool refreshed_ = false;
};
/// sign_request; with force_refresh the token is got as make_get_token(…, true, refused) gets it.
std::unique_ptr<SignRequestOp> make_sign_request(Engine& engine, ConnectionRef ref, HttpRequest request,
                                                 bool force_refresh = false, std::string refused_access_token = {});
std::unique_ptr<Operation<AuthorizedResponse>> make_send_authorized(Engine& engine, ConnectionRef ref,
                                                                    HttpRequest request, SendOptions options);
std::unique_ptr<Operation<RequestSigner>> make_request_signer(Engine& engine, ConnectionRef ref);
std::unique_ptr<Operation<ConnectionInfo>> make_status(Engine& engine, ConnectionRef ref);
std::unique_ptr<Operation<std::vector<ConnectionInfo>>> make_list_connections(Engine& engine, std::string principal);
std::unique_ptr<Operation<DisconnectResult>> make_disconnect(Engine& engine, ConnectionRef ref, bool revoke);

std::unique_ptr<Operation<std::vector<ProviderInfo>>> make_list_providers(Engine& engine, ProviderFilter filter);
std::unique_ptr<Operation<ProviderInfo>> make_get_provider(Engine& engine, std::string key);
std::unique_ptr<Operation<ProviderInfo>> make_save_provider(Engine& engine, std::string json, bool create);
std::unique_ptr<Operation<RemoveResult>> make_remove_provider(Engine& engine, std::string key, bool force);
std::unique_ptr<Operation<ProviderInfo>> make_discover_provider(Engine& engine, std::string key, std::string issuer,
                                                                bool allow_private_network);
std::unique_ptr<Operation<ProviderInfo>> make_discover_resource(Engine& engine, ResourceDiscoveryRequest request);
std::unique_ptr<Operation<ProviderInfo>> make_set_mode(Engine& engine, std::string provider, Mode mode);
std::unique_ptr<Operation<AppInfo>> make_upsert_app(Engine& engine, AppInput app);

/// What an authorization server said about a client it registered (RFC 7591 §3.2.1), kept with
/// the app: only discover_resource makes one.
struct ClientRegistration {
  std::string access_token;  ///< Sealed before it is stored; never returned.
  std::string client_uri;
  std::int64_t secret_expires_at_ms = 0;  ///< 0: never.
};
/// upsert_app for a client just registered: its registration replaces the stored one. (Without
/// one, a new client_id drops the stored registration, and a new secret its expiry.)
std::unique_ptr<Operation<AppInfo>> make_upsert_app(Engine& engine, AppInput app, ClientRegistration registration);
std::unique_ptr<Operation<ResealResult>> make_reseal(Engine& engine);
std::unique_ptr<Operation<Ok>> make_check_master_key(Engine& engine);
std::unique_ptr<Operation<AppInfo>> make_get_app(Engine& engine, std::string provider);
std::unique_ptr<Operation<std::vector<AppInfo>>> make_list_apps(Engine& engine);
std::unique_ptr<Operation<RemoveResult>> make_delete_app(Engine& engine, std::string provider);

/// Names a new connection's account from the provider's identity endpoint (with the fresh
/// access token); any failure, or no identity endpoint, gives "default". `sign`, when given,
/// authorizes the request instead of the provider's token injection (OAuth 1.0a signs it);
/// false from it gives "default". A resource-bound provider (`resource` set, RFC 8707) never
/// sends its token anywhere but the resource: its account is named from the ID token's `sub`
/// (from the provider's issuer), else after the resource's host[:port]; an identity endpoint is
/// asked only when it is on the resource's own origin.
void identify_account(OperationBase& op, const Provider& provider, const TokenSet& tokens,
                      std::function<void(std::string)> then,
                      const std::function<bool(HttpRequest&)>& sign = nullptr);

/// needs_reauth for the connection `ref` (its account resolved), with `why` when known and the
/// command that authorizes it again.
Error reauth_error(const ConnectionRef& ref, const std::string& why);

/// Unseals the app's client secret ("" if none).
Result<std::string> open_client_secret(const Engine& engine, const AppRecord& app);
AppInfo app_info(const AppRecord& app);
/// The provider with the app's template values (overridden by `overrides`) filled in.
Result<Provider> resolve_for(const Provider& provider, const StringMap& app_values, const StringMap& overrides);
/// The scope a grant asks for: `asked`, else the app's scopes, else the provider's defaults,
/// joined with the provider's separator.
std::string requested_scope(const Provider& provider, const std::vector<std::string>& asked, const AppRecord& app);

}  // namespace latchkey::detail

#include "latchkey/token_set.hpp"

namespace latchkey::detail {
/// Seals `tokens` into the connection `ref` (creating it, or replacing its tokens and clearing
/// needs_reauth), with compare-and-swap so a concurrent writer is never overwritten blindly.
void save_connection(OperationBase& op, Engine& engine, ConnectionRef ref, std::string grant,
                     StringMap template_values, TokenSet tokens, std::int64_t now_ms, Then<ConnectionInfo> then);
}  // namespace latchkey::detail
