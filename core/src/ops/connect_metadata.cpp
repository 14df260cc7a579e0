// The metadata request of a connect (Mailchimp's data centre, DocuSign's base URI): the one
// request a new token makes before it is stored, for the template values learned from it.
#include "headers.hpp"
#include "json.hpp"
#include "ops.hpp"
#include "steps.hpp"
#include "url.hpp"

namespace latchkey::detail {

void fetch_connect_metadata(OperationBase& op, const Provider& provider, const std::string& access_token,
                            std::function<void(Result<json::Object>)> then) {
  // The token only goes where the provider's injection rules allow, this request included.
  if (!provider.metadata || !origin_allowed(provider.injection, provider.metadata->url)) {
    return then(make_error(ErrorCode::invalid_request,
                           "the metadata request of '" + provider.key + "' is not on an origin its tokens may go to "
                           "(injection.hosts); correct the provider definition"));
  }
  HttpRequest req;
  req.method = provider.metadata->method;
  req.url = provider.metadata->url;
  req.headers = provider.metadata->headers;
  add_missing_headers(req.headers, provider.api_headers);
  req.headers.emplace_back("Accept", "application/json");
  const Injection& inj = provider.injection;
  if (!inj.query_param.empty()) {
    req.url = append_query(req.url, {{inj.query_param, access_token}});
  } else {
    req.headers.emplace_back(inj.header.empty() ? "Authorization" : inj.header, inj.prefix + access_token);
  }
  req.timeout_ms = 10000;
  Steps::http(op, std::move(req), [then, key = provider.key](Result<HttpResponse> r) {
    if (!r) return then(r.error());
    if (r->status != 200) {
      return then(make_error(ErrorCode::provider_error,
                             "the metadata request of '" + key + "' answered HTTP " + std::to_string(r->status) +
                                 "; nothing was stored: start the connection again"));
    }
    auto doc = json::parse(r->body, "the metadata answer");
    if (!doc || !doc->is<json::Object>()) {
      return then(make_error(ErrorCode::malformed_response,
                             "the metadata answer of '" + key + "' is not a JSON object; nothing was stored"));
    }
    then(std::move(doc->get<json::Object>()));
  });
}

}  // namespace latchkey::detail
