// The proxy's signers (RequestSigner) by connection, in memory, so that the event loop can sign
// a proxied request without the store or an engine. Coherent with the store: a commit by any
// other connection to it — another process's, or one of this process's Hosts — empties the cache
// within kRecheckMs (the store's data_version, asked at most that often: SQLite's PRAGMA, or
// PostgreSQL's change counter learned by LISTEN/NOTIFY with a fallback read each second, so up to
// about a second when a notification is lost), and the gateway empties it
// at once before answering a request of its own that may have changed something (forget_all).
// A signer also lapses when its token stops being fresh (RequestSigner::fresh_until_ms).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "latchkey/engine.hpp"
#include "store/store.hpp"

namespace latchkey::gateway {

class SignerCache {
 public:
  static constexpr std::int64_t kRecheckMs = 1;

  /// Opens its own connection to the store at `store_path` (a path or a PostgreSQL URI), only to
  /// read data_version.
  static Result<std::unique_ptr<SignerCache>> open(const std::string& store_path);

  /// The signer for the connection as the caller named it (account "" for the only one), if
  /// one is cached, current and fresh at `now_ms`.
  std::shared_ptr<const RequestSigner> find(const ConnectionRef& asked, std::int64_t now_ms);

  /// Take before reading the store for a put(): a put whose reads may predate a change is dropped.
  std::uint64_t epoch();
  void put(const ConnectionRef& asked, RequestSigner signer, std::uint64_t epoch);

  /// Forgets one connection's signer (the upstream refused its token).
  void forget(const ConnectionRef& asked);
  /// Forgets everything (this process is about to report a change it made).
  void forget_all() { ++epoch_; }

 private:
  explicit SignerCache(std::unique_ptr<native::Store> store);
  static std::string key_of(const ConnectionRef& ref);
  /// The epoch, after asking the store whether anything changed if kRecheckMs has passed.
  std::uint64_t current_epoch();

  struct Entry {
    std::shared_ptr<const RequestSigner> signer;
    std::uint64_t epoch;
  };

  std::atomic<std::uint64_t> epoch_{1};
  std::atomic<std::int64_t> checked_at_us_{0};
  std::mutex check_mu_;  // guards store_ and version_
  std::unique_ptr<native::Store> store_;
  std::int64_t version_ = 0;
  std::shared_mutex mu_;  // guards entries_
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace latchkey::gateway
