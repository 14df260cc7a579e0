// The native host: the core's engine with its effects answered by SQLite, mbedTLS HTTPS, the
// system clock and the OS random source — the driver loop the CLI runs every operation through.
#pragma once

#include <memory>
#include <optional>
#include <vector>
#include <string>

#include "http/https_client.hpp"
#include "latchkey/engine.hpp"
#include "store/sqlite_store.hpp"

namespace latchkey::native {

struct HostOptions {
  std::string store_path;  ///< Empty: default_store_path().
  std::string ca_file;     ///< Empty: LATCHKEY_CA_FILE, else the system bundle.
};

class Host {
 public:
  /// Opens the store and its master key (checking the key matches the store) and seeds an engine.
  static Result<std::unique_ptr<Host>> open(const HostOptions& options);

  Engine& engine() { return *engine_; }
  const std::string& store_path() const { return store_path_; }

  /// Runs an operation to completion, performing its effects.
  template <class T>
  Result<T> run(std::unique_ptr<Operation<T>> op) {
    const Effect* e = op->start(now_ms());
    while (e) e = op->resume(perform(*e), now_ms());
    return op->result();
  }

  /// Sends `request` as the connection `ref` by running the core's send_authorized (the token
  /// injected per the provider's rules, other hosts refused; a 401 refreshes once, single-flight,
  /// and retries). Errors are the core's (no connection, host not allowed, refresh failed); a
  /// failure to reach the server comes back as the result's transport_error. `refreshed` says
  /// whether a 401 made it refresh.
  Result<EffectResult> authorized_request(const ConnectionRef& ref, const HttpRequest& request,
                                          bool* refreshed = nullptr);

  /// The provider's declared cheap authenticated call (its `ping`), made as authorized_request
  /// does. invalid_request when the provider declares none.
  Result<EffectResult> ping(const ConnectionRef& ref);

  /// authorized_request with streamed bodies (HttpsClient::stream), send_authorized's head-only
  /// form: the response goes to `sink`, except a first attempt's 401 the core holds back to
  /// retry. A 401 is retried only when `body` is null (request.body is then sent again); a
  /// streamed body cannot be sent twice, so that 401 reaches the sink, but the token is still
  /// refreshed for the caller's own retry. With `refused_access_token`, the caller already saw
  /// that token get a 401: the request is sent once, after the refresh (or with the token a peer
  /// refreshed meanwhile).
  Result<EffectResult> authorized_stream(const ConnectionRef& ref, const HttpRequest& request, BodySource* body,
                                         ResponseSink& sink, bool* refreshed = nullptr,
                                         std::string refused_access_token = {});

  /// The store, for records a host keeps beside the engine's (the gateway's API keys and sign-in
  /// return addresses). Failures are storage errors carrying the store's message.
  Result<std::optional<StoreRecord>> get(const std::string& key);
  Status put(const std::string& key, const std::string& value);
  /// True when this call removed the record at `version`; false when it was gone or had changed.
  Result<bool> remove(const std::string& key, std::int64_t version);
  /// The first `limit` records under `prefix` in key order (0: all).
  Result<std::vector<StoreRecord>> list(const std::string& prefix, std::size_t limit = 0);

  /// Performs one effect.
  EffectResult perform(const Effect& effect);
  EffectResult http(const HttpRequest& request);
  static std::int64_t now_ms();

 private:
  Host() = default;
  std::string store_path_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<HttpsClient> http_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace latchkey::native
