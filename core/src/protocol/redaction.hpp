// Provider text is untrusted, and some providers echo the request back: an error_description
// that quotes the Basic header, the client secret or the refresh token would carry a live
// credential into an Error message, a stored last_error, a log line or an API answer. The
// operation knows what it sent; this takes every secret out of what the provider said, in each
// form a server might echo it (raw, percent-encoded, form-encoded, the Basic header's base64).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "latchkey/effects.hpp"
#include "latchkey/result.hpp"

namespace latchkey::detail {

/// What replaces a secret in provider text.
inline constexpr std::string_view kRedacted = "[redacted]";

class SentSecrets {
 public:
  /// The secrets `request` carries: its Authorization header's credentials (and, for Basic, the
  /// client secret inside them; for OAuth 1.0a, the oauth_signature — under PLAINTEXT the
  /// consumer and token secrets — with each of its halves, oauth_verifier and oauth_token) and
  /// the values of credential parameters in its query or its form or JSON body (client_secret,
  /// client_assertion, refresh_token, code, code_verifier, device_code, token, assertion,
  /// password, subject_token, actor_token).
  static SentSecrets of(const HttpRequest& request);

  /// Adds one secret in each form it may be echoed in. Values shorter than kMinLength are not
  /// credentials worth hiding, and hiding them would blank ordinary words of the message.
  void add(std::string_view secret);
  static constexpr std::size_t kMinLength = 6;

  /// `text` with every form of every secret replaced by kRedacted, and a secret's prefix cut by
  /// clean()'s cap ("…s3cr..." at the end) too.
  std::string redact(std::string text) const;
  /// The error's message, provider_code and provider_description, redacted.
  Error redact(Error e) const;

 private:
  std::vector<std::string> forms_;  ///< Longest first, so a form inside another is not half-replaced.
};

}  // namespace latchkey::detail
