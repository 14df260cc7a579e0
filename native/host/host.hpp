// The native host: the core's engine with its effects answered by the store (SQLite or PostgreSQL), mbedTLS HTTPS, the
// system clock and the OS random source — the driver loop the CLI runs every operation through.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <vector>
#include <string>

#include "http/https_client.hpp"
#include "latchkey/engine.hpp"
#include "latchkey/ping.hpp"
#include "store/store.hpp"
#include "store/store_file.hpp"  // default_store_path

namespace latchkey::native {

struct HostOptions {
  /// The store: an SQLite file's path, or a PostgreSQL URI (postgresql://…; open_store).
  /// Empty: default_store_path().
  std::string store_path;
  std::string ca_file;          ///< Empty: LATCHKEY_CA_FILE, else the system bundle.
  /// Empty: `<store>.key` (none for PostgreSQL). LATCHKEY_MASTER_KEY, when set, wins over either
  /// (load_master_key).
  std::string master_key_file;
};

class Host {
 public:
  /// Opens the store and its master key (checking the key matches the store) and seeds an engine.
  static Result<std::unique_ptr<Host>> open(const HostOptions& options);

  Engine& engine() { return *engine_; }
  /// The store's path or PostgreSQL URI, as opened.
  const std::string& store_path() const { return store_path_; }

  /// Runs an operation to completion, performing its effects. A wait effect sleeps the calling
  /// thread until its deadline: the CLI runs one operation per process, so nothing else needs
  /// that thread. latchkeyd must not (its threads serve every client): it drives operations with
  /// advance() and parks them on a timer while they wait.
  template <class T>
  Result<T> run(std::unique_ptr<Operation<T>> op) {
    const Effect* e = advance(*op, op->start(now_ms()));
    while (e) {
      sleep_until(e->until_ms);
      e = advance(*op, op->resume({}, now_ms()));
    }
    return op->result();
  }

  /// Where a streamed http effect (send_authorized's SendOptions::stream) takes its request body
  /// from (null: HttpRequest::body) and sends its response to. Both must outlive the operation.
  struct Streams {
    BodySource* body = nullptr;
    ResponseSink* sink = nullptr;
  };
  /// Performs `op`'s effects from `e` on (what start or resume returned) until the operation
  /// finishes (returns nullptr: read its result) or asks to wait (returns that wait effect,
  /// unperformed: resume the operation with an empty result at or after its until_ms, with this
  /// Host or — after OperationBase::rebind — another of the same store and keys). With `streams`,
  /// a streamed http effect goes through HttpsClient::stream to `streams->sink`, except a 401 the
  /// effect holds back (hold_401), which the operation answers itself by sending again; without,
  /// its body is read as any other. Never fails itself: failures are the operation's results.
  const Effect* advance(OperationBase& op, const Effect* e, const Streams* streams = nullptr);

  /// Sends `request` as the connection `ref` by running the core's send_authorized (the token
  /// injected per the provider's rules, other hosts refused; a 401 refreshes once, single-flight,
  /// and retries). Errors are the core's (no connection, host not allowed, refresh failed); a
  /// failure to reach the server comes back as the result's transport_error. `refreshed` says
  /// whether a 401 made it refresh.
  Result<EffectResult> authorized_request(const ConnectionRef& ref, const HttpRequest& request,
                                          bool* refreshed = nullptr);

  struct Ping {
    EffectResult sent;
    PingVerdict verdict;  ///< The core's reading of the answer (latchkey/ping.hpp).
  };
  /// The provider's declared cheap authenticated call (its `ping`), made as authorized_request
  /// does. The provider's errors (not_found, storage), or invalid_request when it declares none.
  Result<Ping> ping(const ConnectionRef& ref);

  /// The store, for records a host keeps beside the engine's (the gateway's API keys and sign-in
  /// return addresses). Failures are storage errors carrying the store's message.
  Result<std::optional<StoreRecord>> get(const std::string& key);
  Status put(const std::string& key, const std::string& value);
  /// Writes `key` = `value` if its version is still `version` (0: only if absent). False when it changed.
  Result<bool> cas(const std::string& key, const std::string& value, std::int64_t version);
  /// True when this call removed the record at `version`; false when it was gone or had changed.
  Result<bool> remove(const std::string& key, std::int64_t version);
  /// The first `limit` records under `prefix` in key order (0: all).
  Result<std::vector<StoreRecord>> list(const std::string& prefix, std::size_t limit = 0);

  static std::int64_t now_ms();

  /// Told of each HTTP request the host sends for an operation (not streamed ones), before it
  /// goes, and of its answer: for `latchkey request -v`. The request is as the core made it,
  /// credentials included, so an observer that prints it must hide them.
  struct HttpObserver {
    std::function<void(const HttpRequest&)> sending;
    std::function<void(const EffectResult&)> answered;
  };
  void observe_http(HttpObserver observer) { observer_ = std::move(observer); }

 private:
  Host() = default;
  /// Performs one http or store effect (advance stops at waits).
  EffectResult perform(const Effect& effect);
  /// Sleeps the calling thread until the system clock (now_ms) reaches `until_ms`.
  static void sleep_until(std::int64_t until_ms);
  std::string store_path_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<HttpsClient> http_;
  std::unique_ptr<Engine> engine_;
  HttpObserver observer_;
};

}  // namespace latchkey::native
