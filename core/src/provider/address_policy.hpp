// Where a URL from untrusted metadata may point. Discovery (an issuer's RFC 8414 / OpenID
// metadata, an MCP server's RFC 9728 metadata, a registration answer) names URLs latchkey will
// later send credentials to; a hostile or compromised server could name the host's own network
// (a cloud metadata service at 169.254.169.254, an admin port on 127.0.0.1). Both discoveries
// hold every URL they fetch or save to this one policy.
#pragma once

#include <string_view>

#include "latchkey/provider.hpp"
#include "latchkey/result.hpp"

namespace latchkey::detail {

/// True for host literals in loopback, private, link-local, CGNAT, multicast, reserved and
/// unspecified ranges (IPv4 and IPv6, including IPv4-mapped IPv6), for localhost and *.localhost,
/// and for numeric hosts that are not a canonical dotted quad ("2130706433", "0x7f.1", "0177.0.0.1"),
/// which resolvers would read as addresses. Host names are not resolved: that is the host's job.
bool is_private_host(std::string_view host);

/// A URL taken from (or for) untrusted metadata: https (http only to loopback, which is private),
/// no fragment, and — unless `allow_private` — no private host literal. `what` names it in errors
/// (invalid_request, naming the URL and the option that allows it).
Status check_metadata_url(std::string_view url, const char* what, bool allow_private);

/// check_metadata_url for every URL a discovered provider would save (issuer, token, revocation,
/// userinfo, device, PAR endpoints, ...): the first one that fails, named by its field.
Status check_discovered_endpoints(const Provider& provider, bool allow_private);

}  // namespace latchkey::detail
