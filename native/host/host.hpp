// The native host: the core's engine with its effects answered by SQLite, mbedTLS HTTPS, the
// system clock and the OS random source — the driver loop the CLI runs every operation through.
#pragma once

#include <functional>
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

  /// Sends `request` as the connection `ref`: the core injects the token per the provider's rules
  /// (and refuses other hosts); a 401 for a token believed valid refreshes once and retries.
  /// Errors are the core's (no connection, host not allowed, refresh failed); a failure to reach
  /// the server comes back as the result's transport_error. `refreshed` says whether it refreshed.
  Result<EffectResult> authorized_request(const ConnectionRef& ref, const HttpRequest& request,
                                          bool* refreshed = nullptr);

  /// The provider's declared cheap authenticated call (its `ping`), made as authorized_request
  /// does. invalid_request when the provider declares none.
  Result<EffectResult> ping(const ConnectionRef& ref);

  /// authorized_request with streamed bodies (HttpsClient::stream): the response goes to `sink`.
  /// A 401 is retried after the refresh only when `body` is null (request.body is then sent
  /// again); a streamed body cannot be sent twice, so that 401 reaches the sink, but the token is
  /// still refreshed for the caller's own retry.
  /// With `refresh_first`, the token is refreshed before the only attempt (the caller already
  /// saw the current token get a 401).
  Result<EffectResult> authorized_stream(const ConnectionRef& ref, const HttpRequest& request, BodySource* body,
                                         ResponseSink& sink, bool* refreshed = nullptr, bool refresh_first = false);

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
  /// Signs and sends through `send` (which says whether a 401 it saw may be retried), then once
  /// more after a forced refresh if it may.
  Result<EffectResult> send_signed(const ConnectionRef& ref, const HttpRequest& request,
                                   const std::function<EffectResult(const HttpRequest&, bool last, bool* retry)>& send,
                                   bool* refreshed, bool refresh_first = false);
  std::string store_path_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<HttpsClient> http_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace latchkey::native
