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
  return out;
}

}  // namespace latchkey::detail
