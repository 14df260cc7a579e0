// The Host header check for the routes a browser page could reach without a key (/healthz,
// /metrics): a page on attacker.example whose name is re-pointed at 127.0.0.1 (DNS rebinding)
// sends "Host: attacker.example", which is none of the gateway's own addresses.
#pragma once

#include <string>
#include <string_view>

namespace latchkey::gateway {

/// Whether `host_header` names this gateway: `public_host` (host[:port], as the gateway is reached
/// from outside: --public-url's; empty: none), the listen address `listen` ("127.0.0.1:8787",
/// "[::1]:8787"), "localhost:<port>" when listening on loopback, and — when listening on every
/// address (0.0.0.0, [::]) — any IP literal with the listen port (an IP literal is never what a
/// rebinding page sends: that needs a name). Case-insensitive; an empty header never matches.
bool host_names_gateway(std::string_view host_header, std::string_view listen,
                        std::string_view public_host = {});

}  // namespace latchkey::gateway
