// ANY /v1/proxy/{provider}/{path...}: the caller's connection signs the request and it goes to
// the provider's api_base_url. Bodies are streamed both ways when the server hands over streams.
#pragma once

#include <string>

#include "api.hpp"
#include "target.hpp"

namespace latchkey::gateway {

/// The proxy's route template, as metrics and the access log name it.
inline constexpr char kProxyRoute[] = "/v1/proxy/{provider}/*";

/// Request bodies up to this size are read before sending, so a 401 can be retried with them.
constexpr std::uint64_t kReplayableBody = 64 * 1024;

/// A proxied request before signing: the caller's connection (the account from
/// X-Latchkey-Account, else "" for the only one) and the request for it, whose URL is a path
/// under the provider's api_base_url and whose headers are the ones that may go upstream.
struct ProxyPlan {
  ConnectionRef ref;
  HttpRequest request;
};

/// invalid_request for a path proxy_segment_refusal refuses (dot segments, also as "..;" or
/// encoded; backslashes; NULs; bytes that are not UTF-8, such as overlong %c0%ae), saying why.
Result<ProxyPlan> plan_proxy(const ApiRequest& req, const Target& t, const std::string& principal);

/// plan_proxy for a target not split yet: also invalid_request when it is not
/// /v1/proxy/{provider}[/...] (split_target's rules). The provider is the plan's ref.provider.
Result<ProxyPlan> plan_proxy(const ApiRequest& req, const std::string& principal);

/// Proxies `req` for `principal` (already authenticated). The caller's Authorization, cookies,
/// hop-by-hop headers and X-Latchkey-* never go upstream; paths proxy_segment_refusal refuses
/// (proxy_path.hpp) are 400. An upstream 401 refreshes once and retries when the body can be
/// sent again (it was small enough to be held: see kReplayableBody above). With
/// req.refused_access_token (the event loop saw the upstream's 401 to that token already) the
/// token is replaced before the only attempt, unless a peer already replaced it, and the answer
/// goes back as it is.
ApiResponse proxy(native::Host& host, Metrics& metrics, const ApiRequest& req, const Target& t,
                  const std::string& principal);

}  // namespace latchkey::gateway
