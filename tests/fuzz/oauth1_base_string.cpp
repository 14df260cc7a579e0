// OAuth 1.0a signing (oauth1_signature.hpp, RFC 5849 §3.4–3.5) on any request a caller may ask
// to sign: the signature base string, the parameter normalisation under it and the
// Authorization header it ends in.
// Input: method, URL, Content-Type and the extra oauth_* parameters (a form: oauth_callback,
// oauth_verifier) one per line, then the body.
#include <memory>
#include <string>

#include "crypto.hpp"
#include "fuzz_target.hpp"
#include "oauth1_signature.hpp"
#include "url.hpp"

namespace latchkey::fuzz {

namespace {
detail::Drbg& drbg() {
  static auto d = detail::Drbg::create(std::string(32, '\x07'));
  check(d.ok(), "the fuzz harness's generator");
  return **d;
}
}  // namespace

void oauth1_base_string(const std::uint8_t* data, std::size_t size) {
  auto in = split_lines<4>(data, size);
  HttpRequest request;
  request.method = std::string(in.field[0]);
  request.url = std::string(in.field[1]);
  if (!in.field[2].empty()) request.headers.emplace_back("Content-Type", std::string(in.field[2]));
  request.body = std::string(in.rest);
  auto extra = detail::decode_form(in.field[3]);
  if (!extra) {
    check_error(extra.error());
    extra = Params{};
  }

  auto body = detail::decode_form(request.body);
  auto base = detail::signature_base_string(request.method, request.url, body ? *body : Params{}, *extra);
  if (!base) {
    check_error(base.error());
  } else {
    // METHOD & enc(URI) & enc(parameters): after the method, exactly two '&' and only encoded text.
    check(base->size() > request.method.size() && (*base)[request.method.size()] == '&',
          "the base string does not start with the method and '&'");
    std::string_view tail = std::string_view(*base).substr(request.method.size() + 1);
    std::size_t amps = 0;
    for (char c : tail) {
      if (c == '&') ++amps;
      else check(percent_encoded_char(c), "the base string has a character that is not percent-encoded");
    }
    check(amps == 1, "the base string does not have exactly three parts");
  }

  auto uri = detail::base_string_uri(request.url);
  if (!uri) check_error(uri.error());
  std::string header = detail::oauth1_authorization_header(*extra);
  check(header.find_first_of("\r\n") == std::string::npos, "a line break in the OAuth Authorization header");

  for (auto method : {SignatureMethod::hmac_sha1, SignatureMethod::plaintext}) {
    detail::OAuth1Credentials c;
    c.method = method;
    c.consumer_key = "consumer key";
    c.consumer_secret = "consumer&secret";
    c.token = "token";
    c.token_secret = "token secret";
    HttpRequest signed_request = request;
    auto ok = detail::sign_oauth1_request(signed_request, c, *extra, 1700000000000, drbg());
    if (!ok) {
      check_error(ok.error());
      continue;
    }
    std::size_t authorizations = 0;
    for (const auto& [name, value] : signed_request.headers) {
      if (name == "Authorization") {
        ++authorizations;
        check(value.rfind("OAuth ", 0) == 0, "a signed request whose Authorization is not OAuth");
        check(value.find_first_of("\r\n") == std::string::npos, "a line break in a signed Authorization header");
      }
    }
    check(authorizations == 1, "a signed request without exactly one Authorization header");
  }
}

}  // namespace latchkey::fuzz

LATCHKEY_FUZZ_ENTRY(oauth1_base_string)
