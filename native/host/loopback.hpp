// RFC 8252 §7.3 loopback redirect: a one-shot HTTP listener on 127.0.0.1 that waits for the
// provider to send the browser back with the authorization response.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "latchkey/result.hpp"

namespace latchkey::native {

struct CallbackPage {
  int status = 200;
  std::string html;
};

class LoopbackListener {
 public:
  /// Listens on 127.0.0.1:`port` (0: an ephemeral port). invalid_request if the port is taken.
  static Result<std::unique_ptr<LoopbackListener>> listen(int port);
  ~LoopbackListener();

  int port() const { return port_; }
  /// http://127.0.0.1:PORT/oauth/callback
  std::string redirect_uri() const;

  /// Serves requests until one GET /oauth/callback carries `state` (or, for OAuth 1.0a, that
  /// `oauth_token`); its query goes to
  /// `complete`, whose page is shown in the browser, and wait() returns. Other paths get 404 and
  /// callbacks with another (or no) state get an explanatory 400 page: neither ends the wait.
  /// invalid_request "timed out" after `timeout_ms`.
  Status wait(const std::string& state, std::int64_t timeout_ms,
              const std::function<CallbackPage(const std::string& query)>& complete);

 private:
  LoopbackListener() = default;
  int fd_ = -1;
  int port_ = 0;
};

/// Text made safe to place in HTML element content or attribute values.
std::string escape_html(const std::string& s);

/// A small self-contained HTML page (no external resources) for the browser tab.
std::string callback_html(bool ok, const std::string& title, const std::string& detail);

}  // namespace latchkey::native
