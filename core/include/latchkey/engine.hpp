// The engine: one per host process (or per edge isolate). It holds the master keys, the seeded
// random generator and the catalog, and makes operations. It does no I/O itself.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "latchkey/effects.hpp"
#include "latchkey/operation.hpp"
#include "latchkey/provider.hpp"
#include "latchkey/result.hpp"

namespace latchkey {

namespace detail {
class Drbg;
class Sealer;
struct EngineMemory;
}  // namespace detail

/// Whose words the core's advice uses when an operation fails: the CLI's commands (`latchkey
/// connect github`), the JS package's calls (`broker.authorize('github')`) or the gateway's HTTP
/// routes (`POST /v1/providers/github/authorize`).
enum class Surface { cli, js, http };

struct EngineConfig {
  /// Master keys by version (32 bytes each). New secrets are sealed under current_key_version;
  /// older versions stay readable so records can be re-sealed after a rotation. Engine::create
  /// keeps them only as AES contexts, zeroed when the engine is destroyed, and zeroes every copy
  /// it made; these strings are the caller's to zero once the engine exists.
  std::map<std::uint32_t, std::string> master_keys;
  std::uint32_t current_key_version = 1;
  /// At least 32 bytes from the host's CSPRNG; seeds the CTR-DRBG.
  std::string entropy;
  /// How long a started authorization may take before its state expires.
  std::int64_t pending_ttl_ms = 10 * 60 * 1000;
  /// Refresh retries for transport errors, 5xx and 429 (after the first try).
  int refresh_retries = 2;
  std::int64_t retry_base_ms = 500;
  std::int64_t retry_max_ms = 30000;
  /// Consecutive failed refreshes that open the circuit breaker, and its longest pause.
  int breaker_threshold = 3;
  std::int64_t breaker_max_ms = 60 * 60 * 1000;
  /// How long a refresher holds its lease before others may take over: also how long a refresher
  /// that died (a killed process) blocks its connection. Each attempt must end within half of it.
  std::int64_t lease_ms = 15000;
  Surface surface = Surface::cli;
};

/// Identifies a connection: one account of one provider for one principal. An empty account
/// means "the principal's only connection to this provider".
struct ConnectionRef {
  std::string principal = "default";
  std::string provider;
  std::string account = "default";
};

enum class Mode { your_own, managed };
const char* to_string(Mode mode);

struct AuthorizeRequest {
  std::string principal = "default";
  std::string provider;
  /// Empty: named after the sign-in from the provider's identity endpoint (else "default").
  std::string account;
  std::string redirect_uri;         ///< Empty: the app's redirect_uri, else default_redirect_uri.
  /// A host's own callback for when neither the request nor the app names one: latchkeyd's
  /// <public-url>/oauth/callback, which an app's own redirect_uri overrides.
  std::string default_redirect_uri;
  std::vector<std::string> scopes;  ///< Empty: the app's scopes, else the provider's defaults.
  Params extra_params;              ///< Added to the URL; may not touch security parameters.
  std::map<std::string, std::string> template_values;  ///< Override the app's ({shop} …).
};

struct AuthorizationStart {
  std::string authorization_url;
  std::string state;
  std::int64_t expires_at_ms = 0;
};

struct CallbackRequest {
  /// Must be the principal that started the sign-in. Empty: whoever started it — for hosts whose
  /// callback arrives from a browser without credentials; the 256-bit state is then the proof.
  std::string principal = "default";
  /// The full callback URL, or just its query string (with or without '?').
  std::string callback;
};

// The device authorization grant (RFC 8628) runs as two operations, so a host can show the code
// before it starts waiting: device_authorize asks the provider for a user code and returns what
// to show; device_poll then waits (wait effects, each until the server's interval has passed) until the user has
// approved or refused it, and stores the connection. A host that must not keep an operation
// (and whatever it holds) alive while the user decides — a gateway answering each poll request
// — calls device_poll_once instead, as often as it likes: it asks the provider at most once per
// interval. The device_code that redeems the grant never leaves the core unsealed: the host
// holds only a handle to the pending record.

struct DeviceRequest {
  std::string principal = "default";
  std::string provider;
  /// Empty: named after the sign-in from the provider's identity endpoint (else "default").
  std::string account;
  std::vector<std::string> scopes;  ///< Empty: the app's scopes, else the provider's defaults.
  std::map<std::string, std::string> template_values;  ///< Override the app's ({shop} …).
  /// > 0: the sign-in ends this long after the code is issued when the code lives longer (the
  /// host's --timeout): polls then fail with state_expired, as for an expired code. 0: the
  /// code's own lifetime. Negative: invalid_request.
  std::int64_t timeout_ms = 0;
};

/// RFC 8628 §3.2: how often device_poll asks when the server names no interval.
inline constexpr std::int64_t kDefaultDeviceIntervalMs = 5000;

/// What the user needs (RFC 8628 §3.2): open verification_uri and type user_code, or open
/// verification_uri_complete, which carries the code. Nothing here is secret.
struct DeviceAuthorization {
  std::string handle;  ///< Pass to device_poll (random, 256 bits; names the pending record).
  std::string user_code;
  std::string verification_uri;
  std::string verification_uri_complete;  ///< Empty when the provider sends none.
  std::int64_t expires_at_ms = 0;         ///< The code is dead after this: start again.
  std::int64_t interval_ms = kDefaultDeviceIntervalMs;  ///< How often device_poll asks (grows on slow_down).
};

struct DevicePollRequest {
  /// Must be the principal that started it. Empty: whoever started it (the handle is the proof).
  std::string principal = "default";
  std::string handle;
  /// The provider the caller expects (a gateway route names it). Empty: any.
  std::string provider;
};

struct ConnectionInfo {
  std::string id;  ///< "provider/account" (each part percent-encoded); unique per principal.
  std::string principal;
  std::string provider;
  std::string account;
  std::string status;  ///< "connected" | "needs_reauth"
  std::string grant;   ///< "authorization_code" | "client_credentials" | "device_code" | "oauth1" (never expires)
  std::string scope;
  std::string token_type;
  std::int64_t expires_at_ms = 0;
  bool has_refresh_token = false;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  std::string last_error;  ///< The last refresh failure's message, if any.
  Params extras;           ///< Kept provider fields (JSON text values).
};

/// One device_poll_once: the connection once the user approved, else "not yet" and when asking
/// again makes sense.
struct DevicePollStatus {
  bool pending = false;             ///< The user has not decided yet: poll again at next_poll_at_ms.
  ConnectionInfo connection;        ///< When not pending: the stored connection.
  std::int64_t interval_ms = 0;     ///< The provider's current interval (longer after slow_down).
  std::int64_t next_poll_at_ms = 0;  ///< Earlier polls are answered pending without asking the provider.
  std::int64_t expires_at_ms = 0;   ///< The code is dead after this (then: state_expired).
};

struct AccessToken {
  std::string access_token;
  std::string token_type;
  std::int64_t expires_at_ms = 0;
  /// When get_token would refresh this token: expiry minus the provider's buffer, the buffer at most
  /// half the token's lifetime; 0: never. Already past when a failed refresh handed out the old token.
  std::int64_t fresh_until_ms = 0;
  bool refreshed = false;  ///< This call refreshed (or re-fetched) the token.
  Params extras;
};

/// Everything signing requests as one connection needs, for a host that signs many of them without
/// asking the store each time (latchkeyd's proxy). sign_with(signer, request) gives what
/// sign_request would, as long as the token is fresh (fresh_until_ms) and the store unchanged.
struct RequestSigner {
  std::string account;       ///< The connection's account (resolved when the ref named none).
  std::string api_base_url;  ///< The provider's, with its templates filled in.
  std::string provider;
  Injection injection;
  Params api_headers;  ///< The provider's, added to every request that has none of that name.
  std::string access_token;
  std::int64_t fresh_until_ms = 0;  ///< When get_token would refresh (AccessToken::fresh_until_ms); 0: never.
};

/// Signs `request` with `signer`: a URL without a scheme is a path under api_base_url; the URL
/// must be https (or loopback) and on a host the token may go to; the provider's api_headers
/// are added where the request has none of that name; the token goes in per the provider's
/// injection rules, replacing any header of that name. invalid_request otherwise.
Result<HttpRequest> sign_with(const RequestSigner& signer, HttpRequest request);

/// How send_authorized sends.
struct SendOptions {
  /// The host streams the response body to its own client (a proxy): every http effect carries
  /// Effect::stream, and the result has the status and headers only. A first attempt's 401 is
  /// held back (Effect::hold_401) so that the retry's answer is the one the client sees.
  bool stream = false;
  /// The request can be sent twice. False (a streamed request body, read once): a 401 still
  /// refreshes the token, for the caller's own retry, but the 401 is the result.
  bool resend = true;
  /// Non-empty: the caller already sent the request with this access token and got a 401 (a
  /// proxy that signs from a RequestSigner). The request is sent once, after the refresh.
  std::string refused_access_token;
};

/// What send_authorized got back.
struct AuthorizedResponse {
  HttpResponse response;        ///< The last answer (SendOptions::stream: no body, it went to the client).
  std::string transport_error;  ///< Non-empty: the last attempt got no answer (DNS, TLS, timeout, size cap).
  int attempts = 0;             ///< Requests sent: 1, or 2 after a 401.
  bool refreshed = false;       ///< A 401 made this call refresh the token (not a peer's refresh it took).
};

struct DisconnectResult {
  bool deleted = false;
  bool revoked = false;          ///< Every token was revoked at the provider.
  std::string revocation_error;  ///< Why revocation did not happen or failed (the connection is deleted anyway).
};

struct AppInput {
  std::string provider;
  std::string client_id;
  /// Absent: keep the stored secret. Present and empty: clear it. For private_key_jwt and
  /// signed_client_secret, the PEM private key (RSA or P-256; Apple's .p8 file as it is).
  std::optional<std::string> client_secret;
  /// Overrides the provider's token endpoint authentication ("private_key_jwt", …). Absent: keep;
  /// empty: back to the provider's. signed_client_secret only for providers that describe it
  /// (their signed_client_secret member), else upsert_app gives invalid_request.
  std::optional<std::string> token_endpoint_auth_method;
  /// private_key_jwt, signed_client_secret: the key's `kid` as registered at the provider (the
  /// latter requires one). Absent: keep; empty: none.
  std::optional<std::string> key_id;
  std::string redirect_uri;
  std::vector<std::string> scopes;
  std::map<std::string, std::string> template_values;
};

/// App credentials as any API returns them: the secret is never included.
struct AppInfo {
  std::string provider;
  std::string client_id;
  bool has_client_secret = false;
  std::string token_endpoint_auth_method;  ///< "": the provider's.
  std::string key_id;
  // An app that discover_resource registered (RFC 7591 §3.2.1). The registration access token
  // itself is sealed and never returned, like the client secret.
  bool has_registration_access_token = false;
  std::string registration_client_uri;
  /// When the server said the client secret stops working (0: never). Past it, every grant
  /// fails with invalid_request before anything is sent: register again (see docs/effects.md).
  std::int64_t client_secret_expires_at_ms = 0;
  std::string redirect_uri;
  std::vector<std::string> scopes;
  std::map<std::string, std::string> template_values;
  std::int64_t updated_at_ms = 0;
};

struct ProviderInfo {
  Provider provider;
  Mode mode = Mode::your_own;
  bool has_app = false;
};

struct ProviderFilter {
  std::vector<std::string> key_substrings;  ///< Any match (case-insensitive) on key or display name.
  bool supports_managed = false;
};

/// Discovering a protected resource (an MCP server) and registering latchkey as its client.
struct ResourceDiscoveryRequest {
  std::string key;           ///< Key for the new provider.
  std::string resource_url;  ///< The server's URL, exactly as its metadata names it (RFC 9728).
  /// Registered with the authorization server (RFC 7591); a loopback URI matches any port
  /// (RFC 8252 §7.3), e.g. "http://127.0.0.1/oauth/callback" for the CLI.
  std::string redirect_uri;
  std::string client_name = "latchkey";
  /// Loopback, private and reserved host literals (and so plain http) are refused unless set:
  /// metadata must not steer requests into the host's network. It holds for the issuer tried
  /// first (issuer_first) too, as discover_provider's allow_private_network. Host names are not resolved here —
  /// a host that must also stop names resolving to private addresses does so in its HTTP layer.
  bool allow_private_network = false;
  /// First try resource_url as an issuer (RFC 8414 / OpenID metadata, as discover_provider), and
  /// only when it has none as a protected resource: what "a server's URL" means to a user. When
  /// neither has metadata, the issuer's not_found is the error.
  bool issuer_first = false;
};

struct ResealResult {
  int resealed = 0;  ///< Records whose secrets were re-sealed under the current key.
  int skipped = 0;   ///< Records that changed during the run (run it again).
  int failed = 0;    ///< Records that could not be opened (unknown key version, tampering).
};

/// What check_store found. Key names only: never a value, sealed or opened.
struct StoreCheck {
  /// How many records of each kind: a key's first part ("app", "conn", "pending", "meta", and the
  /// kinds a host keeps beside the engine's, e.g. latchkeyd's "gwkey").
  std::map<std::string, int> records;
  int opened = 0;  ///< Sealed secrets that opened under the engine's master keys.
  struct Failure {
    std::string key;
    /// What is wrong, naming the field, never its value: that it does not open under the master
    /// keys, is not a string, or that the record is not a JSON object.
    std::string problem;
  };
  /// The records holding a secret that does not open or that are not the JSON object their kind
  /// is, in key order, one entry per record.
  std::vector<Failure> failed;
};

struct RemoveResult {
  bool removed = false;
  int connections_removed = 0;
};

/// Makes operations; each is driven by the host (latchkey/operation.hpp) and ends with a Result.
/// Besides the errors an operation's comment names, any of them may end with:
///   - storage: the host answered a store effect with store_error, or a stored record is
///     unreadable; the message names the key. Next: repair the store, then run it again.
///   - crypto: a stored secret does not open under these master keys (another key, or a record
///     tampered with or moved). Next: start the host with the master key the store was sealed
///     with (check_master_key finds this at startup); retrying cannot help.
///   - not_found: the provider, app or connection named does not exist.
///   - invalid_request: an argument is wrong; the message names it. Next: correct it.
///   - internal: a bug in latchkey; report it.
/// Operations that reach a provider may also end with transport (the host answered an http
/// effect with transport_error), rate_limited, provider_error, malformed_response, or
/// needs_reauth / invalid_grant for a connection the provider no longer honours: see
/// latchkey/result.hpp's ErrorCode for what each asks of the caller. The engine must outlive
/// every operation it made.
class Engine {
 public:
  /// Makes an engine from `config` (copied; the copies of keys and entropy it makes are zeroed
  /// as it is done with them, the caller's own are the caller's to wipe).
  ///
  /// Returns the engine, owned by the caller. Errors: invalid_request when no master key is
  /// given, a version is 0, a key is not 32 bytes, current_key_version names no key given,
  /// `entropy` is shorter than 32 bytes, or a timing is out of its range (the message lists the
  /// ranges); crypto if the generator cannot be seeded. Next: correct the configuration (a key
  /// must come from the host's key store, never be made up on error).
  static Result<std::unique_ptr<Engine>> create(const EngineConfig& config);
  /// Frees the keys (zeroed) and the generator. Every operation it made must be gone first.
  ~Engine();

