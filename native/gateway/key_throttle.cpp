#include "key_throttle.hpp"

#include <boost/asio/ip/address.hpp>

namespace latchkey::gateway {
namespace {

// Each window costs a few dozen bytes: past this many addresses, ended windows are dropped, and
// if none has ended the oldest go (an attacker with this many addresses gains as much by having them).
constexpr std::size_t kMaxWindows = 1 << 16;

}  // namespace

std::int64_t KeyThrottle::blocked_for_ms(const std::string& client, std::int64_t now_ms) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = windows_.find(client);
  if (it == windows_.end() || it->second.failures < max_failures_) return 0;
  const std::int64_t left = it->second.start_ms + window_ms_ - now_ms;
  return left > 0 ? left : 0;
}

void KeyThrottle::failed(const std::string& client, std::int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  if (windows_.size() >= kMaxWindows && windows_.find(client) == windows_.end()) forget_ended_locked(now_ms);
  Window& w = windows_[client];
  if (w.failures == 0 || now_ms >= w.start_ms + window_ms_) {
    w.start_ms = now_ms;
    w.failures = 0;
  }
  ++w.failures;
}

void KeyThrottle::forget_ended_locked(std::int64_t now_ms) {
  std::int64_t oldest = now_ms;
  for (auto it = windows_.begin(); it != windows_.end();) {
    if (now_ms >= it->second.start_ms + window_ms_) {
      it = windows_.erase(it);
    } else {
      if (it->second.start_ms < oldest) oldest = it->second.start_ms;
      ++it;
    }
  }
  if (windows_.size() < kMaxWindows) return;
  for (auto it = windows_.begin(); it != windows_.end();) {
    it = it->second.start_ms <= oldest ? windows_.erase(it) : std::next(it);
  }
}

std::string throttle_client(const std::string& peer_address) {
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(peer_address, ec);
  if (ec) return "";
  if (address.is_v4()) return address.to_string();
  auto v6 = address.to_v6();
  if (v6.is_v4_mapped()) return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_string();
  auto bytes = v6.to_bytes();
  for (std::size_t i = 8; i < bytes.size(); ++i) bytes[i] = 0;
  return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

}  // namespace latchkey::gateway
