// Views of a Provider's fields for the code that checks or rewrites them all alike: its own
// validation and template resolution (provider_validation.cpp, provider_templates.cpp), and
// discovery, which holds the endpoints a server's metadata named to the same URL policy as the
// metadata itself.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "latchkey/provider.hpp"

namespace latchkey::detail {

/// Every URL-valued field, named as in the schema. P is Provider or const Provider.
template <class P>
auto url_fields(P& p) {
  using Ptr = decltype(&p.issuer);
  std::vector<std::pair<std::string, Ptr>> out = {
      {"authorization_endpoint", &p.authorization_endpoint},
      {"token_endpoint", &p.token_endpoint},
      {"request_token_endpoint", &p.request_token_endpoint},
      {"revocation_endpoint", &p.revocation_endpoint},
      {"userinfo_endpoint", &p.userinfo_endpoint},
      {"device_authorization_endpoint", &p.device_authorization_endpoint},
      {"pushed_authorization_request_endpoint", &p.pushed_authorization_request_endpoint},
      {"resource", &p.resource},
      {"issuer", &p.issuer},
      {"api_base_url", &p.api_base_url},
      {"refresh_endpoint", &p.refresh_endpoint},
      {"docs_url", &p.docs_url},
  };
  if (p.ping) out.emplace_back("ping.url", &p.ping->url);
  if (p.identity) out.emplace_back("identity.url", &p.identity->url);
  if (p.metadata) out.emplace_back("metadata.url", &p.metadata->url);
  if (p.refresh) out.emplace_back("refresh.url", &p.refresh->url);
  if (p.long_lived_exchange) out.emplace_back("long_lived_exchange.url", &p.long_lived_exchange->url);
  return out;
}

/// Every map of extra grant parameters, named as in the schema, with whether it is sent only
/// once the code has been exchanged. P is Provider or const Provider.
template <class P>
auto grant_param_fields(P& p) {
  using Ptr = decltype(&p.token_params);
  struct Field {
    std::string name;
    Ptr params;
  };
  std::vector<Field> out = {{"token_params", &p.token_params}, {"exchange_params", &p.exchange_params}};
  if (p.refresh) out.push_back({"refresh.params", &p.refresh->params});
  if (p.long_lived_exchange) out.push_back({"long_lived_exchange.params", &p.long_lived_exchange->params});
  return out;
}

}  // namespace latchkey::detail