  /// Mixes fresh host randomness into the generator (any length; copied). Never fails.
  void add_entropy(const std::string& bytes);
  const EngineConfig& config() const { return config_; }

  // Registry: built-in catalog + custom providers in the store.
  std::unique_ptr<Operation<std::vector<ProviderInfo>>> list_providers(ProviderFilter filter);
  std::unique_ptr<Operation<ProviderInfo>> get_provider(std::string key);
  /// Registers a custom provider from its JSON definition (catalog schema). conflict if the key exists.
  /// The members get_provider's JSON form adds (builtin, mode, has_app, supports_managed) are
  /// ignored, so that form is accepted as it is, here and by update_provider.
  std::unique_ptr<Operation<ProviderInfo>> register_provider(std::string json);
  /// Updates a custom provider: each member the JSON names (its key is required) replaces the
  /// stored one, the others stay. invalid_request for built-ins or a definition the result fails
  /// validation with, not_found if absent.
  std::unique_ptr<Operation<ProviderInfo>> update_provider(std::string json);
  /// Removes a custom provider; conflict while connections use it unless `force` (which also
  /// deletes its app credentials and connections).
  std::unique_ptr<Operation<RemoveResult>> remove_provider(std::string key, bool force);
  /// Fetches `issuer_url`'s discovery document (OpenID, then RFC 8414) and registers it as `key`.
  /// The issuer and every endpoint the document names (token, revocation, userinfo, device, PAR)
  /// must be https and, unless `allow_private_network`, not a loopback, private, link-local or
  /// reserved address literal: invalid_request naming the URL and the option. not_found without a
  /// document; invalid_request for an issuer mismatch (RFC 8414 §3.3); conflict if `key` exists.
  std::unique_ptr<Operation<ProviderInfo>> discover_provider(std::string key, std::string issuer_url,
                                                             bool allow_private_network = false);
  /// RFC 9728 protected-resource metadata (well-known, or a 401's resource_metadata) → RFC 8414
  /// authorization-server metadata → RFC 7591 dynamic client registration: saves `key` with
  /// `resource` set (RFC 8707) and the issued client as its app (secret sealed). Without a
  /// registration_endpoint the provider is saved without an app (has_app false). The server's
  /// registration_access_token (sealed), registration_client_uri and client_secret_expires_at
  /// are kept with the app.
  std::unique_ptr<Operation<ProviderInfo>> discover_resource(ResourceDiscoveryRequest request);
  /// `managed` needs a provider with a managed_service_config_key.
  std::unique_ptr<Operation<ProviderInfo>> set_mode(std::string provider, Mode mode);

