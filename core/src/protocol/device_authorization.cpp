#include "device_authorization.hpp"

#include <string_view>

#include "json.hpp"
#include "text.hpp"
#include "url.hpp"

namespace latchkey::detail {
namespace {

// A device authorization response is a few short strings; anything bigger is not one.
constexpr std::size_t kMaxBody = 64 * 1024;

Error malformed(int status, const std::string& what) {
  return http_error(ErrorCode::malformed_response, status,
                    "the device authorization endpoint's answer (" + http_text(status) + ") " + what +
                        "; check the provider's device_authorization_endpoint");
}

/// A whole number of seconds up to a day: already far beyond any real device code's lifetime.
bool seconds(const json::Value& v, std::int64_t* out) { return whole_number(v, 24 * 3600, out); }

/// Printable ASCII only: these are shown on a terminal, where control characters could rewrite it.
bool printable(const std::string& s, std::size_t max) { return !s.empty() && s.size() <= max && is_vschar(s); }

/// The provider's OAuth error (cleaned and capped by the token response reader) in our words.
Error refusal(const TokenHttpResponse& response) {
  auto parsed = parse_token_response(response, {}, 0, "");
  if (parsed) return malformed(response.status, "is an error status with a token in it");
  Error e = parsed.error();
  if (e.code == ErrorCode::malformed_response) {
    e.message = "the device authorization endpoint answered " + http_text(response.status) +
                " with something that is not an OAuth response; check the provider's device_authorization_endpoint";
    return e;
  }
  std::string said = e.provider_code.empty() ? "no error code" : e.provider_code;
  if (!e.provider_description.empty()) said += ": " + e.provider_description;
  e.code = ErrorCode::provider_error;
  if (e.provider_code == "unauthorized_client" || e.provider_code == "unsupported_grant_type") {
    e.message = "the provider does not let this app use the device grant (" + said +
                "); enable it for the app at the provider, or connect without --device";
  } else if (e.provider_code == "invalid_client") {
    e.message = "the provider rejected the app's client credentials (" + said + "); check the client ID and secret";
  } else if (e.provider_code == "invalid_scope") {
    e.message = "the provider refused the requested scopes (" + said + "); check the scopes asked for";
  } else if (e.provider_code.empty() && response.status >= 500) {
    e.message = "the device authorization endpoint failed (" + http_text(response.status) + "); try again later";
  } else {
    e.message = "the device authorization endpoint refused the request (" + said + ", " + http_text(response.status) +
                "); check the app's settings at the provider";
  }
  return e;
}

}  // namespace

Result<DeviceGrant> parse_device_authorization(const TokenHttpResponse& response) {
  const int status = response.status;
  if (response.body.size() > kMaxBody) return malformed(status, "is too large to be a device authorization");
  std::string_view lead = response.body;
  while (!lead.empty() && is_ws(lead.front())) lead.remove_prefix(1);
  const bool success = status == 200 || status == 201;
  if (!lead.empty() && lead.front() == '<') {
    return http_error(ErrorCode::malformed_response, status,
                      "the device authorization endpoint returned an HTML page (" + http_text(status) +
                          ") instead of a device code; check the provider's device_authorization_endpoint");
  }
  if (!success) return refusal(response);
  auto doc = json::parse(lead, "the device authorization response");
  if (!doc) return malformed(status, "is not JSON");
  if (!doc->is<json::Object>()) return malformed(status, "is JSON but not an object");
  const json::Object& o = doc->get<json::Object>();
  if (o.count("error")) return refusal(response);

  DeviceGrant g;
  const std::string* device_code = json::get_string(o, "device_code");
  if (!device_code || device_code->empty()) return malformed(status, "has no device_code");
  // Sent back in a form body; RFC 6749 VSCHAR keeps it from smuggling anything into it.
  if (!printable(*device_code, 4096)) return malformed(status, "has a device_code with characters it cannot contain");
  g.device_code = *device_code;

  const std::string* user_code = json::get_string(o, "user_code");
  if (!user_code) return malformed(status, "has no user_code");
  if (!printable(*user_code, 64)) return malformed(status, "has a user_code that is not short printable text");
  g.user_code = *user_code;

  const std::string* uri = json::get_string(o, "verification_uri");
  if (!uri) uri = json::get_string(o, "verification_url");  // Google's spelling
  if (!uri) return malformed(status, "has no verification_uri");
  if (!printable(*uri, 2048) || !check_endpoint(*uri, "verification_uri")) {
    return malformed(status, "has a verification_uri that is not an https URL");
  }
  g.verification_uri = *uri;
  if (const std::string* complete = json::get_string(o, "verification_uri_complete")) {
    if (!printable(*complete, 2048) || !check_endpoint(*complete, "verification_uri_complete")) {
      return malformed(status, "has a verification_uri_complete that is not an https URL");
    }
    g.verification_uri_complete = *complete;
  }

  auto expires = o.find("expires_in");
  if (expires != o.end() && !expires->second.is<picojson::null>()) {
    std::int64_t s = 0;
    if (!seconds(expires->second, &s) || s == 0) {
      return malformed(status, "has an expires_in that is not a whole number of seconds between 1 and a day");
    }
    g.lifetime_ms = s * 1000;
  }
  auto interval = o.find("interval");
  if (interval != o.end() && !interval->second.is<picojson::null>()) {
    std::int64_t s = 0;
    if (!seconds(interval->second, &s)) return malformed(status, "has an interval that is not a whole number of seconds");
    g.interval_ms = s * 1000;
  }
  if (g.interval_ms < kMinIntervalMs) g.interval_ms = kMinIntervalMs;
  if (g.interval_ms > kMaxIntervalMs) g.interval_ms = kMaxIntervalMs;
  return g;
}

PollVerdict poll_verdict(const Result<TokenSet>& tokens) {
  if (tokens) return PollVerdict::approved;
  const Error& e = tokens.error();
  const std::string& code = e.provider_code;
  if (code == "authorization_pending") return PollVerdict::pending;
  if (code == "slow_down") return PollVerdict::slow_down;
  if (code == "access_denied") return PollVerdict::denied;
  if (code == "expired_token") return PollVerdict::expired;
  // No OAuth error at all, just a busy or failing server: the user may still be approving.
  if (code.empty() && (e.http_status == 429 || e.http_status >= 500)) return PollVerdict::retry;
  if (code == "temporarily_unavailable" || code == "server_error") return PollVerdict::retry;
  return PollVerdict::failed;
}

}  // namespace latchkey::detail
