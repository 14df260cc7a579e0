// Process-wide counters for GET /metrics (Prometheus text format 0.0.4). Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace latchkey::gateway {

class Metrics {
 public:
  /// One finished request: its route template ("/v1/connections/{id}/token"), status and duration.
  void observe(const std::string& route, int status, double seconds);
  void count_refresh();
  /// A request that failed with the core's error `code` ("invalid_grant", "storage", ...): counts
  /// refresh failures (on the routes that refresh) and store errors (anywhere).
  void count_error(const std::string& route, const std::string& code);
  /// One proxied request to `provider` (a registered provider's key) and the status answered.
  void count_proxy(const std::string& provider, int status);
  /// observe() and count_proxy() at once, for a request an event loop proxied itself (session.hpp).
  void observe_loop_proxy(std::string_view route, const std::string& provider, int status, double seconds);
  /// Access-log lines dropped because stderr was not being read (access_log.hpp).
  void count_log_lines_dropped(std::uint64_t n);
  /// A request with an API key the store does not know (key_throttle.hpp counts it per address).
  void count_key_failure();
  /// A keyed request refused with 429 because its address sent too many unknown keys.
  void count_key_throttled();
  std::string render() const;

 private:
  using Counters = std::map<std::string, std::map<int, std::uint64_t>, std::less<>>;  ///< by name, then status
  void observe_locked(std::string_view route, int status, double seconds);

  mutable std::mutex mu_;
  Counters requests_;
  static constexpr int kBuckets = 10;
  std::uint64_t buckets_[kBuckets] = {};  ///< Cumulative on render, per-bucket here.
  std::uint64_t count_ = 0;
  double sum_ = 0;
  std::uint64_t refreshes_ = 0;
  std::map<std::string, std::uint64_t> refresh_failures_;  ///< by error code
  std::uint64_t store_errors_ = 0;
  Counters proxied_;
  std::uint64_t proxied_by_loop_ = 0;
  std::uint64_t log_lines_dropped_ = 0;
  std::uint64_t key_failures_ = 0;
  std::uint64_t key_throttled_ = 0;
};

}  // namespace latchkey::gateway
