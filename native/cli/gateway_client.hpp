// The CLI's side of latchkeyd for providers in managed mode: where the gateway is and which API
// key to use (from the environment only, never argv), and calls that turn every way the gateway
// can fail into one Error with a sentence saying what to do.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "http/https_client.hpp"
#include "latchkey/engine.hpp"
#include "latchkey/json.hpp"

namespace latchkey::cli {

struct GatewaySettings {
  std::string url;         ///< LATCHKEY_GATEWAY_URL without a trailing slash.
  std::string api_key;     ///< Sent only as the Authorization header; never printed.
  std::string key_source;  ///< Where the key came from, for messages ("LATCHKEY_API_KEY").
};

/// Reads LATCHKEY_GATEWAY_URL and LATCHKEY_API_KEY or LATCHKEY_API_KEY_FILE (a file only its owner
/// may read). `provider` is named in the messages: invalid_request saying exactly what to set.
Result<GatewaySettings> gateway_settings_from_env(const std::string& provider);

class GatewayClient {
 public:
  static Result<std::unique_ptr<GatewayClient>> create(GatewaySettings settings, const std::string& ca_file);

  /// One JSON API call (`path` starts with "/v1/"): the parsed body of a 2xx answer, or the error
  /// the gateway reported, or why its answer could not be had or understood.
  Result<JsonValue> call(const std::string& method, const std::string& path, const std::string& body = {});

  /// A request through the gateway's proxy, answered as it came (the upstream's status passes
  /// through); only a failure to reach the gateway is an Error.
  Result<HttpResponse> proxy(HttpRequest request);

  /// The error in `r` if the gateway made it itself (bad key, no connection, upstream unreachable),
  /// as opposed to the upstream API's own answer passed through.
  std::optional<Error> own_error(const HttpResponse& r) const;

  const std::string& url() const { return settings_.url; }

 private:
  GatewayClient() = default;
  Result<HttpResponse> send(HttpRequest request);
  Error error_from(const HttpResponse& r) const;
  GatewaySettings settings_;
  std::unique_ptr<native::HttpsClient> http_;
};

/// "/v1/connections/{provider}/{account}" with each part percent-encoded, as the gateway expects.
std::string connection_path(const std::string& provider, const std::string& account);

}  // namespace latchkey::cli
