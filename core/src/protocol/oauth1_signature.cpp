#include "oauth1_signature.hpp"

#include <algorithm>
#include <cctype>

#include "crypto.hpp"
#include "origin.hpp"
#include "headers.hpp"
#include "url.hpp"

namespace latchkey::detail {
namespace {

bool is_form(const HttpRequest& request) {
  const std::string* ct = find_header(request.headers, "content-type");
  if (!ct) return false;
  std::string type = ct->substr(0, ct->find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
  return type == "application/x-www-form-urlencoded";
}

// RFC 5849 §3.4.1.2: the origin (a default port left out) and the path, "/" when empty.
std::string uri_of(const Url& u) { return origin_of(u) + (u.path.empty() ? "/" : u.path); }

}  // namespace

// RFC 3986's unreserved set is exactly §3.6's, and url.cpp already writes upper-case hex.
std::string oauth1_encode(std::string_view s) { return percent_encode(s); }

Result<std::string> base_string_uri(std::string_view url) {
  auto u = parse_url(url);
  if (!u) return u.error();
  return uri_of(*u);
}

std::string normalize_parameters(const Params& params) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(params.size());
  for (const auto& [name, value] : params) encoded.emplace_back(oauth1_encode(name), oauth1_encode(value));
  std::sort(encoded.begin(), encoded.end());  // by name, then by value: §3.4.1.3.2 step 2
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out += name;
    out.push_back('=');
    out += value;
  }
  return out;
}

Result<std::string> signature_base_string(std::string_view method, std::string_view url, const Params& body_params,
                                          const Params& oauth_params) {
  auto u = parse_url(url);
  if (!u) return u.error();
  // §3.4.1.3.1: the query is read as application/x-www-form-urlencoded ('+' is a space).
  auto query = decode_form(u->query);
  if (!query) return make_error(ErrorCode::invalid_request, "the request URL's query is malformed: " + query.error().message);
  Params all = std::move(*query);
  all.insert(all.end(), body_params.begin(), body_params.end());
  for (const auto& p : oauth_params) {
    if (p.first != "oauth_signature" && p.first != "realm") all.push_back(p);
  }
  std::string upper(method);
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  return upper + "&" + oauth1_encode(uri_of(*u)) + "&" + oauth1_encode(normalize_parameters(all));
}

Result<std::string> oauth1_signature(const OAuth1Credentials& c, std::string_view base_string, Drbg& drbg) {
  // §3.4.2: the key is both secrets, each encoded, joined by '&' (present even when one is empty).
  const std::string key = oauth1_encode(c.consumer_secret) + "&" + oauth1_encode(c.token_secret);
  switch (c.method) {
    case SignatureMethod::hmac_sha1:
      return base64_encode(hmac_sha1(key, base_string));
    case SignatureMethod::hmac_sha256:
      return base64_encode(hmac_sha256(key, base_string));
    case SignatureMethod::rsa_sha1: {
      auto sig = rsa_sha1_sign(c.consumer_secret, base_string, drbg);
      if (!sig) return sig.error();
      return base64_encode(*sig);
    }
    case SignatureMethod::plaintext:
      return key;  // §3.4.4: the key itself, which only HTTPS protects
  }
  return make_error(ErrorCode::internal, "unknown signature method");
}

std::string oauth1_body_hash(SignatureMethod method, std::string_view body) {
  return base64_encode(method == SignatureMethod::hmac_sha256 ? sha256(body) : sha1(body));
}

std::string oauth1_authorization_header(const Params& oauth_params) {
  std::string out = "OAuth ";
  bool first = true;
  for (const auto& [name, value] : oauth_params) {
    if (!first) out += ", ";
    first = false;
    out += oauth1_encode(name) + "=\"" + oauth1_encode(value) + "\"";
  }
  return out;
}

Status sign_oauth1_request(HttpRequest& request, const OAuth1Credentials& c, const Params& extra_oauth,
                           std::int64_t now_ms, Drbg& drbg) {
  if (c.consumer_key.empty()) return make_error(ErrorCode::invalid_request, "the app has no client ID (consumer key)");
  Params body_params;
  const bool form = is_form(request);
  if (form) {
    auto decoded = decode_form(request.body);
    if (!decoded) return make_error(ErrorCode::invalid_request, "the form body is malformed: " + decoded.error().message);
    body_params = std::move(*decoded);
  }
  Params oauth = {{"oauth_consumer_key", c.consumer_key}};
  if (!c.token.empty()) oauth.emplace_back("oauth_token", c.token);
  oauth.emplace_back("oauth_signature_method", to_string(c.method));
  oauth.emplace_back("oauth_timestamp", std::to_string(now_ms / 1000));
  // 96 bits as 24 hex digits: unique with the timestamp, and inside the alphanumeric 20–30
  // characters that common server libraries (oauthlib) insist on.
  oauth.emplace_back("oauth_nonce", hex_encode(drbg.bytes(12)));
  oauth.emplace_back("oauth_version", "1.0");
  for (const auto& p : extra_oauth) oauth.push_back(p);
  if (!form && !request.body.empty() && c.method != SignatureMethod::plaintext) {
    oauth.emplace_back("oauth_body_hash", oauth1_body_hash(c.method, request.body));
  }
  auto base = signature_base_string(request.method, request.url, body_params, oauth);
  if (!base) return base.error();
  auto signature = oauth1_signature(c, *base, drbg);
  if (!signature) return signature.error();
  oauth.emplace_back("oauth_signature", std::move(*signature));
  // The caller's own credentials never travel next to ours.
  request.headers.erase(std::remove_if(request.headers.begin(), request.headers.end(),
                                       [](const auto& h) { return find_header({h}, "authorization") != nullptr; }),
                        request.headers.end());
  request.headers.emplace_back("Authorization", oauth1_authorization_header(oauth));
  return Ok{};
}

}  // namespace latchkey::detail
