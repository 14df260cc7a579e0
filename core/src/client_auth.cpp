#include "client_auth.hpp"

#include <algorithm>

#include "client_assertion.hpp"
#include "ops.hpp"

namespace latchkey::detail {

Result<ClientCredentials> client_credentials_for(Engine& engine, const Provider& provider, const AppRecord& app,
                                                 std::int64_t now_ms) {
  auto secret = open_client_secret(engine, app);
  if (!secret) return secret.error();
  ClientCredentials client{app.client_id, std::move(*secret), std::nullopt, {}};
  if (!app.token_endpoint_auth_method.empty()) {
    auto method = client_auth_method_from(app.token_endpoint_auth_method);
    if (!method) return method.error();
    client.method = *method;
  }
  if (client.method.value_or(provider.token_endpoint_auth_method) != ClientAuthMethod::private_key_jwt) return client;
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
