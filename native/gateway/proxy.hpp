// ANY /v1/proxy/{provider}/{path...}: the caller's connection signs the request and it goes to
// the provider's api_base_url. Bodies are streamed both ways when the server hands over streams.
#pragma once

#include <string>

#include "api.hpp"
#include "target.hpp"

namespace latchkey::gateway {

/// Proxies `req` for `principal` (already authenticated). The caller's Authorization, cookies,
/// hop-by-hop headers and X-Latchkey-* never go upstream; "." and ".." segments (also encoded)
/// and backslashes are refused. An upstream 401 refreshes once and retries when the body can be
/// sent again (it was small enough to be held: see kReplayableBody in proxy.cpp).
ApiResponse proxy(native::Host& host, Metrics& metrics, const ApiRequest& req, const Target& t,
                  const std::string& principal);

}  // namespace latchkey::gateway
