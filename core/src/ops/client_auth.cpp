#include "client_auth.hpp"

#include <algorithm>
#include <cstdio>

#include "client_assertion.hpp"
#include "ops.hpp"
#include "signed_client_secret.hpp"
#include "text.hpp"

namespace latchkey::detail {

Status client_secret_current(const Provider& provider, const AppRecord& app, std::int64_t now_ms) {
  if (app.client_secret_expires_at_ms == 0 || app.client_secret_sealed.empty() || now_ms < app.client_secret_expires_at_ms) {
    return Ok{};
  }
  const std::string& key = provider.key;
  const std::string& url = !provider.resource.empty() ? provider.resource : provider.issuer;
  return make_error(ErrorCode::invalid_request,
                    "the client secret the authorization server issued to latchkey for '" + key + "' expired at " +
                        utc_text(app.client_secret_expires_at_ms) +
                        " (client_secret_expires_at); register latchkey again: `latchkey providers delete " + key +
                        " --force`, then `latchkey providers discover " + (url.empty() ? "URL" : url) +
                        " --provider-key " + key + (provider.resource.empty() ? "" : " --mcp") +
                        "`, and connect again");
}

namespace {

/// The secret `client` holds is the app's PEM key: it becomes a secret signed for this request.
Result<ClientCredentials> sign_client_secret(const Provider& provider, const AppRecord& app, std::int64_t now_ms,
                                             Engine& engine, ClientCredentials& client) {
  if (!provider.signed_client_secret) {
    wipe(client.client_secret);
    return make_error(ErrorCode::invalid_request,
                      "the app for '" + provider.key +
                          "' uses token_endpoint_auth_method signed_client_secret, but the provider does not say how "
                          "to sign its client secret (signed_client_secret); choose another method with `latchkey "
                          "apps upsert --auth-method`");
  }
  SignedClientSecretInput in;
  in.rules = *provider.signed_client_secret;  // its templates ({team_id}) resolved with the provider
  in.client_id = app.client_id;
  in.key_id = app.key_id;
  in.private_key = std::move(client.client_secret);
  in.now_ms = now_ms;
  auto secret = make_signed_client_secret(in, engine.drbg());
  wipe(in.private_key);  // the key is not sent, so it need not travel further
  if (!secret) return secret.error();
  client.client_secret = std::move(*secret);
  return client;
}

}  // namespace

bool signs_client_secret(const Provider& provider, const AppRecord& app) {
  if (app.token_endpoint_auth_method.empty()) {
    return provider.token_endpoint_auth_method == ClientAuthMethod::signed_client_secret;
  }
  auto method = client_auth_method_from(app.token_endpoint_auth_method);
  return method && *method == ClientAuthMethod::signed_client_secret;
}

Result<ClientCredentials> client_credentials_for(Engine& engine, const Provider& provider, const AppRecord& app,
                                                 std::int64_t now_ms) {
  if (auto current = client_secret_current(provider, app, now_ms); !current) return current.error();
  auto secret = open_client_secret(engine, app);
  if (!secret) return secret.error();
  ClientCredentials client{app.client_id, std::move(*secret), provider.token_endpoint_auth_method, {}};
  if (!app.token_endpoint_auth_method.empty()) {  // the app's choice overrides the provider's
    auto method = client_auth_method_from(app.token_endpoint_auth_method);
    if (!method) return method.error();
    client.method = *method;
  }
  if (client.method == ClientAuthMethod::signed_client_secret) {
    return sign_client_secret(provider, app, now_ms, engine, client);
  }
  if (client.method != ClientAuthMethod::private_key_jwt) return client;
  ClientAssertionInput in;
  in.client_id = app.client_id;
  // RFC 7523 §3 and OIDC Core §9: the token endpoint URL identifies the server, and servers
  // accept it as the audience at their other endpoints too (oidc-provider, Keycloak, Okta).
  in.audience = provider.token_endpoint;
  in.key_id = app.key_id;
  in.private_key = client.client_secret;
  in.now_ms = now_ms;
  auto assertion = make_client_assertion(in, engine.drbg());
  if (!assertion) return assertion.error();
  client.client_assertion = std::move(*assertion);
  // The key has done its job; it is not sent, so it need not travel further.
  std::fill(client.client_secret.begin(), client.client_secret.end(), '\0');
  client.client_secret.clear();
  return client;
}

}  // namespace latchkey::detail
