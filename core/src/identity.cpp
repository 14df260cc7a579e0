// Naming a new connection's account: ask the provider who signed in (its identity endpoint), so
// several accounts of one provider get distinct names. Shared by the grants that have a user.
#include "json.hpp"
#include "ops.hpp"
#include "url.hpp"

namespace latchkey::detail {

void identify_account(OperationBase& op, const Provider& provider, const std::string& access_token,
                      std::function<void(std::string)> then, const std::function<bool(HttpRequest&)>& sign) {
  if (!provider.identity) return then("default");
  auto url = parse_url(provider.identity->url);
  // The token only goes where the provider's injection rules allow, identity included.
  if (!url || !host_allowed(provider.injection, url->host)) return then("default");
  HttpRequest req;
  req.url = provider.identity->url;
  req.headers = provider.identity->headers;
  req.headers.emplace_back("Accept", "application/json");
  const Injection& inj = provider.injection;
  if (sign) {
    if (!sign(req)) return then("default");
  } else if (!inj.query_param.empty()) {
    req.url = append_query(req.url, {{inj.query_param, access_token}});
  } else {
    req.headers.emplace_back(inj.header.empty() ? "Authorization" : inj.header, inj.prefix + access_token);
  }
  req.timeout_ms = 10000;
  std::string path = provider.identity->account_path;
  Steps::http(op, std::move(req), [path, then](Result<HttpResponse> r) {
    if (!r || r->status != 200) return then("default");
    auto doc = json::parse(r->body, "the identity response");
    if (!doc || !doc->is<json::Object>()) return then("default");
    const json::Value* v = json::find_path(doc->get<json::Object>(), path);
    std::string name;
    if (v && v->is<std::string>()) name = v->get<std::string>();
    else if (v && v->is<std::int64_t>()) name = std::to_string(v->get<std::int64_t>());
    // The name ends up in store keys, terminals and logs: printable text of a sane length only.
    bool printable = !name.empty() && name.size() <= 200;
    for (unsigned char c : name) printable = printable && c >= 0x20 && c != 0x7f;
    then(printable ? name : "default");
  });
}

}  // namespace latchkey::detail
