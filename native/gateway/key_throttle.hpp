// Slows down API-key guessing: each client address may present a few unknown keys a minute;
// past that every keyed request from it is refused with 429 until its window ends. A valid key
// is refused too while its address is throttled — else each guess would still be answered, and a
// right one recognized, only at a slower pace of refusals.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace latchkey::gateway {

class KeyThrottle {
 public:
  /// `max_failures` unknown keys per address in a window of `window_ms` from its first failure.
  explicit KeyThrottle(int max_failures = 20, std::int64_t window_ms = 60 * 1000)
      : max_failures_(max_failures), window_ms_(window_ms) {}

  /// Milliseconds until `client` may present a key again, or 0 if it may now. `now_ms` is any
  /// monotonic clock, the same one failed() gets. Thread-safe.
  std::int64_t blocked_for_ms(const std::string& client, std::int64_t now_ms) const;
  /// One unknown key from `client`. Thread-safe.
  void failed(const std::string& client, std::int64_t now_ms);

 private:
  struct Window {
    std::int64_t start_ms = 0;
    int failures = 0;
  };
  void forget_ended_locked(std::int64_t now_ms);

  const int max_failures_;
  const std::int64_t window_ms_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Window> windows_;
};

/// The address a throttle counts for a peer: the IPv4 address (also when it came as an
/// IPv4-mapped IPv6 one), or an IPv6 address's /64 — one host usually holds a whole /64, so
/// counting single IPv6 addresses would give it billions of windows. "" for an unparsable address.
std::string throttle_client(const std::string& peer_address);

}  // namespace latchkey::gateway
