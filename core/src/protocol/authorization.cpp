#include "authorization.hpp"

#include <set>

#include "client_assertion.hpp"
#include "crypto.hpp"
#include "json.hpp"
#include "url.hpp"

namespace latchkey::detail {
namespace {

bool is_security_param(const Provider& provider, const std::string& name) {
  static const char* kReserved[] = {"response_type", "client_id", "redirect_uri", "state", "scope",
                                    "code_challenge", "code_challenge_method", "client_secret", "code_verifier"};
  for (const char* r : kReserved) {
    if (name == r) return true;
  }
  // Only reserved where latchkey sets them: elsewhere a caller's own `resource` still passes.
  if (!provider.resource.empty() && name == "resource") return true;
  if (!provider.pushed_authorization_request_endpoint.empty() && name == "request_uri") return true;
  return name == provider.scope_param || name == provider.client_id_param;
}

}  // namespace

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == ',' || text[i] == ' ') {
      if (i > start) out.emplace_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

std::string join_scopes(const Provider& provider, const std::vector<std::string>& scopes) {
  std::string out;
  std::set<std::string> seen;
  for (const auto& s : scopes) {
    if (s.empty() || !seen.insert(s).second) continue;
    if (!out.empty()) out += provider.scope_separator;
    out += s;
  }
  return out;
}

Status add_extra_params(Params& params, const Params& provider_params, const Params& extra,
                        const std::function<bool(const std::string&)>& reserved) {
  Params merged = provider_params;
  for (const auto& [name, value] : extra) {
    if (reserved(name)) {
      return make_error(ErrorCode::invalid_request, "the authorization parameter '" + name +
                                                        "' is set by latchkey and cannot be overridden");
    }
    bool replaced = false;
    for (auto& p : merged) {
      if (p.first == name) {
        p.second = value;
        replaced = true;
      }
    }
    if (!replaced) merged.emplace_back(name, value);
  }
  for (auto& p : merged) {
    if (!reserved(p.first)) params.push_back(std::move(p));
  }
  return Ok{};
}

Result<Params> authorization_params(const Provider& provider, const AuthorizationUrlInput& in) {
  if (in.client_id.empty()) return make_error(ErrorCode::invalid_request, "the app has no client ID");
  if (auto s = check_endpoint(in.redirect_uri, "redirect_uri"); !s) return s.error();
  Params params = {{"response_type", "code"}, {provider.client_id_param, in.client_id}, {"redirect_uri", in.redirect_uri}};
  if (!in.scope.empty()) params.emplace_back(provider.scope_param, in.scope);
  params.emplace_back("state", in.state);
  if (!in.code_challenge.empty()) {
    params.emplace_back("code_challenge", in.code_challenge);
    params.emplace_back("code_challenge_method", "S256");
  }
  // RFC 8707: only for providers that name a resource, so other definitions keep their URLs.
  if (!provider.resource.empty()) params.emplace_back("resource", provider.resource);
  auto reserved = [&](const std::string& name) { return is_security_param(provider, name); };
  if (auto s = add_extra_params(params, provider.authorization_params, in.extra_params, reserved); !s) return s.error();
  return params;
}

Result<std::string> build_authorization_url(const Provider& provider, const AuthorizationUrlInput& in) {
  auto params = authorization_params(provider, in);
  if (!params) return params.error();
  return append_query(provider.authorization_endpoint, *params);
}

std::string pushed_authorization_url(const Provider& provider, const std::string& client_id,
                                     const std::string& request_uri) {
  return append_query(provider.authorization_endpoint, {{provider.client_id_param, client_id}, {"request_uri", request_uri}});
}

Result<CallbackParams> parse_callback(std::string_view callback) {
  std::string_view query = callback;
  auto q = query.find('?');
  if (q != std::string_view::npos) query = query.substr(q + 1);
  auto hash = query.find('#');
  if (hash != std::string_view::npos) query = query.substr(0, hash);
  auto params = decode_form(query);
  if (!params) {
    return make_error(ErrorCode::invalid_request, "the callback's query string is malformed: " + params.error().message);
  }
  CallbackParams out;
  struct Slot {
    const char* name;
    std::string* value;
    bool* present;
  };
  bool has_desc = false, has_uri = false;
  Slot slots[] = {{"state", &out.state, &out.has_state},
                  {"code", &out.code, &out.has_code},
                  {"error", &out.error, &out.has_error},
                  {"error_description", &out.error_description, &has_desc},
                  {"error_uri", &out.error_uri, &has_uri},
                  {"iss", &out.iss, &out.has_iss},
                  {"oauth_token", &out.oauth_token, &out.has_oauth_token},
                  {"oauth_verifier", &out.oauth_verifier, &out.has_oauth_verifier}};
  for (const auto& [name, value] : *params) {
    for (auto& slot : slots) {
      if (name != slot.name) continue;
      if (*slot.present) {
        return make_error(ErrorCode::invalid_request, std::string("the callback has more than one '") + slot.name +
                                                          "' parameter; refusing an ambiguous response");
      }
      *slot.present = true;
      *slot.value = value;
    }
  }
  out.all = std::move(*params);
  return out;
}

namespace {
/// `id_param` names the client identifier in the body (client_id, or the provider's own name).
void add_client_auth(ClientAuthMethod method, const ClientCredentials& client, const std::string& id_param, Params& body,
                     Params& headers) {
  switch (method) {
    case ClientAuthMethod::client_secret_basic:
      if (!client.client_secret.empty()) {
        std::string pair = form_encode(client.client_id) + ":" + form_encode(client.client_secret);
        headers.emplace_back("Authorization", "Basic " + base64_encode(pair));
      } else {
        body.emplace_back(id_param, client.client_id);
      }
      break;
    case ClientAuthMethod::client_secret_post:
    case ClientAuthMethod::signed_client_secret:  // Apple takes its signed secret in the body only
      body.emplace_back(id_param, client.client_id);
      if (!client.client_secret.empty()) body.emplace_back("client_secret", client.client_secret);
      break;
    case ClientAuthMethod::none:
      body.emplace_back(id_param, client.client_id);
      break;
    case ClientAuthMethod::private_key_jwt:
      // client_id is optional here (RFC 7521 §4.2) but lets servers find the key before parsing.
      body.emplace_back(id_param, client.client_id);
      body.emplace_back("client_assertion_type", kJwtBearerAssertionType);
      body.emplace_back("client_assertion", client.client_assertion);
      break;
  }
}
}  // namespace

namespace {
/// The one builder of token endpoint requests. `client` null: the client does not authenticate.
HttpRequest grant_request(const Provider& provider, const std::string& method, const std::string& endpoint,
                          const ClientCredentials* client, Params grant) {
  HttpRequest req;
  req.method = method;
  req.url = endpoint;
  req.follow_redirects = false;
  req.max_response_bytes = 1 << 20;
  req.headers.emplace_back("Accept", "application/json");
  for (const auto& h : provider.token_request_headers) req.headers.push_back(h);
  for (const auto& p : provider.token_params) grant.push_back(p);
  // RFC 8707 §2.2: grants (code, refresh, client credentials, device) name the resource too, so
  // the token's audience stays the resource; revocation and device requests have no grant_type.
  if (!provider.resource.empty() && find_param(grant, "grant_type") && !find_param(grant, "resource")) {
    grant.emplace_back("resource", provider.resource);
  }
  if (client) add_client_auth(client->method, *client, provider.client_id_param, grant, req.headers);
  if (method == "GET") {
    // Graph-style exchanges (Facebook, Instagram) take every parameter in the query.
    req.url += (req.url.find('?') == std::string::npos ? "?" : "&") + encode_form(grant);
  } else if (provider.token_exchange_body_format == BodyFormat::json) {
    json::Object o;
    for (const auto& [k, v] : grant) o[k] = json::Value(v);
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = json::serialize(json::Value(o));
  } else {
    req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    req.body = encode_form(grant);
  }
  return req;
}
}  // namespace

HttpRequest token_request(const Provider& provider, const std::string& endpoint, const ClientCredentials& client,
                          Params grant) {
  return grant_request(provider, "POST", endpoint, &client, std::move(grant));
}

HttpRequest styled_grant_request(const Provider& provider, const GrantStyle& style, const std::string& endpoint,
                                 const ClientCredentials& client, const std::string& token) {
  Params grant = {{"grant_type", style.grant_type}, {style.token_param, token}};
  for (const auto& p : style.params) grant.push_back(p);
  return grant_request(provider, style.method, endpoint, style.client_auth ? &client : nullptr, std::move(grant));
}

HttpRequest revocation_request(const Provider& provider, const ClientCredentials& client, const std::string& token,
                               const std::string& hint) {
  const std::string& endpoint = provider.revocation_endpoint;
  switch (provider.revocation_style) {
    case RevocationStyle::bearer: {
      HttpRequest req;
      req.method = "POST";
      req.url = endpoint;
      req.follow_redirects = false;
      req.max_response_bytes = 64 * 1024;
      req.headers.emplace_back("Accept", "application/json");
      for (const auto& h : provider.token_request_headers) req.headers.push_back(h);
      req.headers.emplace_back("Authorization", "Bearer " + token);
      return req;
    }
    case RevocationStyle::json: {
      Provider as_json = provider;
      as_json.token_exchange_body_format = BodyFormat::json;
      return token_request(as_json, endpoint, client, {{"token", token}});
    }
    case RevocationStyle::form:
      break;
  }
  return token_request(provider, endpoint, client, {{"token", token}, {"token_type_hint", hint}});
}

bool says_invalid_token(const HttpResponse& response) {
  if (response.status != 400 && response.status != 401) return false;
  auto doc = json::parse(response.body, "the revocation answer");
  if (!doc || !doc->is<json::Object>()) return false;
  const json::Object& o = doc->get<json::Object>();
  auto it = o.find("error");
  return it != o.end() && it->second.is<std::string>() && it->second.get<std::string>() == "invalid_token";
}

TokenResponseRules answer_rules(const Provider& provider, const std::optional<GrantStyle>& style) {
  TokenResponseRules rules = provider.token_response;
  if (style && style->root) rules.root = *style->root;
  return rules;
}

HttpRequest pushed_authorization_request(const Provider& provider, const ClientCredentials& client, Params params) {
  HttpRequest req;
  req.method = "POST";
  req.url = provider.pushed_authorization_request_endpoint;
  req.follow_redirects = false;
  req.max_response_bytes = 64 * 1024;
  req.headers.emplace_back("Accept", "application/json");
  // The authorization parameters carry client_id already; client authentication adds it again
  // wherever it needs one, so drop ours rather than send two.
  Params body;
  for (auto& p : params) {
    if (p.first != provider.client_id_param) body.push_back(std::move(p));
  }
  const bool basic = client.method == ClientAuthMethod::client_secret_basic && !client.client_secret.empty();
  if (basic) body.insert(body.begin() + 1, {provider.client_id_param, client.client_id});  // RFC 9126 §2.1 example keeps it
  add_client_auth(client.method, client, provider.client_id_param, body, req.headers);
  params = std::move(body);
  req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");  // RFC 9126 §2.1: always a form
  req.body = encode_form(params);
  return req;
}

}  // namespace latchkey::detail
