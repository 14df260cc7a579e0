#include "redaction.hpp"

#include <algorithm>
#include <cctype>

#include "crypto.hpp"
#include "json.hpp"
#include "headers.hpp"
#include "url.hpp"

namespace latchkey::detail {
namespace {

bool secret_param(std::string_view name) {
  for (std::string_view n : {"client_secret", "client_assertion", "refresh_token", "code", "code_verifier",
                             "device_code", "token", "assertion", "password", "subject_token", "actor_token"}) {
    if (name == n) return true;
  }
  return false;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) return false;
  }
  return true;
}

std::string lower_hex_escapes(std::string s) {
  for (std::size_t i = 0; i + 2 < s.size(); ++i) {
    if (s[i] != '%') continue;
    s[i + 1] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i + 1])));
    s[i + 2] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i + 2])));
  }
  return s;
}

// RFC 5849 §3.5.1: `OAuth name="value", ...`, names and values percent-encoded (§3.6). The
// PLAINTEXT signature is enc(consumer secret) "&" enc(token secret) in clear; an HMAC or RSA one is
// one-use but still hidden. The verifier is a one-use code and oauth_token the (temporary or
// token) credential's identifier.
void add_oauth1_params(SentSecrets& out, std::string_view params) {
  std::size_t i = 0;
  while (i < params.size()) {
    auto eq = params.find("=\"", i);
    if (eq == std::string_view::npos) return;
    auto end = params.find('"', eq + 2);
    if (end == std::string_view::npos) return;
    auto name = form_decode(params.substr(i, eq - i));
    auto value = form_decode(params.substr(eq + 2, end - eq - 2));
    if (name && value) {
      if (*name == "oauth_signature") {
        out.add(*value);
        const std::string_view signature = *value;
        auto amp = signature.find('&');
        if (amp != std::string_view::npos) {
          for (std::string_view half : {signature.substr(0, amp), signature.substr(amp + 1)}) {
            out.add(half);
            if (auto plain = form_decode(half)) out.add(*plain);
          }
        }
      } else if (*name == "oauth_verifier" || *name == "oauth_token") {
        out.add(*value);
      }
    }
    i = end + 1;
    while (i < params.size() && (params[i] == ',' || params[i] == ' ')) ++i;
  }
}

void add_params(SentSecrets& out, const Params& params) {
  for (const auto& [name, value] : params) {
    if (secret_param(name)) out.add(value);
  }
}

}  // namespace

SentSecrets SentSecrets::of(const HttpRequest& request) {
  SentSecrets out;
  if (const std::string* auth = find_header(request.headers, "authorization")) {
    out.add(*auth);
    std::string_view value = *auth;
    auto space = value.find(' ');
    if (space != std::string_view::npos) {
      std::string_view credentials = value.substr(space + 1);
      out.add(credentials);
      // RFC 6749 §2.3.1: base64(form(id) ":" form(secret)); the secret is what must not leak.
      if (starts_with_ci(value, "oauth ")) add_oauth1_params(out, credentials);
      if (starts_with_ci(value, "basic ")) {
        if (auto pair = base64_decode(credentials)) {
          out.add(*pair);
          auto colon = pair->find(':');
          if (colon != std::string::npos) {
            std::string_view secret = std::string_view(*pair).substr(colon + 1);
            out.add(secret);
            if (auto plain = form_decode(secret)) out.add(*plain);
          }
        }
      }
    }
  }
  auto q = request.url.find('?');
  if (q != std::string::npos) {
    if (auto query = decode_form(std::string_view(request.url).substr(q + 1))) add_params(out, *query);
  }
  if (auto form = decode_form(request.body)) {
    add_params(out, *form);
  }
  if (auto body = json::parse(request.body, "the request"); body && body->is<json::Object>()) {
    for (const auto& [name, value] : body->get<json::Object>()) {
      if (secret_param(name) && value.is<std::string>()) out.add(value.get<std::string>());
    }
  }
  return out;
}

void SentSecrets::add(std::string_view secret) {
  if (secret.size() < kMinLength) return;
  auto keep = [this](std::string form) {
    if (std::find(forms_.begin(), forms_.end(), form) == forms_.end()) forms_.push_back(std::move(form));
  };
  keep(std::string(secret));
  keep(percent_encode(secret));
  keep(form_encode(secret));  // spaces as '+'
  keep(lower_hex_escapes(percent_encode(secret)));
  keep(lower_hex_escapes(form_encode(secret)));
  std::sort(forms_.begin(), forms_.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

std::string SentSecrets::redact(std::string text) const {
  for (const auto& form : forms_) {
    for (auto at = text.find(form); at != std::string::npos; at = text.find(form, at + kRedacted.size())) {
      text.replace(at, form.size(), kRedacted);
    }
  }
  // clean() may have cut a secret short: "bad secret s3cr3t-X..." still leaks most of it.
  constexpr std::string_view kCut = "...";
  if (text.size() >= kCut.size() && text.compare(text.size() - kCut.size(), kCut.size(), kCut) == 0) {
    const std::size_t end = text.size() - kCut.size();
    for (const auto& form : forms_) {
      for (std::size_t n = std::min(form.size() - 1, end); n >= 4; --n) {
        if (text.compare(end - n, n, form, 0, n) == 0) {
          text.replace(end - n, n, kRedacted);
          return text;
        }
      }
    }
  }
  return text;
}

Error SentSecrets::redact(Error e) const {
  e.message = redact(std::move(e.message));
  e.provider_code = redact(std::move(e.provider_code));
  e.provider_description = redact(std::move(e.provider_description));
  return e;
}

}  // namespace latchkey::detail
