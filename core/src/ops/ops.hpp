// What the operation files share. Each file op_*.cpp holds one family of operations and defines
// the Engine members (latchkey/engine.hpp) that make them; the makers below are the ones other
// operations use with more than the public arguments.
#pragma once

#include "json.hpp"
#include "latchkey/engine.hpp"
#include "records.hpp"
#include "steps.hpp"

namespace latchkey::detail {

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

/// The provider's metadata request (Provider::metadata) made with a new connection's access
/// token, for the template values it learns from. Gives the answer's JSON object. Errors: the
/// request's origin not allowed by injection (invalid_request), transport errors as the host
/// reported them, a status other than 200 (provider_error) or an answer that is no JSON object
/// (malformed_response); the caller then stores nothing.
void fetch_connect_metadata(OperationBase& op, const Provider& provider, const std::string& access_token,
                            std::function<void(Result<json::Object>)> then);

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
