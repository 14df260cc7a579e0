// Pure pieces of discovering a protected resource (an MCP server): RFC 9728 protected-resource
// metadata and RFC 7591 dynamic client registration. No effects: op_discover_resource.cpp puts them together; the URL policy every
// metadata URL passes is in address_policy.hpp.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "latchkey/effects.hpp"
#include "latchkey/provider.hpp"
#include "latchkey/result.hpp"

namespace latchkey::detail {

/// Metadata documents are small; anything bigger is refused (and asked of the host as a cap).
constexpr std::size_t kMaxMetadataBytes = 64 * 1024;

/// RFC 8414 §3 / RFC 9728 §3.1: `/.well-known/<name>` goes between the host and the URL's path.
std::string well_known_url(const std::string& url, std::string_view name);
/// OpenID Connect Discovery §4: `/.well-known/openid-configuration` appended to the issuer, after
/// any trailing slash is removed.
std::string openid_configuration_url(const std::string& issuer);

/// The `resource_metadata` URL of a `WWW-Authenticate: Bearer …` challenge (RFC 9728 §5.1), or "".
std::string resource_metadata_from_challenge(std::string_view header);

struct ResourceMetadata {
  std::string resource;
  std::vector<std::string> authorization_servers;
  std::vector<std::string> scopes_supported;
  std::string resource_name;
};

/// Parses RFC 9728 §2 metadata. Its `resource` must be identical to `expected_resource` (§3.3:
/// anything else may be an impersonation); invalid_request if not, malformed_response for a
/// document that is not one (too large, not an object, no authorization server).
Result<ResourceMetadata> parse_resource_metadata(const std::string& document, const std::string& expected_resource);

/// `registration_endpoint` of an RFC 8414 document ("" when absent; malformed_response if not a string).
Result<std::string> registration_endpoint_of(const std::string& document);

struct RegistrationInput {
  std::string endpoint;
  std::string client_name;
  std::string redirect_uri;
  ClientAuthMethod method = ClientAuthMethod::client_secret_basic;
};

/// RFC 7591 §3.1: a native client for the authorization code grant with refresh tokens.
HttpRequest registration_request(const RegistrationInput& input);

struct RegisteredClient {
  std::string client_id;
  std::string client_secret;  ///< Empty for a public client.
  ClientAuthMethod method = ClientAuthMethod::client_secret_basic;
  /// RFC 7592's credential for reading, updating and deleting the registration: secret.
  std::string registration_access_token;
  std::string registration_client_uri;  ///< Not yet checked: the caller applies its URL policy.
  /// client_secret_expires_at (RFC 7591 §3.2.1) in ms; 0: never, and always 0 without a secret.
  std::int64_t client_secret_expires_at_ms = 0;
};

/// RFC 7591 §3.2: the server's answer. It may change the authentication method (it must be one
/// latchkey implements); a confidential method without a secret is malformed, and so are a
/// registration_access_token that is not a short printable string and a client_secret_expires_at
/// that is not a whole number of seconds (messages never quote the token or the secret).
Result<RegisteredClient> parse_registration_response(const HttpResponse& response, ClientAuthMethod asked);

}  // namespace latchkey::detail
