#include "discover_resource.hpp"

#include <array>
#include <cstdint>
#include <optional>

#include "json.hpp"
#include "provider_text.hpp"
#include "url.hpp"

namespace latchkey::detail {
namespace {

Error malformed(std::string message) { return make_error(ErrorCode::malformed_response, std::move(message)); }

/// A canonical dotted quad ("10.0.0.1": four decimal octets, no leading zeros).
std::optional<std::array<int, 4>> dotted_quad(std::string_view s) {
  std::array<int, 4> out{};
  std::size_t part = 0, digits = 0;
  int value = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '.') {
      if (digits == 0 || part > 3) return std::nullopt;
      out[part++] = value;
      digits = 0;
      value = 0;
      continue;
    }
    char c = s[i];
    if (c < '0' || c > '9') return std::nullopt;
    if (digits == 1 && value == 0) return std::nullopt;  // a leading zero reads as octal to some resolvers
    value = value * 10 + (c - '0');
    if (++digits > 3 || value > 255) return std::nullopt;
  }
  if (part != 4) return std::nullopt;
  return out;
}

bool private_v4(const std::array<int, 4>& a) {
  return a[0] == 0 || a[0] == 10 || a[0] == 127 || a[0] >= 224 ||  // this network, private, loopback, multicast/reserved
         (a[0] == 100 && a[1] >= 64 && a[1] < 128) ||                // CGNAT
         (a[0] == 169 && a[1] == 254) ||                             // link-local (cloud metadata services)
         (a[0] == 172 && a[1] >= 16 && a[1] < 32) || (a[0] == 192 && a[1] == 168) ||
         (a[0] == 192 && a[1] == 0 && a[2] == 0) ||                   // IETF protocol assignments
         (a[0] == 198 && (a[1] == 18 || a[1] == 19));                 // benchmarking
}

/// An IPv6 literal (without brackets) as 16 bytes; nullopt if it is not one.
std::optional<std::array<std::uint8_t, 16>> ipv6(std::string_view s) {
  std::array<std::uint8_t, 16> out{};
  std::vector<std::uint16_t> head, tail;
  bool gap = false;
  std::vector<std::uint16_t>* cur = &head;
  std::size_t i = 0;
  if (s.substr(0, 2) == "::") {
    gap = true;
    cur = &tail;
    i = 2;
  }
  while (i < s.size()) {
    std::size_t end = s.find(':', i);
    std::string_view group = s.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
    if (group.find('.') != std::string_view::npos) {  // a trailing IPv4 part
      if (end != std::string_view::npos) return std::nullopt;
      auto v4 = dotted_quad(group);
      if (!v4) return std::nullopt;
      cur->push_back(static_cast<std::uint16_t>((*v4)[0] << 8 | (*v4)[1]));
      cur->push_back(static_cast<std::uint16_t>((*v4)[2] << 8 | (*v4)[3]));
      break;
    }
    if (group.empty() || group.size() > 4) return std::nullopt;
    std::uint16_t v = 0;
    for (char c : group) {
      int d = hex_value(c);
      if (d < 0) return std::nullopt;
      v = static_cast<std::uint16_t>(v << 4 | d);
    }
    cur->push_back(v);
    if (end == std::string_view::npos) break;
    i = end + 1;
    if (i < s.size() && s[i] == ':') {
      if (gap) return std::nullopt;
      gap = true;
      cur = &tail;
      ++i;
    } else if (i == s.size()) {
      return std::nullopt;
    }
  }
  std::size_t groups = head.size() + tail.size();
  if (gap ? groups > 7 : groups != 8) return std::nullopt;
  for (std::size_t g = 0; g < head.size(); ++g) {
    out[2 * g] = static_cast<std::uint8_t>(head[g] >> 8);
    out[2 * g + 1] = static_cast<std::uint8_t>(head[g]);
  }
  for (std::size_t g = 0; g < tail.size(); ++g) {
    std::size_t at = 8 - tail.size() + g;
    out[2 * at] = static_cast<std::uint8_t>(tail[g] >> 8);
    out[2 * at + 1] = static_cast<std::uint8_t>(tail[g]);
  }
  return out;
}

bool private_v6(const std::array<std::uint8_t, 16>& a) {
  bool zero_prefix = true;
  for (int i = 0; i < 10; ++i) zero_prefix = zero_prefix && a[i] == 0;
  // ::ffff:a.b.c.d and the deprecated ::a.b.c.d reach IPv4 addresses: judge those.
  if (zero_prefix && ((a[10] == 0xff && a[11] == 0xff) || (a[10] == 0 && a[11] == 0))) {
    if (a[10] == 0 && a[12] == 0 && a[13] == 0 && a[14] == 0 && a[15] <= 1) return true;  // :: and ::1
    return private_v4({a[12], a[13], a[14], a[15]});
  }
  if (a[0] == 0x00 && a[1] == 0x64 && a[2] == 0xff && a[3] == 0x9b) {  // NAT64 64:ff9b::/96
    return private_v4({a[12], a[13], a[14], a[15]});
  }
  return (a[0] & 0xfe) == 0xfc ||                     // unique local fc00::/7
         (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ||  // link-local fe80::/10
         (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0) ||  // site-local fec0::/10 (deprecated)
         a[0] == 0xff ||                              // multicast
         (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8);  // documentation
}

}  // namespace

bool is_private_host(std::string_view host) {
  if (host.empty()) return true;
  if (host.front() == '[') {
    if (host.back() != ']') return true;
    std::string_view inner = host.substr(1, host.size() - 2);
    if (inner.find('%') != std::string_view::npos) return true;  // a zone id only makes sense on a local link
    auto a = ipv6(inner);
    return !a || private_v6(*a);
  }
  std::string_view name = host;
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name == "localhost" || ends_with(name, ".localhost")) return true;
  if (auto quad = dotted_quad(name)) return private_v4(*quad);
  // Not a canonical quad, yet its last label looks numeric ("2130706433", "0x7f.1", "127.1"):
  // inet_aton would take it as an address, and no real top-level domain is numeric.
  std::size_t dot = name.rfind('.');
  std::string_view last = dot == std::string_view::npos ? name : name.substr(dot + 1);
  return !last.empty() && last.front() >= '0' && last.front() <= '9';
}

Status check_metadata_url(std::string_view url, const char* what, bool allow_private) {
  if (auto s = check_endpoint(url, what); !s) return s;
  auto u = parse_url(url);
  if (!u) return u.error();
  if (!allow_private && is_private_host(u->host)) {
    return make_error(ErrorCode::invalid_request,
                      std::string(what) + " '" + clean(url, 200) +
                          "' is a loopback, private or reserved address; latchkey refuses it unless private "
                          "networks are allowed (--allow-private-network) — metadata must not steer requests "
                          "into your network");
  }
  return Ok{};
}

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
    // private_key_jwt would need a key latchkey never sent: a registered client cannot use it.
    auto method = client_auth_method_from(*m);
    if (!method || *method == ClientAuthMethod::private_key_jwt) {
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
