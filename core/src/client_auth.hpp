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
/// have seen. Errors never quote the secret.
Result<ClientCredentials> client_credentials_for(Engine& engine, const Provider& provider, const AppRecord& app,
                                                 std::int64_t now_ms);

}  // namespace latchkey::detail
