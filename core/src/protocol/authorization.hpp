// Pure pieces of the authorization-code flow: the consent URL, the callback's query, and the
// token endpoint requests. No state, no effects: the operations put them together.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "latchkey/effects.hpp"
#include "latchkey/provider.hpp"
#include "latchkey/result.hpp"

namespace latchkey::detail {

struct AuthorizationUrlInput {
  std::string client_id;
  std::string redirect_uri;
  std::string scope;           ///< Already joined with the provider's separator; empty: no scope parameter.
  std::string state;
  std::string code_challenge;  ///< Empty: no PKCE (only when the provider does not support it).
  Params extra_params;         ///< The caller's; may override provider params, never security ones.
};

/// response_type=code, client_id, redirect_uri, <scope_param>, state, code_challenge (+S256),
/// then the provider's authorization_params, then the caller's. invalid_request if the caller
/// tries to set a security parameter (response_type, client_id, redirect_uri, state, scope,
/// code_challenge, code_challenge_method, nonce-free ones included).
Result<std::string> build_authorization_url(const Provider& provider, const AuthorizationUrlInput& input);
/// Appends the provider's fixed authorization parameters with the caller's `extra` laid over them
/// (same name: the caller's value wins). invalid_request when `extra` names a `reserved`
/// parameter (one latchkey sets itself); reserved names in the provider's list are dropped.
Status add_extra_params(Params& params, const Params& provider_params, const Params& extra,
                        const std::function<bool(const std::string&)>& reserved);
/// The parameters build_authorization_url puts in the URL (also what a PAR request pushes);
/// `resource` (RFC 8707) follows PKCE when the provider names one.
Result<Params> authorization_params(const Provider& provider, const AuthorizationUrlInput& input);
/// RFC 9126 §4: the consent URL after a pushed request — only client_id and request_uri.
std::string pushed_authorization_url(const Provider& provider, const std::string& client_id,
                                     const std::string& request_uri);

/// Splits a list written with commas and/or spaces (scopes, header tokens): "a,b c" → {"a", "b", "c"}.
std::vector<std::string> split_list(std::string_view text);

/// Joins scopes with the provider's separator, dropping duplicates and empties, keeping order.
std::string join_scopes(const Provider& provider, const std::vector<std::string>& scopes);

struct CallbackParams {
  std::string state, code, error, error_description, error_uri, iss;
  bool has_state = false, has_code = false, has_error = false, has_iss = false;
  /// OAuth 1.0a (RFC 5849 §2.2): the temporary token and the verifier.
  std::string oauth_token, oauth_verifier;
  bool has_oauth_token = false, has_oauth_verifier = false;
  /// Every parameter, in order: template values learned from the callback (QuickBooks' realmId).
  Params all;
};

/// Reads a callback URL or bare query string. Duplicate security parameters are refused
/// (invalid_request): a smuggled second `state` or `code` must not win silently.
Result<CallbackParams> parse_callback(std::string_view callback);

/// Client credentials for the token endpoint.
struct ClientCredentials {
  std::string client_id;
  /// Empty: public client. With private_key_jwt, not sent (it is the key); with
  /// signed_client_secret, the JWT signed for this one request (client_auth.hpp).
  std::string client_secret;
  /// How the client authenticates, decided once (client_credentials_for): the app's choice, else
  /// the provider's token_endpoint_auth_method. Every request that authenticates reads only this.
  ClientAuthMethod method = ClientAuthMethod::client_secret_basic;
  /// private_key_jwt: a signed JWT made for this one request (client_auth.hpp).
  std::string client_assertion;
};

/// A POST to `endpoint` with `grant` params, the provider's token_params, and client
/// authentication per `client.method`:
/// client_secret_basic form-encodes id and secret before base64 (RFC 6749 §2.3.1);
/// client_secret_post puts both in the body; none sends client_id; private_key_jwt sends client_id,
/// client_assertion_type and client_assertion (RFC 7523 §2.2), never the secret;
/// signed_client_secret sends client_id and the signed secret as client_secret in the body.
/// The provider's token_request_headers go on it too.
HttpRequest token_request(const Provider& provider, const std::string& endpoint, const ClientCredentials& client,
                          Params grant);

/// A refresh or long-lived exchange as `style` declares it: grant_type, the token under
/// style.token_param, style.params and the provider's token_params, client authentication only
/// if style.client_auth; a GET carries them all in the query.
HttpRequest styled_grant_request(const Provider& provider, const GrantStyle& style, const std::string& endpoint,
                                 const ClientCredentials& client, const std::string& token);

/// Revoking `token` (its type `hint`: access_token or refresh_token) at the provider's
/// revocation_endpoint in its revocation_style: RFC 7009's form with client authentication, the
/// same as a JSON body {"token"}, or a bodiless POST with the token as its Bearer credential.
HttpRequest revocation_request(const Provider& provider, const ClientCredentials& client, const std::string& token,
                               const std::string& hint);

/// True when a revocation answer's JSON body says the token was not valid (error invalid_token):
/// the token is dead either way, which is what revoking it was for.
bool says_invalid_token(const HttpResponse& response);

/// How to read a styled grant's answer: the provider's token_response, with the style's root when
/// it names one (Slack: the code's answer is under authed_user, a refresh's at the top level).
TokenResponseRules answer_rules(const Provider& provider, const std::optional<GrantStyle>& style);

/// RFC 9126 §2.1: POSTs the authorization `params` (a form, never JSON) to the provider's
/// pushed_authorization_request_endpoint, with client authentication as at the token endpoint.
HttpRequest pushed_authorization_request(const Provider& provider, const ClientCredentials& client, Params params);

/// RFC 9126 §2.2: the request_uri from a 201 answer; malformed_response or provider_error otherwise.
Result<std::string> parse_pushed_authorization_response(const HttpResponse& response);

}  // namespace latchkey::detail
