// The redirect back from the authorization server: parse_callback (authorization.hpp) on the
// URL or query the host received, and the URL and form helpers under it (url.hpp).
// Input: the callback URL or query string, as received.
#include <string>

#include "authorization.hpp"
#include "fuzz_target.hpp"
#include "url.hpp"

namespace latchkey::fuzz {

void callback(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  auto cb = detail::parse_callback(text);
  if (!cb) {
    check_error(cb.error());
  } else {
    // What was read survives being written back as a query and read again.
    Params again;
    if (cb->has_state) again.emplace_back("state", cb->state);
    if (cb->has_code) again.emplace_back("code", cb->code);
    if (cb->has_error) again.emplace_back("error", cb->error);
    if (cb->has_iss) again.emplace_back("iss", cb->iss);
    auto round = detail::parse_callback("?" + detail::encode_form(again));
    check(round.ok(), "a callback's own parameters, re-encoded, do not parse");
    check(round->state == cb->state && round->code == cb->code && round->error == cb->error && round->iss == cb->iss,
          "a callback's parameters change when re-encoded");
  }

  auto form = detail::decode_form(text);
  if (!form) {
    check_error(form.error());
  } else {
    auto again = detail::decode_form(detail::encode_form(*form));
    check(again.ok() && *again == *form, "decode_form(encode_form(p)) != p");
  }

  auto decoded = detail::form_decode(detail::form_encode(text));
  check(decoded.ok() && *decoded == text, "form_decode(form_encode(s)) != s");
  for (char c : detail::percent_encode(text)) {
    check(percent_encoded_char(c), "percent_encode left a reserved character");
  }

  auto url = detail::parse_url(text);
  if (!url) {
    check_error(url.error());
    return;
  }
  check(url->scheme == "https" || url->scheme == "http", "parse_url accepted a scheme that is not http(s)");
  check(!url->host.empty(), "parse_url accepted a URL without a host");
  for (char c : url->host) check(!(c >= 'A' && c <= 'Z'), "parse_url left an upper-case host");
  check(url->port >= 0 && url->port <= 65535, "parse_url accepted a port out of range");
  check(url->path.empty() || url->path[0] == '/', "parse_url gave a path that does not start with '/'");
  auto endpoint = detail::check_endpoint(text, "the fuzzed URL");
  if (!endpoint) check_error(endpoint.error());
}

}  // namespace latchkey::fuzz

LATCHKEY_FUZZ_ENTRY(callback)
