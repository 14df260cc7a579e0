// Provider definitions: what latchkey knows about one OAuth service (built-in catalog or custom).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "latchkey/result.hpp"

namespace latchkey {

enum class AuthMode { oauth2, client_credentials, oauth1 };
enum class PkceSupport { required, supported, unsupported };
/// How the client authenticates at the token endpoint. private_key_jwt (RFC 7523 §2.2) signs a
/// JWT with the private key kept as the app's client secret (PEM, RSA or P-256).
/// signed_client_secret sends, as client_secret in the body, a JWT signed with that key as the
/// provider's signed_client_secret member describes (Sign in with Apple).
enum class ClientAuthMethod { client_secret_basic, client_secret_post, none, private_key_jwt, signed_client_secret };
enum class BodyFormat { form, json };
/// OAuth 1.0a signature methods (RFC 5849 §3.4; HMAC-SHA256 as most servers name it).
enum class SignatureMethod { hmac_sha1, hmac_sha256, rsa_sha1, plaintext };
/// How a token is revoked: RFC 7009's form (token, token_type_hint, client authentication), the
/// token alone in a Bearer header with no body (Dropbox), or the form's members as a JSON body.
enum class RevocationStyle { form, bearer, json };

using Params = std::vector<std::pair<std::string, std::string>>;  // ordered, as declared

struct TemplateParam {
  std::string name;
  std::string pattern;  ///< Anchored pattern (a small regex subset: see pattern.hpp) every value must match.
  std::optional<std::string> default_value;
  std::string description;
  /// Non-empty: the value is learned when a connection is made, never given by a user:
  /// "token_response.instance_url", "callback.realmId", "metadata.dc", alternatives joined by
  /// " || " (the first present wins, then `default_value`). See docs/provider-schema.md.
  std::string from;
  /// The learned value is an https URL and its host (and port, if it names one) is the value.
  bool take_host = false;
};

/// A request latchkey may make with a connection's token (ping, identity, metadata).
struct ProbeRequest {
  std::string method = "GET";
  std::string url;
  Params headers;
  /// Ping only: a dotted path in the JSON answer that must be `true` for the connection to be
  /// working (Slack answers HTTP 200 {"ok": false} for a revoked token). Empty: the status decides.
  std::string ok_path;
};

/// A token grant that does not follow RFC 6749 §6 (refresh) or that follows the code exchange
/// (a long-lived token exchange): which token it sends, under which name, how.
struct GrantStyle {
  std::string url;                         ///< Long-lived exchange: required. Refresh: refresh_endpoint's.
  std::string method = "POST";             ///< GET sends every parameter in the query (Instagram).
  std::string grant_type = "refresh_token";
  bool send_access_token = false;          ///< The current access token is what is exchanged.
  std::string token_param = "refresh_token";
  Params params;                           ///< Extra parameters of this grant only.
  bool client_auth = true;                 ///< Authenticate the client as the token endpoint does.
  std::optional<std::string> root;         ///< The answer's token_response.root; absent: the provider's.
};

struct Identity {
  std::string url;
  std::string account_path;  ///< Dotted path in the JSON response naming the account.
  Params headers;
};

/// Where a token may be sent and how. A token is never attached to a request for an origin
/// (scheme, host and port) these entries miss.
struct Injection {
  /// Origins: "https://api.example.com", "https://api.example.com:8443", "http://127.0.0.1:3000"
  /// (http to loopback only), "https://*.example.com" (strict subdomains, on that port). A bare
  /// host name or "*.domain" (the catalog's form, and older stored providers') means https on
  /// 443; provider_from_json writes every entry back as an origin.
  std::vector<std::string> hosts;
  std::string header = "Authorization";  ///< Empty when the token goes in the query.
  std::string prefix = "Bearer ";
  std::string query_param;  ///< Non-empty: the token goes in this query parameter instead.
};

/// Provider quirks in the token endpoint's answer.
/// The longest `root` path or `keep` name a provider definition may hold: messages about a token
/// answer quote them, and a message must stay short enough for a log line.
inline constexpr std::size_t kMaxTokenResponseName = 128;

struct TokenResponseRules {
  std::string root;               ///< Dotted path of the object holding access_token etc.; "" = top level.
  std::vector<std::string> keep;  ///< Top-level members kept as connection extras (e.g. instance_url).
                                  ///< Both at most kMaxTokenResponseName bytes (validated).
  bool expires_in_milliseconds = false;
};

/// A client secret latchkey signs for every request instead of storing one (token endpoint auth
/// method signed_client_secret): a JWT with header {alg, kid: the app's key_id} and claims
/// {iss, iat, exp = iat + lifetime_seconds, aud, sub: the client ID}, signed with the PEM key kept
/// as the app's client secret. Sign in with Apple: iss "{team_id}", aud "https://appleid.apple.com".
/// The longest lifetime a signed client secret may declare: Apple refuses an exp more than
/// 15777000 s (six months) after iat.
inline constexpr std::int64_t kMaxSignedSecretLifetimeS = 15777000;
/// The shortest: a secret must outlive one request and a little clock skew.
inline constexpr std::int64_t kMinSignedSecretLifetimeS = 60;

struct SignedClientSecret {
  std::string issuer;    ///< iss; may use template values ("{team_id}").
  std::string audience;  ///< aud; may use template values.
  std::string algorithm = "ES256";  ///< "ES256" (a P-256 key) or "RS256" (an RSA key).
  std::int64_t lifetime_seconds = 300;  ///< 60 to 15777000 (Apple's six-month limit).
};

struct Provider {
  std::string key;  ///< kebab-case, unique.
  std::string display_name;
  AuthMode auth_mode = AuthMode::oauth2;
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string request_token_endpoint;  ///< OAuth 1.0a temporary credentials.
  /// OAuth 1.0a only. RSA-SHA1 signs with a PEM private key kept as the app's client secret.
  SignatureMethod signature_method = SignatureMethod::hmac_sha1;
  std::string revocation_endpoint;
  std::string userinfo_endpoint;
  std::string device_authorization_endpoint;  ///< RFC 8628: empty when the device grant is not offered.
  /// RFC 9126: when set, `authorize` pushes its parameters here first and the consent URL carries
  /// only client_id + request_uri. Naming it is the opt-in; discovery sets it when the server
  /// requires PAR (require_pushed_authorization_requests).
  std::string pushed_authorization_request_endpoint;
  /// RFC 8707: the protected resource the tokens are for (an MCP server's URL). Sent as
  /// `resource` on the authorization request and every token grant, so the token's audience is it.
  std::string resource;
  std::string issuer;  ///< RFC 9207: callbacks must carry exactly this `iss` when present.
  /// RFC 9207 §2.4: the server always sends `iss`, so a callback without one is refused.
  bool authorization_response_iss_parameter_supported = false;
  std::string api_base_url;
  std::vector<std::string> default_scopes;
  std::string scope_separator = " ";
  std::string scope_param = "scope";
  /// The name the provider gives the client identifier in every request latchkey makes
  /// (authorization, token, refresh, revocation): TikTok calls it client_key.
  std::string client_id_param = "client_id";
  PkceSupport pkce = PkceSupport::supported;
  ClientAuthMethod token_endpoint_auth_method = ClientAuthMethod::client_secret_basic;
  /// How to sign the client secret for signed_client_secret (the provider's method or an app's).
  std::optional<SignedClientSecret> signed_client_secret;
  Params authorization_params;
  Params token_params;
  /// Extra parameters of the code exchange only (Shopify: expiring=1).
  Params exchange_params;
  /// Headers on every token endpoint request (grants and revocation).
  Params token_request_headers;
  /// Headers on every API request latchkey makes or signs with a connection's token (Notion's
  /// Notion-Version); a header the caller gives itself wins.
  Params api_headers;
  /// The refresh grant when it is not RFC 6749 §6's (Instagram: ig_refresh_token with the access
  /// token), or its own parameters and answer root (Slack: top level, the code's is authed_user).
  std::optional<GrantStyle> refresh;
  /// Made once right after the code exchange, with the new access token; its answer replaces the
  /// token (Facebook's fb_exchange_token, Instagram's ig_exchange_token: short-lived → long-lived).
  std::optional<GrantStyle> long_lived_exchange;
  RevocationStyle revocation_style = RevocationStyle::form;
  /// The grant_type of the client-credentials grant (Zoom's account_credentials).
  std::string client_credentials_grant_type = "client_credentials";
  TokenResponseRules token_response;
  std::vector<TemplateParam> template_params;
  std::int64_t expiry_buffer_seconds = 60;
  BodyFormat token_exchange_body_format = BodyFormat::form;
  std::string refresh_endpoint;
  std::optional<ProbeRequest> ping;
  std::optional<Identity> identity;
  /// A request made once when a connection is made, with its new token, whose JSON answer
  /// template_params learn from ("metadata.dc"); null: none.
  std::optional<ProbeRequest> metadata;
  Injection injection;
  std::vector<std::string> available_scopes;
  bool requires_client_secret = true;
  std::string managed_service_config_key;  ///< Empty: no managed app exists for this provider.
  std::string docs_url;
  /// The group people find the provider under: one of the schema's categories ("crm",
  /// "developer", …; docs/provider-schema.md), "other" when none fits.
  std::string category = "other";
  std::string logo_url;  ///< https, no placeholders; empty: none.
  /// scope → one line saying what it grants. Every scope named is in available_scopes; scopes
  /// without a line simply have none.
  Params scope_descriptions;
  bool builtin = false;  ///< From the embedded catalog (read-only). Not part of the JSON form.
};

/// Parses and validates one provider object (the catalog's schema). Unknown members, http URLs
/// (other than loopback), undeclared or unused {template} variables, bad keys or enums give
/// invalid_request with a message naming the field.
Result<Provider> provider_from_json(const std::string& json);
/// The provider as a catalog-schema JSON object.
std::string provider_to_json(const Provider& provider);
/// A definition (or a partial update) for the provider `key` names elsewhere (a path, a command
/// argument): one without a "key" gets `key`; invalid_request if it is not a JSON object or
/// names another key.
Result<std::string> definition_for_key(const std::string& key, const std::string& json);
/// Re-checks a provider built in code (the same rules as provider_from_json).
Status validate_provider(const Provider& provider);

/// The provider schema as a JSON Schema (2020-12) document: every member provider_from_json
/// accepts, with its type, whether it may be null or must be given, its allowed values or
/// pattern, its default and one line of documentation (docs/provider-schema.json is this
/// output). It describes each member alone; validate_provider's rules across members are
/// described in docs/provider-schema.md. Never fails; the caller owns the returned string.
std::string provider_schema_json();

/// Substitutes template variables (`{tenant}`) in every endpoint, injection host, and
/// authorization/token parameter value. Values not
/// given take their defaults; a missing value without default, or one not matching its pattern,
/// gives invalid_request. The result has no template variables left.
Result<Provider> resolve_provider(const Provider& provider, const std::map<std::string, std::string>& values);

/// Checks the values given (each declared and matching its pattern) without requiring the rest:
/// for app credentials, which may leave per-connection values ({shop}) to connect time.
Status check_template_values(const Provider& provider, const std::map<std::string, std::string>& values);

/// Builds a custom provider from an RFC 8414 / OpenID Connect discovery document that the host
/// fetched from `issuer_url` (+ /.well-known/...). The document's `issuer` must equal
/// `issuer_url` exactly (RFC 8414 §3.3) or invalid_request is returned.
Result<Provider> provider_from_discovery(const std::string& key, const std::string& issuer_url,
                                         const std::string& document);

/// True if the absolute URL's origin — scheme, host and port (the scheme's default when it names
/// none) — is one the injection entries allow. False for anything that is not an http(s) URL.
bool origin_allowed(const Injection& injection, const std::string& url);

/// The scopes of `asked` that `provider` does not offer: those missing from its available_scopes
/// (compared exactly: scopes are case-sensitive, RFC 6749 §3.3), in the order asked, each once.
/// Empty when every one is offered, and when the provider lists no available_scopes (a custom or
/// discovered provider that says nothing about its scopes: anything may be asked for). A host
/// warns about them, or refuses them before any consent page opens when its user asks it to be
/// strict; the provider has the last word either way. Never fails.
std::vector<std::string> unknown_scopes(const Provider& provider, const std::vector<std::string>& asked);

const char* to_string(AuthMode m);
const char* to_string(PkceSupport p);
const char* to_string(ClientAuthMethod m);
/// The method named `name` (to_string's spelling); invalid_request naming the choices otherwise.
Result<ClientAuthMethod> client_auth_method_from(const std::string& name);
const char* to_string(BodyFormat f);
/// "HMAC-SHA1", "HMAC-SHA256", "RSA-SHA1", "PLAINTEXT" (the oauth_signature_method values).
const char* to_string(SignatureMethod m);
const char* to_string(RevocationStyle s);

}  // namespace latchkey
