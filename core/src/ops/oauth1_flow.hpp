// The OAuth 1.0a redirection-based flow (RFC 5849 §2) as steps the authorize and callback
// operations use: temporary credentials → the resource owner's consent URL → token credentials.
// The pending record, its consumption and the connection record are the OAuth 2 machinery's
// (op_authorize.cpp, op_token.cpp); only the HTTP exchanges and their parsing live here.
#pragma once

#include <cstdint>
#include <string>

#include "latchkey/token_set.hpp"
#include "oauth1_signature.hpp"
#include "steps.hpp"

namespace latchkey::detail {

struct TemporaryCredentials {
  std::string token;
  std::string secret;
};

/// The app's signing credentials: client_id is the consumer key, the client secret the consumer
/// secret (or, for RSA-SHA1, the PEM private key). crypto error if the secret cannot be unsealed.
Result<OAuth1Credentials> oauth1_client(const Engine& engine, const Provider& provider, const AppRecord& app);

/// §2.3: authorization_endpoint?oauth_token=… plus the scope (when any; Trello reads it there),
/// the provider's authorization_params and the caller's `extra` (which may not set oauth_token).
Result<std::string> oauth1_authorization_url(const Provider& provider, const std::string& temporary_token,
                                             const std::string& scope, const Params& extra);

struct OAuth1Steps {
  /// §2.1: a signed POST to request_token_endpoint carrying oauth_callback = `callback`. The
  /// answer must be form-encoded with oauth_token, oauth_token_secret and
  /// oauth_callback_confirmed=true — without that confirmation the server speaks the original
  /// OAuth 1.0 with its session-fixation flaw, and provider_error is returned. provider_error
  /// for any non-2xx answer, malformed_response for a body without the credentials.
  static void temporary_credentials(OperationBase& op, Engine& engine, const Provider& provider,
                                    const OAuth1Credentials& client, const std::string& callback, std::int64_t now_ms,
                                    Then<TemporaryCredentials> then);

  /// §2.3: a POST to token_endpoint signed with the temporary credentials (in `temporary`) and
  /// carrying oauth_verifier. The TokenSet holds oauth_token as access_token, the secret as
  /// token_secret, no expiry, and the members the provider's token_response.keep names as
  /// extras. invalid_grant when the server refuses the verifier or token (400/401), else as above.
  static void token_credentials(OperationBase& op, Engine& engine, const Provider& provider,
                                const OAuth1Credentials& temporary, const std::string& verifier, std::int64_t now_ms,
                                Then<TokenSet> then);
};

}  // namespace latchkey::detail
