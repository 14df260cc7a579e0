// The verbs for a provider in managed mode: the gateway's engine, app credentials and callback do
// the work; output and exit codes are the local verbs' own (output.hpp).
#pragma once

#include <string>
#include <vector>

#include "gateway_client.hpp"
#include "output.hpp"

namespace latchkey::cli::managed {

/// Authorization code: asks the gateway for the link, prints it (and opens a browser), then polls
/// the gateway until its callback stored the connection or `timeout_s` passed. Client
/// credentials: one call. Prints like the local connect; returns the exit code.
int connect(GatewayClient& gw, const ProviderInfo& info, const std::vector<std::string>& scopes,
            const std::string& account, bool open_browser, int timeout_s, bool json);

/// The caller's connections at the gateway (the API key's principal).
Result<std::vector<ConnectionInfo>> list(GatewayClient& gw);
/// An empty `account` means the only connection to `provider` (as locally).
Result<ConnectionInfo> status(GatewayClient& gw, const std::string& provider, const std::string& account);
Result<AccessToken> token(GatewayClient& gw, const std::string& provider, const std::string& account);
Result<DisconnectResult> disconnect(GatewayClient& gw, const std::string& provider, const std::string& account,
                                    bool revoke);

/// Sends `request` (its url a path under the provider's API base URL, or a full URL under it)
/// through the gateway's proxy and prints the answer as the local `request` does (`verbose`: the
/// request to the gateway and its answer on stderr, the API key hidden).
int request(GatewayClient& gw, const ProviderInfo& info, const std::string& account, HttpRequest request,
            const RequestOutput& out, bool verbose);
/// The provider's ping request through the proxy, printed as the local `ping`.
int ping(GatewayClient& gw, const ProviderInfo& info, const std::string& account, bool json);

}  // namespace latchkey::cli::managed
