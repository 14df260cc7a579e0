// The app's credentials for the provider's token endpoint, and for its device authorization and
// revocation endpoints, which authenticate clients the same way.
#pragma once

#include <cstdint>

#include "authorization.hpp"
#include "latchkey/engine.hpp"
#include "records.hpp"

namespace latchkey::detail {

/// Unseals the app's secret and applies its method (the app's token_endpoint_auth_method, else
/// the provider's). For private_key_jwt it signs a fresh client assertion for `provider`'s token
/// endpoint (the secret is the PEM key), so call it once per request: servers refuse a jti they
/// have seen. For signed_client_secret it signs the client secret as provider.signed_client_secret
/// says (`provider` resolved: its {templates} substituted), and invalid_request says what to supply
/// when the key, its key_id or those rules are missing or unusable. Errors never quote the secret;
/// invalid_request as client_secret_current says.
Result<ClientCredentials> client_credentials_for(Engine& engine, const Provider& provider, const AppRecord& app,
                                                 std::int64_t now_ms);

/// True if the app's method (else the provider's) is signed_client_secret.
bool signs_client_secret(const Provider& provider, const AppRecord& app);

/// invalid_request once the secret an authorization server issued at registration has expired
/// (its client_secret_expires_at, RFC 7591 §3.2.1): the message says when, and how to register
/// again. Sending it anyway would only earn an invalid_client that hides the reason.
Status client_secret_current(const Provider& provider, const AppRecord& app, std::int64_t now_ms);

}  // namespace latchkey::detail