  std::unique_ptr<Operation<AppInfo>> upsert_app(AppInput app);
  std::unique_ptr<Operation<AppInfo>> get_app(std::string provider);
  std::unique_ptr<Operation<std::vector<AppInfo>>> list_apps();
  std::unique_ptr<Operation<RemoveResult>> delete_app(std::string provider);

  // Connections.
  std::unique_ptr<Operation<AuthorizationStart>> authorize(AuthorizeRequest request);
  std::unique_ptr<Operation<ConnectionInfo>> complete_callback(CallbackRequest request);
  /// Device grant, first half: asks the provider's device_authorization_endpoint for a user code.
  std::unique_ptr<Operation<DeviceAuthorization>> device_authorize(DeviceRequest request);
  /// Device grant, second half: polls the token endpoint until the user approves (the
  /// connection is stored), refuses (provider_error, provider_code access_denied), or the code
  /// expires (state_expired). Cancel by dropping the operation; a later poll with the same handle
  /// carries on until expiry.
  std::unique_ptr<Operation<ConnectionInfo>> device_poll(DevicePollRequest request);
  /// The same without waiting: no wait effects. Before the interval since the last request to
  /// the token endpoint (or since device_authorize) has passed it only reads the store and
  /// answers pending; after it, it asks once: pending (authorization_pending, slow_down — whose
  /// longer interval is kept —, or a 5xx/429/transport hiccup), or the connection. Refusal,
  /// expiry, an unknown handle and a fourth hiccup in a row end it as device_poll's errors do;
  /// two concurrent calls never both ask the provider (the record is claimed with compare-and-swap).
  std::unique_ptr<Operation<DevicePollStatus>> device_poll_once(DevicePollRequest request);
  /// Client-credentials grant: fetches a token and stores it as a connection.
  std::unique_ptr<Operation<ConnectionInfo>> connect_client_credentials(ConnectionRef ref, std::vector<std::string> scopes);
  /// A token valid for at least the provider's expiry buffer, refreshing (single-flight) if needed.
  /// It may ask for wait effects (effects.hpp): every 100 ms (until_ms = now + 100) while a peer
  /// holds the connection's refresh lease, for up to twice lease_ms (then rate_limited); and
  /// before each retry of a failed refresh, the jittered backoff (retry_base_ms doubling, at most
  /// retry_max_ms, at least the provider's Retry-After). send_authorized, sign_request and
  /// request_signer, which get the token first, may ask for the same waits.
  std::unique_ptr<Operation<AccessToken>> get_token(ConnectionRef ref, bool force_refresh = false);
  /// Adds the connection's token to `request` per the provider's injection rules; invalid_request
  /// if the request's host is not one the token may be sent to. A URL without a scheme is a path
  /// under the provider's api_base_url.
  std::unique_ptr<Operation<HttpRequest>> sign_request(ConnectionRef ref, HttpRequest request);
  /// Sends `request` as the connection `ref`, the one policy every host uses for an API call:
  /// get a valid token (refreshing it if due), sign as sign_request does, send (an http effect),
  /// and on a 401 refresh once and send once more. OAuth 1.0a has nothing to refresh: the retry is
  /// signed afresh. The refresh after a 401 is single-flight: it replaces only the token that was
  /// refused, so when another caller has already replaced it (N requests refused at once) this one
  /// signs with that newer token instead of refreshing again. Any status, 401 included, is a
  /// result; so is a transport error (AuthorizedResponse::transport_error), which is not retried.
  /// Errors: not_found (no such provider or connection, or no app: the message names the command
  /// that fixes it); invalid_request (the URL is not https or loopback, not a host the token may go
  /// to, or the ref names no account and the principal has several); needs_reauth (the connection
  /// must be authorized again: the message names `latchkey connect`); rate_limited (refreshing
  /// failed repeatedly and is paused until retry_at_ms, or a peer's refresh did not end: try
  /// later); provider_error, malformed_response or transport when the refresh itself failed
  /// (the token endpoint's answer or reachability: try again); storage (the store failed:
  /// nothing was changed that matters, try again); crypto (a sealed secret does not open under
  /// the engine's keys). A failed refresh after a 401 the host held back (stream) is the error;
  /// with resend false it is ignored and the 401 is the result.
  std::unique_ptr<Operation<AuthorizedResponse>> send_authorized(ConnectionRef ref, HttpRequest request,
                                                                 SendOptions options = {});
  /// What sign_request uses, to sign many requests with (refreshing first if the token is not
  /// fresh). invalid_request for OAuth 1.0a providers: their every request is signed afresh.
  std::unique_ptr<Operation<RequestSigner>> request_signer(ConnectionRef ref);
  std::unique_ptr<Operation<ConnectionInfo>> status(ConnectionRef ref);
  std::unique_ptr<Operation<std::vector<ConnectionInfo>>> list_connections(std::string principal);
  /// Deletes the connection's tokens; with `revoke`, first revokes them (RFC 7009).
  std::unique_ptr<Operation<DisconnectResult>> disconnect(ConnectionRef ref, bool revoke);

