// provider_from_discovery: a custom provider built from an RFC 8414 / OpenID Connect discovery
// document, held to the same rules as any definition.
#include <algorithm>

#include "json.hpp"
#include "latchkey/provider.hpp"
#include "origin.hpp"
#include "provider_checks.hpp"
#include "url.hpp"

namespace latchkey {

using detail::invalid;
using detail::malformed;
using detail::quote;
using detail::json::Array;
using detail::json::Object;
using detail::json::Value;

Result<Provider> provider_from_discovery(const std::string& key, const std::string& issuer_url,
                                         const std::string& document) {
  if (document.size() > detail::kMaxProviderJson) return malformed("the discovery document is too large");
  auto parsed = detail::json::parse(document, "the discovery document");
  if (!parsed) return parsed.error();
  if (!parsed->is<Object>()) return malformed("the discovery document is not a JSON object");
  const Object& d = parsed->get<Object>();

  auto doc_string = [&d](const char* member, std::string* out) -> Status {
    auto it = d.find(member);
    if (it == d.end() || it->second.is<picojson::null>()) return Ok{};
    if (!it->second.is<std::string>()) {
      return malformed(std::string("the discovery document's ") + member + " is not a string");
    }
    *out = it->second.get<std::string>();
    return Ok{};
  };
  // Non-string items are skipped: a server's odd extension values should not block discovery.
  auto doc_strings = [&d](const char* member, std::vector<std::string>* out, bool* present) -> Status {
    *present = false;
    auto it = d.find(member);
    if (it == d.end() || it->second.is<picojson::null>()) return Ok{};
    if (!it->second.is<Array>()) {
      return malformed(std::string("the discovery document's ") + member + " is not an array");
    }
    *present = true;
    for (const Value& v : it->second.get<Array>()) {
      if (v.is<std::string>()) out->push_back(v.get<std::string>());
    }
    return Ok{};
  };
  auto has = [](const std::vector<std::string>& list, const char* item) {
    return std::find(list.begin(), list.end(), item) != list.end();
  };

  std::string issuer;
  LK_TRY(doc_string("issuer", &issuer));
  if (issuer.empty()) return malformed("the discovery document has no issuer");
  // RFC 8414 §3.3 / OIDC Discovery §4.3: anything but an exact match may be a mix-up attack.
  if (issuer != issuer_url) {
    return invalid("issuer mismatch: the discovery document says its issuer is " + quote(issuer) +
                   " but it was fetched for " + quote(issuer_url) +
                   "; they must be identical (RFC 8414 §3.3), check the issuer URL, including any trailing slash");
  }

  Provider p;
  p.key = key;
  p.display_name = key;
  p.issuer = issuer;
  p.api_base_url = issuer;
  LK_TRY(doc_string("authorization_endpoint", &p.authorization_endpoint));
  LK_TRY(doc_string("token_endpoint", &p.token_endpoint));
  LK_TRY(doc_string("revocation_endpoint", &p.revocation_endpoint));
  LK_TRY(doc_string("userinfo_endpoint", &p.userinfo_endpoint));
  LK_TRY(doc_string("device_authorization_endpoint", &p.device_authorization_endpoint));
  // RFC 9126 §5: PAR is used when the server requires it; an offered-only endpoint is left for
  // the user to opt into (providers update), so discovered providers behave as before.
  {
    auto req = d.find("require_pushed_authorization_requests");
    if (req != d.end() && req->second.is<bool>() && req->second.get<bool>()) {
      LK_TRY(doc_string("pushed_authorization_request_endpoint", &p.pushed_authorization_request_endpoint));
      if (p.pushed_authorization_request_endpoint.empty()) {
        return malformed("the discovery document requires pushed authorization requests but names no "
                         "pushed_authorization_request_endpoint");
      }
    }
  }

  bool present = false;
  std::vector<std::string> scopes;
  LK_TRY(doc_strings("scopes_supported", &scopes, &present));
  for (auto& s : scopes) {
    // Keep only scopes latchkey could request.
    if (detail::check_scopes({s}, "scopes_supported", " ")) p.available_scopes.push_back(std::move(s));
  }
  if (has(p.available_scopes, "openid")) p.default_scopes = {"openid"};

  std::vector<std::string> pkce_methods;
  LK_TRY(doc_strings("code_challenge_methods_supported", &pkce_methods, &present));
  // Absent means "not advertised", not "unsupported": many servers accept S256 silently.
  // "plain" alone is treated as no PKCE; latchkey never sends a plain challenge.
  p.pkce = !present || has(pkce_methods, "S256") ? PkceSupport::supported : PkceSupport::unsupported;

  std::vector<std::string> auth_methods;
  LK_TRY(doc_strings("token_endpoint_auth_methods_supported", &auth_methods, &present));
  if (!present || has(auth_methods, "client_secret_basic")) {  // RFC 8414 §2: basic is the default
    p.token_endpoint_auth_method = ClientAuthMethod::client_secret_basic;
  } else if (has(auth_methods, "client_secret_post")) {
    p.token_endpoint_auth_method = ClientAuthMethod::client_secret_post;
  } else if (has(auth_methods, "none")) {
    p.token_endpoint_auth_method = ClientAuthMethod::none;
    p.requires_client_secret = false;
  } else if (has(auth_methods, "private_key_jwt")) {
    p.token_endpoint_auth_method = ClientAuthMethod::private_key_jwt;  // the app's secret is then its key
  } else {
    return make_error(ErrorCode::unsupported,
                      "the server supports none of the token endpoint authentication methods latchkey implements "
                      "(client_secret_basic, client_secret_post, none, private_key_jwt)");
  }

  auto iss = d.find("authorization_response_iss_parameter_supported");
  if (iss != d.end() && !iss->second.is<picojson::null>()) {
    if (!iss->second.is<bool>()) {
      return malformed("the discovery document's authorization_response_iss_parameter_supported is not a boolean");
    }
    p.authorization_response_iss_parameter_supported = iss->second.get<bool>();
  }

  std::vector<std::string> grants;
  LK_TRY(doc_strings("grant_types_supported", &grants, &present));
  if (present && has(grants, "client_credentials") && !has(grants, "authorization_code")) {
    p.auth_mode = AuthMode::client_credentials;
    p.authorization_endpoint.clear();
  }

  auto u = detail::parse_url(issuer);
  if (!u) return invalid("issuer: " + u.error().message);
  p.injection.hosts = {detail::origin_of(*u)};
  // OpenID userinfo names the account (its `sub` is always there) when the token may go there.
  if (!p.userinfo_endpoint.empty() && origin_allowed(p.injection, p.userinfo_endpoint)) {
    p.identity = Identity{p.userinfo_endpoint, "sub", {}};
  }
  LK_TRY(validate_provider(p));
  return p;
}

}  // namespace latchkey
