// RFC 9126 §2.2: reading the pushed authorization request endpoint's answer. The request_uri it
// returns ends up in the consent URL, so it is checked as carefully as any other untrusted text.
#include "authorization.hpp"
#include "json.hpp"
#include "text.hpp"

namespace latchkey::detail {
namespace {

// A PAR answer is two short members; anything bigger is not one.
constexpr std::size_t kMaxBody = 64 * 1024;

}  // namespace

Result<std::string> parse_pushed_authorization_response(const HttpResponse& response) {
  const int status = response.status;
  const std::string where = " (" + http_text(status) + "); check the provider's pushed_authorization_request_endpoint";
  if (response.body.size() > kMaxBody) {
    return http_error(ErrorCode::malformed_response, status,
                      "the pushed authorization answer is too large" + where);
  }
  auto parsed = json::parse(response.body, "the pushed authorization answer");
  const json::Object* o = parsed && parsed->is<json::Object>() ? &parsed->get<json::Object>() : nullptr;
  if (status != 201 && status != 200) {
    if (o) {
      if (const std::string* error = json::get_string(*o, "error")) {
        Error e = http_error(ErrorCode::provider_error, status, "");
        e.provider_code = clean(*error, 200);
        const std::string* desc = json::get_string(*o, "error_description");
        if (desc) e.provider_description = clean(*desc);
        e.message = "the provider refused the pushed authorization request (" + e.provider_code + ")" +
                    (desc ? ": " + e.provider_description : std::string()) +
                    "; check the app's client credentials and redirect URI";
        return e;
      }
    }
    return http_error(status >= 500 ? ErrorCode::transport : ErrorCode::provider_error, status,
                      "the pushed authorization request failed" + where);
  }
  if (!o) {
    return http_error(ErrorCode::malformed_response, status,
                      "the pushed authorization answer is not a JSON object" + where);
  }
  const std::string* uri = json::get_string(*o, "request_uri");
  if (!uri || uri->empty()) {
    return http_error(ErrorCode::malformed_response, status,
                      "the pushed authorization answer has no request_uri" + where);
  }
  // An opaque reference (RFC 9126 §2.2, typically urn:ietf:params:oauth:request_uri:…): short,
  // printable, no spaces. It is percent-encoded into the consent URL, never interpreted.
  if (uri->size() > 2048) {
    return http_error(ErrorCode::malformed_response, status,
                      "the pushed authorization answer's request_uri is too long" + where);
  }
  for (char c : *uri) {
    if (c <= 0x20 || c >= 0x7F) {
      return http_error(ErrorCode::malformed_response, status,
                        "the pushed authorization answer's request_uri has spaces or control characters" + where);
    }
  }
  return *uri;
}

}  // namespace latchkey::detail
