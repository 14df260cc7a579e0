// Who is really asking, when latchkeyd sits behind a reverse proxy: X-Forwarded-For, -Proto and
// -Host are believed only from the addresses the operator named (--trusted-proxy CIDR), since any
// client can send them. The answer feeds the key throttle, the access log, the Host check and
// the callback URL, so a forged header from an untrusted peer changes none of those.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "latchkey/result.hpp"

namespace latchkey::gateway {

struct ApiConfig;
struct ApiRequest;

/// An address range, "10.0.0.0/8", "::1/128" or a bare address (the whole length).
struct Cidr {
  std::array<unsigned char, 16> bytes{};  ///< IPv4 as v4-mapped IPv6.
  int prefix = 128;                       ///< In bits of the 128-bit form.
};

/// invalid_request naming `text` when it is not ADDRESS[/BITS].
Result<Cidr> parse_cidr(const std::string& text);

/// Whether `address` (as a socket prints it: "127.0.0.1", "::1", "::ffff:10.0.0.1") lies in one
/// of `ranges`. False for anything that does not parse.
bool in_ranges(const std::vector<Cidr>& ranges, std::string_view address);

/// Sets `req`'s client_address, client (what the key throttle counts: throttle_client of it),
/// scheme and host from `peer` (the socket's address), the listener (https when config.tls) and
/// the request's headers. From a trusted peer, the client is the right-most
/// X-Forwarded-For address that is not itself a trusted proxy (what a chain of our own proxies
/// appended; anything left of it is whatever the client claimed), and X-Forwarded-Proto
/// ("http"|"https") and X-Forwarded-Host replace the listener's scheme and the Host header. From
/// any other peer those headers are ignored.
void resolve_origin(const ApiConfig& config, const std::string& peer, ApiRequest* req);

}  // namespace latchkey::gateway
