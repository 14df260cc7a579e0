// OAuth 1.0a request signing (RFC 5849 §3): the signature base string, the four signature
// methods, oauth_body_hash, and the Authorization header. Pure functions plus one that signs an
// HttpRequest in place; the flow that obtains the credentials is in oauth1_flow.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "latchkey/effects.hpp"
#include "latchkey/provider.hpp"
#include "latchkey/result.hpp"

namespace latchkey::detail {

class Drbg;

/// Who signs: the app (consumer) and, once there is one, the temporary or token credentials.
struct OAuth1Credentials {
  SignatureMethod method = SignatureMethod::hmac_sha1;
  std::string consumer_key;
  std::string consumer_secret;  ///< For RSA-SHA1: the PEM RSA private key.
  std::string token;            ///< Empty for the temporary credentials request.
  std::string token_secret;
};

/// §3.6: every byte but ALPHA / DIGIT / "-" / "." / "_" / "~" as %XX with upper-case hex.
std::string oauth1_encode(std::string_view s);

/// §3.4.1.2: lower-case scheme and host, the port only when not the scheme's default, the path
/// ("/" when empty); no query or fragment. invalid_request for a URL that is not absolute http(s).
Result<std::string> base_string_uri(std::string_view url);

/// §3.4.1.3.2: each name and value encoded, sorted by name then value (byte order of the
/// encoded strings), joined as name=value with '&'.
std::string normalize_parameters(const Params& params);

/// §3.4.1: METHOD & enc(base string URI) & enc(normalized parameters), where the parameters are
/// the URL's query, `body_params` (only for a form-encoded body) and `oauth_params` — without
/// oauth_signature and realm, which are never signed.
Result<std::string> signature_base_string(std::string_view method, std::string_view url, const Params& body_params,
                                          const Params& oauth_params);

/// The oauth_signature value (§3.4.2 HMAC-SHA1, HMAC-SHA256 alike with SHA-256, §3.4.3
/// RSA-SHA1, §3.4.4 PLAINTEXT), base64 where the method says so, not yet percent-encoded.
/// invalid_request if an RSA-SHA1 key is not a PEM RSA private key.
Result<std::string> oauth1_signature(const OAuth1Credentials& credentials, std::string_view base_string, Drbg& drbg);

/// oauth_body_hash (the OAuth Request Body Hash extension): base64 of the body's SHA-1 (SHA-256
/// for HMAC-SHA256, whose hash it matches). Only for bodies that are not form-encoded.
std::string oauth1_body_hash(SignatureMethod method, std::string_view body);

/// §3.5.1: `OAuth name="value", ...` with names and values encoded per §3.6.
std::string oauth1_authorization_header(const Params& oauth_params);

/// Signs `request` in place: adds oauth_consumer_key, oauth_token (when there is one), the
/// method, a timestamp from `now_ms`, a nonce from `drbg`, oauth_version, `extra_oauth`
/// (oauth_callback, oauth_verifier) and — for a non-empty body that is not form-encoded, except
/// under PLAINTEXT — oauth_body_hash; then replaces any Authorization header with the signed one.
/// A form body's parameters are signed (it must carry Content-Type
/// application/x-www-form-urlencoded). invalid_request for a bad URL, body or RSA key.
Status sign_oauth1_request(HttpRequest& request, const OAuth1Credentials& credentials, const Params& extra_oauth,
                           std::int64_t now_ms, Drbg& drbg);

}  // namespace latchkey::detail
