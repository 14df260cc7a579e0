#include "discover_resource.hpp"

#include "json.hpp"
#include "text.hpp"
#include "url.hpp"

namespace latchkey::detail {
namespace {

Error malformed(std::string message) { return make_error(ErrorCode::malformed_response, std::move(message)); }

}  // namespace

std::string well_known_url(const std::string& url, std::string_view name) {
  auto scheme_end = url.find("://");
  auto path_start = url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  std::string tail = path_start == std::string::npos ? std::string() : url.substr(path_start);
  std::string origin = path_start == std::string::npos ? url : url.substr(0, path_start);
  auto q = tail.find('?');
  if (q != std::string::npos) tail.resize(q);  // the query is not part of the well-known path
  if (tail == "/") tail.clear();
  return origin + "/.well-known/" + std::string(name) + tail;
}

std::string openid_configuration_url(const std::string& issuer) {
  std::string base = issuer;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/.well-known/openid-configuration";
}

std::string resource_metadata_from_challenge(std::string_view header) {
  // auth-param = token "=" ( token / quoted-string ); find resource_metadata as a whole name.
  const std::string_view name = "resource_metadata";
  std::size_t at = 0;
  while ((at = header.find(name, at)) != std::string_view::npos) {
    bool starts = at == 0 || header[at - 1] == ' ' || header[at - 1] == ',' || header[at - 1] == '\t';
    std::size_t i = at + name.size();
    at = i;
    if (!starts) continue;
    while (i < header.size() && (header[i] == ' ' || header[i] == '\t')) ++i;
    if (i >= header.size() || header[i] != '=') continue;
    ++i;
    while (i < header.size() && (header[i] == ' ' || header[i] == '\t')) ++i;
    std::string out;
    if (i < header.size() && header[i] == '"') {
      for (++i; i < header.size() && header[i] != '"'; ++i) {
        if (header[i] == '\\' && i + 1 < header.size()) ++i;
        out.push_back(header[i]);
      }
      if (i >= header.size()) return "";  // unterminated
    } else {
      while (i < header.size() && header[i] != ',' && header[i] != ' ') out.push_back(header[i++]);
    }
    return out;
  }
  return "";
}

Result<ResourceMetadata> parse_resource_metadata(const std::string& document, const std::string& expected) {
  if (document.size() > kMaxMetadataBytes) return malformed("the protected resource metadata is too large");
  auto parsed = json::parse(document, "the protected resource metadata");
  if (!parsed) return malformed(parsed.error().message);
  if (!parsed->is<json::Object>()) return malformed("the protected resource metadata is not a JSON object");
  const json::Object& d = parsed->get<json::Object>();
  ResourceMetadata out;
  const std::string* resource = json::get_string(d, "resource");
  if (!resource) return malformed("the protected resource metadata has no resource");
  // RFC 9728 §3.3: exactly the URL asked — another value may be a server speaking for someone else.
  if (*resource != expected) {
    return make_error(ErrorCode::invalid_request,
                      "resource mismatch: the metadata describes '" + clean(*resource, 200) + "' but was fetched for '" +
                          clean(expected, 200) + "'; they must be identical (RFC 9728 §3.3), check the server URL");
  }
  out.resource = *resource;
  const json::Array* servers = json::get_array(d, "authorization_servers");
  if (!servers) return malformed("the protected resource metadata names no authorization_servers");
  for (const auto& v : *servers) {
    if (!v.is<std::string>()) return malformed("the protected resource metadata's authorization_servers has a non-string");
    out.authorization_servers.push_back(v.get<std::string>());
  }
  if (out.authorization_servers.empty()) return malformed("the protected resource metadata's authorization_servers is empty");
  if (const json::Array* scopes = json::get_array(d, "scopes_supported")) {
    for (const auto& v : *scopes) {
      if (!v.is<std::string>()) continue;
      const std::string& s = v.get<std::string>();
      bool ok = !s.empty() && s.size() <= 200;
      for (char c : s) ok = ok && c > 0x20 && c < 0x7F && c != '"' && c != '\\';
      if (ok) out.scopes_supported.push_back(s);
    }
  }
  if (const std::string* name = json::get_string(d, "resource_name")) out.resource_name = clean(*name, 100);
  return out;
}

Result<std::string> registration_endpoint_of(const std::string& document) {
  auto parsed = json::parse(document, "the authorization server metadata");
  if (!parsed) return malformed(parsed.error().message);
  if (!parsed->is<json::Object>()) return malformed("the authorization server metadata is not a JSON object");
  const json::Object& d = parsed->get<json::Object>();
  auto it = d.find("registration_endpoint");
  if (it == d.end() || it->second.is<picojson::null>()) return std::string();
  if (!it->second.is<std::string>()) return malformed("the authorization server metadata's registration_endpoint is not a string");
  return it->second.get<std::string>();
}

HttpRequest registration_request(const RegistrationInput& in) {
  json::Object o;
  o["client_name"] = json::str(in.client_name);
  o["redirect_uris"] = json::Value(json::Array{json::str(in.redirect_uri)});
  o["grant_types"] = json::Value(json::Array{json::str("authorization_code"), json::str("refresh_token")});
  o["response_types"] = json::Value(json::Array{json::str("code")});
  o["token_endpoint_auth_method"] = json::str(to_string(in.method));
  // RFC 8252 §8.4: a native app, so the server accepts its loopback redirect on any port.
  o["application_type"] = json::str("native");
  HttpRequest req;
  req.method = "POST";
  req.url = in.endpoint;
  req.follow_redirects = false;
  req.max_response_bytes = kMaxMetadataBytes;
  req.headers.emplace_back("Accept", "application/json");
  req.headers.emplace_back("Content-Type", "application/json");
  req.body = json::serialize(json::Value(o));
  return req;
}

Result<RegisteredClient> parse_registration_response(const HttpResponse& r, ClientAuthMethod asked) {
  const std::string status = " (HTTP " + std::to_string(r.status) + ")";
  if (r.body.size() > kMaxMetadataBytes) return malformed("the client registration answer is too large" + status);
  auto parsed = json::parse(r.body, "the client registration answer");
  const json::Object* o = parsed && parsed->is<json::Object>() ? &parsed->get<json::Object>() : nullptr;
  if (r.status != 201 && r.status != 200) {
    Error e = make_error(ErrorCode::provider_error, "");
    e.http_status = r.status;
    const std::string* code = o ? json::get_string(*o, "error") : nullptr;
    const std::string* desc = o ? json::get_string(*o, "error_description") : nullptr;
    if (code) e.provider_code = clean(*code, 200);
    if (desc) e.provider_description = clean(*desc);
    e.message = "the authorization server refused to register latchkey as a client" + status +
                (code ? ": " + e.provider_code : std::string()) + (desc ? " (" + e.provider_description + ")" : "") +
                (r.status == 401 || r.status == 403
                     ? "; it does not allow open registration — register a client there and use `latchkey apps upsert`"
                     : "");
    return e;
  }
  if (!o) return malformed("the client registration answer is not a JSON object" + status);
  RegisteredClient out;
  const std::string* id = json::get_string(*o, "client_id");
  if (!id || id->empty() || id->size() > 1024) return malformed("the client registration answer has no usable client_id");
  for (char c : *id) {
    if (c < 0x20 || c == 0x7F) return malformed("the client registration answer's client_id has control characters");
  }
  out.client_id = *id;
  if (const std::string* secret = json::get_string(*o, "client_secret")) out.client_secret = *secret;
  out.method = asked;
  if (const std::string* m = json::get_string(*o, "token_endpoint_auth_method")) {
    // private_key_jwt would need a key latchkey never sent: a registered client cannot use it;
    // signed_client_secret is latchkey's own name, which no RFC 7591 server answers with.
    auto method = client_auth_method_from(*m);
    if (!method || *method == ClientAuthMethod::private_key_jwt || *method == ClientAuthMethod::signed_client_secret) {
      return make_error(ErrorCode::unsupported, "the server registered latchkey for token endpoint authentication '" +
                                                    clean(*m, 100) + "', which latchkey does not implement");
    }
    out.method = *method;
  }
  if (out.method != ClientAuthMethod::none && out.client_secret.empty()) {
    return malformed("the client registration answer has no client_secret for " + std::string(to_string(out.method)));
  }
  if (auto it = o->find("registration_access_token"); it != o->end() && !it->second.is<picojson::null>()) {
    // A bearer token for RFC 7592 requests: VSCHAR-sized, like any token sent in a header.
    const std::string* token = it->second.is<std::string>() ? &it->second.get<std::string>() : nullptr;
    if (!token || token->empty() || token->size() > 4096 || !is_vschar(*token)) {
      return malformed("the client registration answer's registration_access_token is not a token");
    }
    out.registration_access_token = *token;
  }
  if (auto it = o->find("registration_client_uri"); it != o->end() && !it->second.is<picojson::null>()) {
    if (!it->second.is<std::string>()) return malformed("the client registration answer's registration_client_uri is not a string");
    out.registration_client_uri = it->second.get<std::string>();
  }
  // Seconds since the epoch, 0 for never (§3.2.1); only about a secret, so ignored without one.
  if (auto it = o->find("client_secret_expires_at"); it != o->end() && !it->second.is<picojson::null>() &&
                                                      !out.client_secret.empty()) {
    // Up to the year 9999: beyond that it is not a date, and ms must not overflow.
    constexpr std::int64_t kMaxSeconds = 253402300799;
    const bool whole = it->second.is<std::int64_t>();
    const std::int64_t s = whole ? it->second.get<std::int64_t>() : -1;
    if (!whole || s < 0 || s > kMaxSeconds) {
      return malformed("the client registration answer's client_secret_expires_at is not a time in seconds (0 for never)");
    }
    out.client_secret_expires_at_ms = s * 1000;
  }
  return out;
}

}  // namespace latchkey::detail
