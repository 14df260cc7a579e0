// Naming a new connection's account: ask the provider who signed in (its identity endpoint), so
// several accounts of one provider get distinct names. Shared by the grants that have a user.
//
// A resource-bound token (RFC 8707: an MCP server's) goes to its resource and nowhere else: the
// authorization server's userinfo would refuse it anyway, and the account silently became
// "default". Such accounts are named from the ID token the token endpoint sent with it, else
// after the resource's host; an identity endpoint is asked only when it is the resource's own.
#include "headers.hpp"
#include "crypto.hpp"
#include "json.hpp"
#include "ops.hpp"
#include "origin.hpp"
#include "url.hpp"

namespace latchkey::detail {
namespace {

// The name ends up in store keys, terminals and logs: printable text of a sane length only.
bool printable_name(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 200;
  for (unsigned char c : name) ok = ok && c >= 0x20 && c != 0x7f;
  return ok;
}

/// The ID token's `sub` when it came from this provider's issuer, else "". The token arrived
/// straight from the token endpoint over TLS, so its issuer is checked in place of its signature
/// (OpenID Connect Core §3.1.3.7); it only names the account, it proves nothing else here.
std::string id_token_subject(const Provider& provider, const std::string& id_token) {
  if (id_token.empty() || provider.issuer.empty()) return "";
  auto first = id_token.find('.');
  auto second = first == std::string::npos ? first : id_token.find('.', first + 1);
  if (second == std::string::npos) return "";
  auto payload = base64url_decode(std::string_view(id_token).substr(first + 1, second - first - 1));
  if (!payload) return "";
  auto doc = json::parse(*payload, "the ID token");
  if (!doc || !doc->is<json::Object>()) return "";
  const json::Object& claims = doc->get<json::Object>();
  const std::string* iss = json::get_string(claims, "iss");
  const std::string* sub = json::get_string(claims, "sub");
  if (!iss || *iss != provider.issuer || !sub || !printable_name(*sub)) return "";
  return *sub;
}

/// The resource's host (and port, when it names one): a name the user recognises.
std::string resource_host(const Provider& provider) {
  auto u = parse_url(provider.resource);
  if (!u) return "default";
  return u->port ? u->host + ":" + std::to_string(u->port) : u->host;
}

/// Whether two URLs have one origin (scheme, host and port); false if either is no URL.
bool same_origin(const std::string& a, const std::string& b) {
  auto x = parse_url(a), y = parse_url(b);
  return x && y && origin_of(*x) == origin_of(*y);
}

/// Asks the identity endpoint with the token; `fallback` when it cannot say.
void ask_identity(OperationBase& op, const Provider& provider, const std::string& access_token, std::string fallback,
                  std::function<void(std::string)> then, const std::function<bool(HttpRequest&)>& sign) {
  HttpRequest req;
  req.url = provider.identity->url;
  req.headers = provider.identity->headers;
  add_missing_headers(req.headers, provider.api_headers);
  req.headers.emplace_back("Accept", "application/json");
  const Injection& inj = provider.injection;
  if (sign) {
    if (!sign(req)) return then(fallback);
  } else if (!inj.query_param.empty()) {
    req.url = append_query(req.url, {{inj.query_param, access_token}});
  } else {
    req.headers.emplace_back(inj.header.empty() ? "Authorization" : inj.header, inj.prefix + access_token);
  }
  req.timeout_ms = 10000;
  std::string path = provider.identity->account_path;
  Steps::http(op, std::move(req), [path, fallback, then](Result<HttpResponse> r) {
    if (!r || r->status != 200) return then(fallback);
    auto doc = json::parse(r->body, "the identity response");
    if (!doc || !doc->is<json::Object>()) return then(fallback);
    const json::Value* v = json::find_path(doc->get<json::Object>(), path);
    std::string name;
    if (v && v->is<std::string>()) name = v->get<std::string>();
    else if (v && v->is<std::int64_t>()) name = std::to_string(v->get<std::int64_t>());
    then(printable_name(name) ? name : fallback);
  });
}

}  // namespace

void identify_account(OperationBase& op, const Provider& provider, const TokenSet& tokens,
                      std::function<void(std::string)> then, const std::function<bool(HttpRequest&)>& sign) {
  // The token only goes where the provider's injection rules allow, identity included.
  bool may_ask = provider.identity && origin_allowed(provider.injection, provider.identity->url);
  std::string fallback = "default";
  if (!provider.resource.empty()) {
    fallback = id_token_subject(provider, tokens.id_token);
    if (fallback.empty()) fallback = resource_host(provider);
    // Only the resource itself may see its token: an identity endpoint elsewhere is never asked.
    may_ask = may_ask && same_origin(provider.identity->url, provider.resource);
  }
  if (!may_ask) return then(fallback);
  ask_identity(op, provider, tokens.access_token, std::move(fallback), std::move(then), sign);
}

}  // namespace latchkey::detail