  /// Re-seals every secret still sealed under an older master key version with the current one.
  /// Run after adding a new key version; the old version can be dropped once `failed` and
  /// `skipped` are both 0.
  std::unique_ptr<Operation<ResealResult>> reseal();
  /// Reads every record (one store.list of everything: one snapshot on stores that answer a list
  /// with one query) and opens each sealed secret, counting records by kind; the plaintexts are
  /// wiped at once and never leave the operation. Changes nothing. An unopenable record is a
  /// StoreCheck::failed key, not an error; errors are storage (the store failed) only. Run
  /// check_master_key first, so that a wrong key is refused as such rather than as every record.
  std::unique_ptr<Operation<StoreCheck>> check_store();
  /// Run once when a host opens a store: records each master key version's check value the
  /// first time, and fails with crypto if a key differs from the one the store was sealed with.
  std::unique_ptr<Operation<Ok>> check_master_key();

  // Internals shared by operations.
  detail::Drbg& drbg() { return *drbg_; }
  const detail::Sealer& sealer() const { return *sealer_; }
  detail::EngineMemory& memory() { return *memory_; }

 private:
  Engine() = default;
  EngineConfig config_;
  std::unique_ptr<detail::Drbg> drbg_;
  std::unique_ptr<detail::Sealer> sealer_;
  std::unique_ptr<detail::EngineMemory> memory_;
};

}  // namespace latchkey
